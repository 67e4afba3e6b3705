// Soft-NMS score decay for a box overlapping the selected one with IoU `iou` (> 0): method 0 hard
// (0 when iou > iouThreshold, else 1), 1 linear (1 - iou when iou > iouThreshold, else 1),
// 2 gaussian (exp(-iou^2 / sigma), every overlap; computed as exp(iou^2 * (-1 / sigma)) with the
// reciprocal rounded once, which saves a division per box). The numbers are the original Cython's
// `method`.
import { expS, expV } from '../elementwise/exp';

export const SOFT_NMS_HARD = 0;
export const SOFT_NMS_LINEAR = 1;
export const SOFT_NMS_GAUSSIAN = 2;

// @ts-ignore: decorator
@inline
export function decayV(iou: v128, method: i32, iouThreshold: f32, sigma: f32): v128 {
  const one = f32x4.splat(1);
  if (method == SOFT_NMS_GAUSSIAN) {
    return expV(f32x4.mul(f32x4.mul(iou, iou), f32x4.splat(<f32>-1 / sigma)));
  }
  const over = f32x4.gt(iou, f32x4.splat(iouThreshold));
  if (method == SOFT_NMS_LINEAR) return v128.bitselect(f32x4.sub(one, iou), one, over);
  return v128.bitselect(f32x4.splat(0), one, over);
}

// @ts-ignore: decorator
@inline
export function decayS(iou: f32, method: i32, iouThreshold: f32, sigma: f32): f32 {
  if (method == SOFT_NMS_GAUSSIAN) return expS(iou * iou * (<f32>-1 / sigma));
  if (method == SOFT_NMS_LINEAR) return iou > iouThreshold ? <f32>1 - iou : <f32>1;
  return iou > iouThreshold ? <f32>0 : <f32>1;
}
