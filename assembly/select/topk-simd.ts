// Top-K selection: values [n] -> outValues [k], outIndices [k] (i32), larger value first, then lower
// index; NaN ranks below every number. Same contract as topKF32Scalar (the spec), 1 <= k <= n.
// The outputs double as a min-heap of the best k so far: after the first k numbers, a 16-wide
// vector compare against the heap's worst value skips every block with nothing better, so the work
// is O(n / 4) compares plus O(log k) per heap replacement (for random order, about k ln(n / k)
// replacements); the kept entries are heapsorted at the end, O(k log k).
import { heapOffer, heapSortBestFirst } from './heap';

export function topKF32(values: usize, n: i32, k: i32, outValues: usize, outIndices: usize): void {
  let size = 0;
  let i = 0;
  // fill the heap with the first k numbers (NaNs are appended at the end if they are needed)
  for (; i < n && size < k; i++) {
    const v = load<f32>(values + (<usize>i << 2));
    if (v == v) size = heapOffer(outValues, outIndices, size, k, v, i);
  }
  if (size == k) {
    // a later entry with a value equal to the worst kept one has a larger index: it ranks below
    let worst = load<f32>(outValues);
    let t = f32x4.splat(worst);
    for (; i + 16 <= n; i += 16) {
      const p = values + (<usize>i << 2);
      const m = v128.or(
        v128.or(f32x4.gt(v128.load(p), t), f32x4.gt(v128.load(p, 16), t)),
        v128.or(f32x4.gt(v128.load(p, 32), t), f32x4.gt(v128.load(p, 48), t)),
      );
      if (!v128.any_true(m)) continue;
      for (let j = 0; j < 16; j++) {
        const v = load<f32>(p + (<usize>j << 2));
        if (v > worst) {
          heapOffer(outValues, outIndices, size, k, v, i + j);
          worst = load<f32>(outValues);
        }
      }
      t = f32x4.splat(worst);
    }
    for (; i < n; i++) {
      const v = load<f32>(values + (<usize>i << 2));
      if (v > worst) {
        heapOffer(outValues, outIndices, size, k, v, i);
        worst = load<f32>(outValues);
      }
    }
  }
  heapSortBestFirst(outValues, outIndices, size);
  // fewer than k numbers: the rest are NaNs, in index order
  for (let j = 0; size < k && j < n; j++) {
    const v = load<f32>(values + (<usize>j << 2));
    if (v != v) {
      store<f32>(outValues + (<usize>size << 2), v);
      store<i32>(outIndices + (<usize>size << 2), j);
      size++;
    }
  }
}
