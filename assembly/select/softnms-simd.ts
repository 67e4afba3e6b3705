// Soft-NMS, vectorised: boxes [n, 4] (x1, y1, x2, y2), scores [n] -> outIndices [<= n] (i32) and
// outScores [<= n] in selection order; returns the count. Same contract and arithmetic as
// softNmsF32Scalar (the spec). The remaining boxes live in structure-of-arrays columns in index
// order; one pass per selection decays the boxes that intersect the selected one (eight per step;
// steps where none intersects skip the IoU and the decay) and finds the next highest score in the
// same pass. Selected and dropped boxes are marked -infinity and squeezed out (stably, so ties
// still go to the lower index) once they are an eighth of the columns.
// scratch: 7 columns of ceil4(n) 32-bit values: x1, y1, x2, y2, area, score, original index.
import { ceil4, interS, interV, iouS, iouV, storeBoxColumns } from './iou';
import { decayS, decayV } from './softnms-weight';

// boxes dropped by the last decay pass (a second return value of decayPass)
let droppedInPass = 0;

export function softNmsF32(
  boxes: usize, scores: usize, n: i32, method: i32, iouThreshold: f32, sigma: f32, scoreThreshold: f32,
  scratch: usize, outIndices: usize, outScores: usize,
): i32 {
  const col = <usize>ceil4(n) << 2;
  const X1 = scratch;
  const Y1 = X1 + col;
  const X2 = Y1 + col;
  const Y2 = X2 + col;
  const AREA = Y2 + col;
  const S = AREA + col;
  const IDX = S + col;
  // boxes that start below the threshold never enter
  let m = 0;
  for (let i = 0; i < n; i++) {
    const s = load<f32>(scores + (<usize>i << 2));
    if (!(s >= scoreThreshold)) continue;
    const b = boxes + (<usize>i << 4);
    const o = <usize>m << 2;
    storeBoxColumns(b, X1, col, o);
    store<f32>(S + o, s);
    store<i32>(IDX + o, i);
    m++;
  }
  let best = firstBest(S, m);
  let dead = 0;
  let count = 0;
  while (best >= 0) {
    const t = <usize>best << 2;
    store<i32>(outIndices + (<usize>count << 2), load<i32>(IDX + t));
    store<f32>(outScores + (<usize>count << 2), load<f32>(S + t));
    count++;
    store<f32>(S + t, -Infinity);
    best = decayPass(X1, Y1, X2, Y2, AREA, S, m, t, method, iouThreshold, sigma, scoreThreshold);
    dead += 1 + droppedInPass;
    if (dead * 8 > m && m > 16) {
      // stable squeeze of the live boxes to the front; `best` moves with its box
      let w = 0;
      let moved = -1;
      for (let r = 0; r < m; r++) {
        const ro = <usize>r << 2;
        if (load<f32>(S + ro) == -Infinity) continue;
        if (r == best) moved = w;
        if (w != r) {
          const wo = <usize>w << 2;
          store<f32>(X1 + wo, load<f32>(X1 + ro));
          store<f32>(Y1 + wo, load<f32>(Y1 + ro));
          store<f32>(X2 + wo, load<f32>(X2 + ro));
          store<f32>(Y2 + wo, load<f32>(Y2 + ro));
          store<f32>(AREA + wo, load<f32>(AREA + ro));
          store<f32>(S + wo, load<f32>(S + ro));
          store<i32>(IDX + wo, load<i32>(IDX + ro));
        }
        w++;
      }
      m = w;
      best = moved;
      dead = 0;
    }
  }
  return count;
}

/** Position of the highest score in S[0, m) (ties: lowest position), -1 when all are -infinity. */
function firstBest(S: usize, m: i32): i32 {
  let best = -1;
  let bestScore: f32 = -Infinity;
  for (let i = 0; i < m; i++) {
    const s = load<f32>(S + (<usize>i << 2));
    if (s > bestScore) {
      best = i;
      bestScore = s;
    }
  }
  return best;
}

/**
 * Decays the live boxes in [0, m) that intersect the box at byte offset t (already marked
 * -infinity), drops those that fall below scoreThreshold, and returns the position of the new
 * highest score (-1 when none is left). Sets droppedInPass. Eight boxes per step with two running
 * argmax registers (positions 0-3 and 4-7 mod 8), so the loop-carried compare-select chain is
 * half as long; the decay is skipped when none of the eight intersects.
 */
