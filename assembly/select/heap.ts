// A bounded min-heap of (value, index) pairs in two caller-owned arrays (f32 values, i32 indices):
// the root is the worst kept entry, so a top-K selection compares each newcomer with the root only.
// Rank: larger value first, then lower index (DESIGN.md's top-K tie rule). Values must not be NaN.

/** True when (va, ia) ranks below (vb, ib). */
// @ts-ignore: decorator
@inline
export function worse(va: f32, ia: i32, vb: f32, ib: i32): bool {
  return va < vb || (va == vb && ia > ib);
}

// @ts-ignore: decorator
@inline
function val(vals: usize, i: i32): f32 {
  return load<f32>(vals + (<usize>i << 2));
}

// @ts-ignore: decorator
@inline
function idx(idxs: usize, i: i32): i32 {
  return load<i32>(idxs + (<usize>i << 2));
}

/** Restores the heap below `pos` after its entry was replaced by (v, i). */
export function siftDown(vals: usize, idxs: usize, size: i32, pos: i32, v: f32, i: i32): void {
  while (true) {
    const l = 2 * pos + 1;
    if (l >= size) break;
    let child = l;
    const r = l + 1;
    if (r < size && worse(val(vals, r), idx(idxs, r), val(vals, l), idx(idxs, l))) child = r;
    const cv = val(vals, child);
    const ci = idx(idxs, child);
    if (!worse(cv, ci, v, i)) break;
    store<f32>(vals + (<usize>pos << 2), cv);
    store<i32>(idxs + (<usize>pos << 2), ci);
    pos = child;
  }
  store<f32>(vals + (<usize>pos << 2), v);
  store<i32>(idxs + (<usize>pos << 2), i);
}

/** Appends (v, i) to a heap of `size` entries (room for one more is the caller's). */
export function heapPush(vals: usize, idxs: usize, size: i32, v: f32, i: i32): void {
  let pos = size;
  while (pos > 0) {
    const parent = (pos - 1) >> 1;
    const pv = val(vals, parent);
    const pi = idx(idxs, parent);
    if (!worse(v, i, pv, pi)) break;
    store<f32>(vals + (<usize>pos << 2), pv);
    store<i32>(idxs + (<usize>pos << 2), pi);
    pos = parent;
  }
  store<f32>(vals + (<usize>pos << 2), v);
  store<i32>(idxs + (<usize>pos << 2), i);
}

/** Offers (v, i) to a heap holding `size` of at most `k` entries; returns the new size. */
// @ts-ignore: decorator
@inline
export function heapOffer(vals: usize, idxs: usize, size: i32, k: i32, v: f32, i: i32): i32 {
  if (size < k) {
    heapPush(vals, idxs, size, v, i);
    return size + 1;
  }
  if (worse(val(vals, 0), idx(idxs, 0), v, i)) siftDown(vals, idxs, size, 0, v, i);
  return size;
}

/** Sorts a heap of `size` entries in place, best first (heapsort: the worst goes to the end). */
export function heapSortBestFirst(vals: usize, idxs: usize, size: i32): void {
  for (let end = size - 1; end > 0; end--) {
    const v = val(vals, end);
    const i = idx(idxs, end);
    store<f32>(vals + (<usize>end << 2), val(vals, 0));
    store<i32>(idxs + (<usize>end << 2), idx(idxs, 0));
    siftDown(vals, idxs, end, 0, v, i);
  }
}
