// The few numpy behaviours the reference evaluators (pycocotools, the VOC devkit's voc_eval) depend
// on, reproduced bit for bit so our metrics equal theirs to the last digit.

/** numpy.linspace(start, stop, num): i * step + start, with the last value set to stop. */
export function linspace(start: number, stop: number, num: number): number[] {
  if (num === 1) return [start];
  const step = (stop - start) / (num - 1);
  const out: number[] = [];
  for (let i = 0; i < num; i++) out.push(i * step + start);
  out[num - 1] = stop;
  return out;
}

/** numpy.arange(start, stop, step) for floats: start + i * step while below stop. */
export function arange(start: number, stop: number, step: number): number[] {
  const n = Math.ceil((stop - start) / step);
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(start + i * step);
  return out;
}

/** np.spacing(1) = np.finfo(np.float64).eps = 2^-52. */
export const FLOAT64_EPS = 2.220446049250313e-16;

/** numpy's pairwise summation (the add.reduce inner loop: 8-way unrolled, blocks of 128). */
function pairwiseSum(a: ArrayLike<number>, start: number, n: number): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[start + i];
    return res;
  }
  if (n <= 128) {
    const r = [a[start], a[start + 1], a[start + 2], a[start + 3], a[start + 4], a[start + 5], a[start + 6], a[start + 7]];
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (let j = 0; j < 8; j++) r[j] += a[start + i + j];
    }
    let res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; i++) res += a[start + i];
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
}

/** np.sum of a contiguous float64 vector: 0 + the pairwise sum. */
export function numpySum(values: ArrayLike<number>): number {
  return 0 + pairwiseSum(values, 0, values.length);
}

/** np.mean of a contiguous float64 vector: np.sum / n. */
export function numpyMean(values: ArrayLike<number>): number {
  return numpySum(values) / values.length;
}

/** np.searchsorted(sorted, v, side='left'): the first index whose value is >= v. */
export function searchsortedLeft(sorted: ArrayLike<number>, v: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** np.argsort(-values, kind='mergesort'): indices by descending value, ties in their original order. */
export function stableArgsortDesc(values: ArrayLike<number>): number[] {
  return Array.from({ length: values.length }, (_, j) => j).sort((x, y) => values[y] - values[x] || x - y);
}