function decayPass(
  X1: usize, Y1: usize, X2: usize, Y2: usize, AREA: usize, S: usize, m: i32, t: usize,
  method: i32, iouThreshold: f32, sigma: f32, scoreThreshold: f32,
): i32 {
  const tx1 = load<f32>(X1 + t);
  const ty1 = load<f32>(Y1 + t);
  const tx2 = load<f32>(X2 + t);
  const ty2 = load<f32>(Y2 + t);
  const ta = load<f32>(AREA + t);
  const vx1 = f32x4.splat(tx1);
  const vy1 = f32x4.splat(ty1);
  const vx2 = f32x4.splat(tx2);
  const vy2 = f32x4.splat(ty2);
  const va = f32x4.splat(ta);
  const zero = f32x4.splat(0);
  const ninf = f32x4.splat(-Infinity);
  const thr = f32x4.splat(scoreThreshold);
  const eight = i32x4.splat(8);
  let bestA = ninf;
  let bestB = ninf;
  let posA = i32x4(0, 1, 2, 3);
  let posB = i32x4(4, 5, 6, 7);
  let atA = i32x4.splat(-1);
  let atB = i32x4.splat(-1);
  let dropped = i32x4.splat(0);
  let i = 0;
  for (; i + 8 <= m; i += 8) {
    const o = <usize>i << 2;
    let sa = v128.load(S + o);
    let sb = v128.load(S + o, 16);
    const ia = interV(vx1, vy1, vx2, vy2, v128.load(X1 + o), v128.load(Y1 + o), v128.load(X2 + o), v128.load(Y2 + o));
    const ib = interV(vx1, vy1, vx2, vy2, v128.load(X1 + o, 16), v128.load(Y1 + o, 16), v128.load(X2 + o, 16), v128.load(Y2 + o, 16));
    const ua = v128.and(f32x4.gt(ia, zero), f32x4.ne(sa, ninf));
    const ub = v128.and(f32x4.gt(ib, zero), f32x4.ne(sb, ninf));
    if (v128.any_true(v128.or(ua, ub))) {
      const wa = decayV(iouV(ia, va, v128.load(AREA + o)), method, iouThreshold, sigma);
      const wb = decayV(iouV(ib, va, v128.load(AREA + o, 16)), method, iouThreshold, sigma);
      let na = f32x4.mul(sa, wa);
      let nb = f32x4.mul(sb, wb);
      const da = v128.and(ua, f32x4.lt(na, thr));
      const db = v128.and(ub, f32x4.lt(nb, thr));
      na = v128.bitselect(ninf, na, da);
      nb = v128.bitselect(ninf, nb, db);
      sa = v128.bitselect(na, sa, ua);
      sb = v128.bitselect(nb, sb, ub);
      v128.store(S + o, sa);
      v128.store(S + o, sb, 16);
      dropped = i32x4.sub(i32x4.sub(dropped, da), db);
    }
    const ga = f32x4.gt(sa, bestA);
    const gb = f32x4.gt(sb, bestB);
    bestA = v128.bitselect(sa, bestA, ga);
    bestB = v128.bitselect(sb, bestB, gb);
    atA = v128.bitselect(posA, atA, ga);
    atB = v128.bitselect(posB, atB, gb);
    posA = i32x4.add(posA, eight);
    posB = i32x4.add(posB, eight);
  }
  // reduce the eight lanes: highest score, then lowest position
  let best = -1;
  let bestScore: f32 = -Infinity;
  let v = f32x4.extract_lane(bestA, 0);
  let p = i32x4.extract_lane(atA, 0);
  if (better(best, bestScore, p, v)) { best = p; bestScore = v; }
  v = f32x4.extract_lane(bestA, 1);
  p = i32x4.extract_lane(atA, 1);
  if (better(best, bestScore, p, v)) { best = p; bestScore = v; }
  v = f32x4.extract_lane(bestA, 2);
  p = i32x4.extract_lane(atA, 2);
  if (better(best, bestScore, p, v)) { best = p; bestScore = v; }
  v = f32x4.extract_lane(bestA, 3);
  p = i32x4.extract_lane(atA, 3);
  if (better(best, bestScore, p, v)) { best = p; bestScore = v; }
  v = f32x4.extract_lane(bestB, 0);
  p = i32x4.extract_lane(atB, 0);
  if (better(best, bestScore, p, v)) { best = p; bestScore = v; }
  v = f32x4.extract_lane(bestB, 1);
  p = i32x4.extract_lane(atB, 1);
  if (better(best, bestScore, p, v)) { best = p; bestScore = v; }
  v = f32x4.extract_lane(bestB, 2);
  p = i32x4.extract_lane(atB, 2);
  if (better(best, bestScore, p, v)) { best = p; bestScore = v; }
  v = f32x4.extract_lane(bestB, 3);
  p = i32x4.extract_lane(atB, 3);
  if (better(best, bestScore, p, v)) { best = p; bestScore = v; }
  let nDropped = i32x4.extract_lane(dropped, 0) + i32x4.extract_lane(dropped, 1) + i32x4.extract_lane(dropped, 2) + i32x4.extract_lane(dropped, 3);
  // the last m % 8 boxes: positions above every vector lane, so strict > keeps ties on the lower one
  for (; i < m; i++) {
    const o = <usize>i << 2;
    let s = load<f32>(S + o);
    if (s != -Infinity) {
      const inter = interS(tx1, ty1, tx2, ty2, load<f32>(X1 + o), load<f32>(Y1 + o), load<f32>(X2 + o), load<f32>(Y2 + o));
      if (inter > 0) {
        s = s * decayS(iouS(inter, ta, load<f32>(AREA + o)), method, iouThreshold, sigma);
        if (s < scoreThreshold) {
          s = -Infinity;
          nDropped++;
        }
        store<f32>(S + o, s);
      }
    }
    if (s > bestScore) {
      best = i;
      bestScore = s;
    }
  }
  droppedInPass = nDropped;
  return best;
}

/** Whether a lane's candidate (position p >= 0, score v) beats the current best. */
// @ts-ignore: decorator
@inline
function better(best: i32, bestScore: f32, p: i32, v: f32): bool {
  return p >= 0 && (best < 0 || v > bestScore || (v == bestScore && p < best));
}
