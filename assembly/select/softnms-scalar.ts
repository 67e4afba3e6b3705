// Soft-NMS spec (Bodla et al. 2017, the original Cython loop): boxes [n, 4] (x1, y1, x2, y2), scores
// [n] -> outIndices [<= n] (i32) and outScores [<= n] in selection order; returns the count.
// Repeatedly select the remaining box with the highest score (ties: lower index), then multiply the
// score of every remaining box that intersects it by decayS(iou) and drop a box once its score is
// below scoreThreshold. Two deliberate differences from the Cython: a box that starts below
// scoreThreshold is dropped up front (the Cython only re-checks boxes that overlap a selected one,
// so it can return scores below the threshold), and ties go to the lower index (the Cython's
// swaps make them depend on earlier steps). No "+1" in areas. Scores must be finite (the ops check).
// scratch: 7 columns of ceil4(n) 32-bit values (the SIMD kernel's layout; this one uses 6).
import { ceil4, interS, iouS, storeBoxColumns } from './iou';
import { decayS } from './softnms-weight';

export function softNmsF32Scalar(
  boxes: usize, scores: usize, n: i32, method: i32, iouThreshold: f32, sigma: f32, scoreThreshold: f32,
  scratch: usize, outIndices: usize, outScores: usize,
): i32 {
  const col = <usize>ceil4(n) << 2;
  const X1 = scratch;
  const Y1 = X1 + col;
  const X2 = Y1 + col;
  const Y2 = X2 + col;
  const AREA = Y2 + col;
  const S = AREA + col; // -infinity marks a selected or dropped box
  for (let i = 0; i < n; i++) {
    const b = boxes + (<usize>i << 4);
    const o = <usize>i << 2;
    storeBoxColumns(b, X1, col, o);
    const s = load<f32>(scores + o);
    store<f32>(S + o, s >= scoreThreshold ? s : <f32>-Infinity);
  }
  let count = 0;
  while (true) {
    let best = -1;
    let bestScore: f32 = -Infinity;
    for (let i = 0; i < n; i++) {
      const s = load<f32>(S + (<usize>i << 2));
      if (s > bestScore) {
        best = i;
        bestScore = s;
      }
    }
    if (best < 0) break;
    store<i32>(outIndices + (<usize>count << 2), best);
    store<f32>(outScores + (<usize>count << 2), bestScore);
    count++;
    const t = <usize>best << 2;
    store<f32>(S + t, -Infinity);
    const tx1 = load<f32>(X1 + t);
    const ty1 = load<f32>(Y1 + t);
    const tx2 = load<f32>(X2 + t);
    const ty2 = load<f32>(Y2 + t);
    const ta = load<f32>(AREA + t);
    for (let j = 0; j < n; j++) {
      const o = <usize>j << 2;
      const s = load<f32>(S + o);
      if (s == -Infinity) continue;
      const inter = interS(tx1, ty1, tx2, ty2, load<f32>(X1 + o), load<f32>(Y1 + o), load<f32>(X2 + o), load<f32>(Y2 + o));
      if (!(inter > 0)) continue;
      const ns = s * decayS(iouS(inter, ta, load<f32>(AREA + o)), method, iouThreshold, sigma);
      store<f32>(S + o, ns < scoreThreshold ? <f32>-Infinity : ns);
    }
  }
  return count;
}
