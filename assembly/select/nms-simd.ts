// Hard NMS, vectorised: boxes [n, 4] (x1, y1, x2, y2), scores [n] -> keep [<= n] (i32 box indices in
// score order), returns the count. Same contract as nmsF32Scalar (the spec): boxes are sorted by
// score once (topKF32) into structure-of-arrays columns; each kept box then suppresses every later
// box with IoU > iouThreshold, four boxes per step. scratch: 8 columns of ceil4(n) 32-bit values.
import { ceil4, interS, interV, iouS, iouV, storeBoxColumns } from './iou';
import { topKF32 } from './topk-simd';

export function nmsF32(boxes: usize, scores: usize, n: i32, iouThreshold: f32, scratch: usize, keep: usize): i32 {
  const col = <usize>ceil4(n) << 2;
  const sorted = scratch;
  const order = sorted + col;
  const X1 = order + col;
  const Y1 = X1 + col;
  const X2 = Y1 + col;
  const Y2 = X2 + col;
  const AREA = Y2 + col;
  const ALIVE = AREA + col; // -1 alive, 0 suppressed (a lane mask)
  topKF32(scores, n, n, sorted, order);
  for (let r = 0; r < n; r++) {
    const b = boxes + (<usize>load<i32>(order + (<usize>r << 2)) << 4);
    const o = <usize>r << 2;
    storeBoxColumns(b, X1, col, o);
    store<i32>(ALIVE + o, -1);
  }
  const zero = f32x4.splat(0);
  const thr = f32x4.splat(iouThreshold);
  let count = 0;
  for (let r = 0; r < n; r++) {
    const o = <usize>r << 2;
    if (!load<i32>(ALIVE + o)) continue;
    store<i32>(keep + (<usize>count << 2), load<i32>(order + o));
    count++;
    const ax1 = load<f32>(X1 + o);
    const ay1 = load<f32>(Y1 + o);
    const ax2 = load<f32>(X2 + o);
    const ay2 = load<f32>(Y2 + o);
    const aa = load<f32>(AREA + o);
    const vx1 = f32x4.splat(ax1);
    const vy1 = f32x4.splat(ay1);
    const vx2 = f32x4.splat(ax2);
    const vy2 = f32x4.splat(ay2);
    const va = f32x4.splat(aa);
    let q = r + 1;
    for (; q + 4 <= n; q += 4) {
      const p = <usize>q << 2;
      const alive = v128.load(ALIVE + p);
      const inter = interV(vx1, vy1, vx2, vy2, v128.load(X1 + p), v128.load(Y1 + p), v128.load(X2 + p), v128.load(Y2 + p));
      const hit = v128.and(alive, f32x4.gt(inter, zero));
      if (!v128.any_true(hit)) continue;
      const over = v128.and(hit, f32x4.gt(iouV(inter, va, v128.load(AREA + p)), thr));
      v128.store(ALIVE + p, v128.andnot(alive, over));
    }
    for (; q < n; q++) {
      const p = <usize>q << 2;
      if (!load<i32>(ALIVE + p)) continue;
      const inter = interS(ax1, ay1, ax2, ay2, load<f32>(X1 + p), load<f32>(Y1 + p), load<f32>(X2 + p), load<f32>(Y2 + p));
      if (inter > 0 && iouS(inter, aa, load<f32>(AREA + p)) > iouThreshold) store<i32>(ALIVE + p, 0);
    }
  }
  return count;
}
