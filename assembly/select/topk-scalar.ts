// Top-K spec: values [n] -> outValues [k], outIndices [k] (i32), larger value first, then lower index;
// NaN ranks below every number (and NaNs among themselves by index). A full heapsort of the index
// array `order` [n] (i32 scratch): O(n log n), the obviously-correct reference for topKF32.

// @ts-ignore: decorator
@inline
function below(values: usize, a: i32, b: i32): bool {
  const va = load<f32>(values + (<usize>a << 2));
  const vb = load<f32>(values + (<usize>b << 2));
  if (va != va) return vb != vb ? a > b : true;
  if (vb != vb) return false;
  return va < vb || (va == vb && a > b);
}

function siftDownOrder(values: usize, order: usize, size: i32, pos: i32): void {
  const item = load<i32>(order + (<usize>pos << 2));
  while (true) {
    const l = 2 * pos + 1;
    if (l >= size) break;
    let child = l;
    const cl = load<i32>(order + (<usize>l << 2));
    if (l + 1 < size) {
      const cr = load<i32>(order + (<usize>(l + 1) << 2));
      if (below(values, cr, cl)) child = l + 1;
    }
    const ci = load<i32>(order + (<usize>child << 2));
    if (!below(values, ci, item)) break;
    store<i32>(order + (<usize>pos << 2), ci);
    pos = child;
  }
  store<i32>(order + (<usize>pos << 2), item);
}

export function topKF32Scalar(values: usize, n: i32, k: i32, order: usize, outValues: usize, outIndices: usize): void {
  for (let i = 0; i < n; i++) store<i32>(order + (<usize>i << 2), i);
  // min-heap on rank over all n, then heapsort: the lowest-ranked entries move to the end
  for (let i = (n >> 1) - 1; i >= 0; i--) siftDownOrder(values, order, n, i);
  for (let end = n - 1; end > 0; end--) {
    const t = load<i32>(order);
    store<i32>(order, load<i32>(order + (<usize>end << 2)));
    store<i32>(order + (<usize>end << 2), t);
    siftDownOrder(values, order, end, 0);
  }
  for (let j = 0; j < k; j++) {
    const i = load<i32>(order + (<usize>j << 2));
    store<i32>(outIndices + (<usize>j << 2), i);
    store<f32>(outValues + (<usize>j << 2), load<f32>(values + (<usize>i << 2)));
  }
}
