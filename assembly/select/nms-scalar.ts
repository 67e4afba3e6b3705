// Hard NMS spec: boxes [n, 4] (x1, y1, x2, y2), scores [n] -> keep [<= n] (i32 box indices), returns
// the count. Boxes are visited by score (larger first, then lower index); a box is kept unless a
// kept box overlaps it with IoU > iouThreshold. scratch: 8 columns of ceil4(n) 32-bit values
// (the SIMD kernel's size; this one uses 5). Scores must not be NaN (the ops check).
import { ceil4, interS, iouS } from './iou';
import { topKF32Scalar } from './topk-scalar';

export function nmsF32Scalar(boxes: usize, scores: usize, n: i32, iouThreshold: f32, scratch: usize, keep: usize): i32 {
  const col = <usize>ceil4(n) << 2;
  const sorted = scratch;
  const order = sorted + col;
  const sortScratch = order + col;
  const area = sortScratch + col;
  const alive = area + col;
  topKF32Scalar(scores, n, n, sortScratch, sorted, order);
  for (let i = 0; i < n; i++) {
    const b = boxes + (<usize>i << 4);
    store<f32>(area + (<usize>i << 2), (load<f32>(b, 8) - load<f32>(b)) * (load<f32>(b, 12) - load<f32>(b, 4)));
    store<i32>(alive + (<usize>i << 2), 1);
  }
  let count = 0;
  for (let r = 0; r < n; r++) {
    const i = load<i32>(order + (<usize>r << 2));
    if (!load<i32>(alive + (<usize>i << 2))) continue;
    store<i32>(keep + (<usize>count << 2), i);
    count++;
    const a = boxes + (<usize>i << 4);
    const ai = load<f32>(area + (<usize>i << 2));
    for (let q = r + 1; q < n; q++) {
      const j = load<i32>(order + (<usize>q << 2));
      if (!load<i32>(alive + (<usize>j << 2))) continue;
      const b = boxes + (<usize>j << 4);
      const inter = interS(load<f32>(a), load<f32>(a, 4), load<f32>(a, 8), load<f32>(a, 12), load<f32>(b), load<f32>(b, 4), load<f32>(b, 8), load<f32>(b, 12));
      if (inter > 0 && iouS(inter, ai, load<f32>(area + (<usize>j << 2))) > iouThreshold) store<i32>(alive + (<usize>j << 2), 0);
    }
  }
  return count;
}
