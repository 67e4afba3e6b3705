// Intersection-over-union of boxes [x1, y1, x2, y2] in continuous coordinates (DESIGN.md: no "+1"):
// area = (x2 - x1) * (y2 - y1), iou = inter / (areaA + areaB - inter), 0 when boxes do not
// intersect. A 4-lane version over structure-of-arrays coordinates and a scalar twin that does the
// same f32 operations in the same order, so that SIMD kernels and their scalar specs agree exactly.
// Coordinates are finite (the ops check), so the vector version uses pmin/pmax (one x86 instruction
// each, where the NaN-propagating min/max take about eight): on finite inputs they equal min/max
// up to the sign of a zero, and a zero never passes the `inter > 0` test either way.

/** Intersection area of one box (scalar coordinates splatted) with four boxes. */
// @ts-ignore: decorator
@inline
export function interV(ax1: v128, ay1: v128, ax2: v128, ay2: v128, bx1: v128, by1: v128, bx2: v128, by2: v128): v128 {
  const zero = f32x4.splat(0);
  const ix = f32x4.pmax(f32x4.sub(f32x4.pmin(ax2, bx2), f32x4.pmax(ax1, bx1)), zero);
  const iy = f32x4.pmax(f32x4.sub(f32x4.pmin(ay2, by2), f32x4.pmax(ay1, by1)), zero);
  return f32x4.mul(ix, iy);
}

// @ts-ignore: decorator
@inline
export function interS(ax1: f32, ay1: f32, ax2: f32, ay2: f32, bx1: f32, by1: f32, bx2: f32, by2: f32): f32 {
  const ix = max<f32>(min<f32>(ax2, bx2) - max<f32>(ax1, bx1), 0);
  const iy = max<f32>(min<f32>(ay2, by2) - max<f32>(ay1, by1), 0);
  return ix * iy;
}

/** inter / (areaA + areaB - inter); only meaningful in lanes where inter > 0. */
// @ts-ignore: decorator
@inline
export function iouV(inter: v128, areaA: v128, areaB: v128): v128 {
  return f32x4.div(inter, f32x4.sub(f32x4.add(areaA, areaB), inter));
}

// @ts-ignore: decorator
@inline
export function iouS(inter: f32, areaA: f32, areaB: f32): f32 {
  return inter / (areaA + areaB - inter);
}

/** Rounds n up to a multiple of 4: the stride of each structure-of-arrays scratch column. */
// @ts-ignore: decorator
@inline
export function ceil4(n: i32): i32 {
  return (n + 3) & ~3;
}

/**
 * Box [x1, y1, x2, y2] at `box` into structure-of-arrays slot `o` (bytes) of five consecutive
 * columns `col` bytes apart starting at X1: x1, y1, x2, y2, area (the layout the NMS kernels scan).
 */
// @ts-ignore: decorator
@inline
export function storeBoxColumns(box: usize, X1: usize, col: usize, o: usize): void {
  const x1 = load<f32>(box);
  const y1 = load<f32>(box, 4);
  const x2 = load<f32>(box, 8);
  const y2 = load<f32>(box, 12);
  store<f32>(X1 + o, x1);
  store<f32>(X1 + col + o, y1);
  store<f32>(X1 + 2 * col + o, x2);
  store<f32>(X1 + 3 * col + o, y2);
  store<f32>(X1 + 4 * col + o, (x2 - x1) * (y2 - y1));
}
