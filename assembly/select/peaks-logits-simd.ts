// Heatmap peaks + top-K straight from logits: heat [h, w, c] NHWC logits -> exactly what
// heatmapPeaksNhwc returns for sigmoidF32(heat) (scores are the probabilities), without computing
// the sigmoid of the whole map. Cells are pre-filtered in logit space: once the heap is full, a
// cell whose logit is at most the worst kept peak's logit minus a margin cannot beat that peak's
// probability. The margin covers the computed sigmoid's rounding: for v >= 0 it is 1 / (1 + e)
// with e = exp(-v) (~1 ulp) and IEEE add and divide, monotone once e moves by more than its error,
// as it does (by a factor e^margin) over the margin; for v < 0, e * r with ~3 ulp in all, while
// the true sigmoid grows by a factor >= e^(margin / 2). Every cell that passes gets the exact
// treatment: its sigmoid and its neighbours' through the same sigmoidV lanes, compared as
// heatmapPeaksNhwc compares probabilities. The filter stays off while the worst kept logit is
// below -80 (exp near the denormals, where those error bounds fail). A candidate group of 4 cells
// whose every cell has a neighbour with a logit larger by more than NEIGHBOUR_MARGIN (and its own
// logit where that surely means a larger probability) is no peak, and skips the neighbours'
// sigmoids: most candidates lie on a slope (on the decode bench's heatmap this kernel alone takes
// 1.32-1.42 ms against 1.53-1.65 ms without the test, the two builds interleaved in one process).
// Returns how many peaks it found (<= k); the caller completes a short answer as for
// heatmapPeaksNhwc, from the sigmoid of the map.
import { heapOffer, heapSortBestFirst } from './heap';
import { sigmoid4, windowMax } from './window-max';

/** A logit step over which the computed sigmoid is surely monotone (see above: 1e-6 would do). */
const LOGIT_MARGIN: f32 = 1e-3;
/** Below this worst kept logit the pre-filter is off. */
const FILTER_FLOOR: f32 = -80;

/** The exact probability of one cell: lane 0 of the 4-lane sigmoid, as sigmoidF32 computes every element. */
// @ts-ignore: decorator
@inline
function sigmoid1(v: f32): f32 {
  return f32x4.extract_lane(sigmoid4(f32x4.splat(v)), 0);
}

export function heatmapPeaksLogitsNhwc(heat: usize, h: i32, w: i32, c: i32, kernel: i32, k: i32, outScores: usize, outIndices: usize): i32 {
  const r = kernel >> 1;
  const pixelBytes = <usize>c << 2;
  const rowBytes = <usize>w * pixelBytes;
  let size = 0;
  let thr: f32 = 0; // probabilities must beat this (the heap's worst once full)
  let tl: f32 = -Infinity; // logits must beat this to be looked at
  let t = f32x4.splat(thr);
  let tlv = f32x4.splat(tl);
  for (let y = 0; y < h; y++) {
    const y0 = max<i32>(y - r, 0);
    const y1 = min<i32>(y + r, h - 1);
    for (let x = 0; x < w; x++) {
      const x0 = max<i32>(x - r, 0);
      const x1 = min<i32>(x + r, w - 1);
      const pix = heat + <usize>y * rowBytes + <usize>x * pixelBytes;
      const corner = heat + <usize>y0 * rowBytes + <usize>x0 * pixelBytes;
      const base = (y * w + x) * c;
      let ch = 0;
      while (ch + 4 <= c) {
        if (ch + 16 <= c) {
          const p = pix + (<usize>ch << 2);
          const any = v128.or(
            v128.or(f32x4.gt(v128.load(p), tlv), f32x4.gt(v128.load(p, 16), tlv)),
            v128.or(f32x4.gt(v128.load(p, 32), tlv), f32x4.gt(v128.load(p, 48), tlv)),
          );
          if (!v128.any_true(any)) {
            ch += 16;
            continue;
          }
        }
        const o = <usize>ch << 2;
        const lv = v128.load(pix + o);
        const candidates = f32x4.gt(lv, tlv);
        if (v128.any_true(candidates) && !surelyNoPeak(lv, candidates, corner + o, y1 - y0, x1 - x0, rowBytes, pixelBytes)) {
          const v = sigmoid4(lv);
          const above = f32x4.gt(v, t);
          if (v128.any_true(above)) {
            const m = windowMax(v, corner + o, y1 - y0, x1 - x0, rowBytes, pixelBytes, true);
            let bits = i32x4.bitmask(v128.and(above, f32x4.eq(v, m)));
            while (bits != 0) {
              const lane = ctz<i32>(bits);
              bits &= bits - 1;
              const s = sigmoid1(load<f32>(pix + o + (<usize>lane << 2)));
              if (s > thr) {
                size = heapOffer(outScores, outIndices, size, k, s, base + ch + lane);
                if (size == k) {
                  thr = load<f32>(outScores);
                  tl = worstLogit(heat, outIndices);
                }
              }
            }
            t = f32x4.splat(thr);
            tlv = f32x4.splat(tl);
          }
        }
        ch += 4;
      }
      for (; ch < c; ch++) {
        const o = <usize>ch << 2;
        const l = load<f32>(pix + o);
        if (!(l > tl)) continue;
        const s = sigmoid1(l);
        if (!(s > thr)) continue;
        let m = s;
        for (let yy = y0; yy <= y1; yy++) {
          let q = corner + <usize>(yy - y0) * rowBytes + o;
          for (let xx = x0; xx <= x1; xx++) {
            m = max<f32>(m, sigmoid1(load<f32>(q)));
            q += pixelBytes;
          }
        }
        if (s == m) {
          size = heapOffer(outScores, outIndices, size, k, s, base + ch);
          if (size == k) {
            thr = load<f32>(outScores);
            tl = worstLogit(heat, outIndices);
          }
          t = f32x4.splat(thr);
          tlv = f32x4.splat(tl);
        }
      }
    }
  }
  heapSortBestFirst(outScores, outIndices, size);
  return size;
}

/** A neighbour whose logit beats a cell's by this much has a surely larger computed sigmoid (while the cell's logit is in the range below). */
const NEIGHBOUR_MARGIN: f32 = 0.25;
/**
 * The cell logits for which NEIGHBOUR_MARGIN holds strictly: above FILTER_FLOOR (the error bounds
 * above), and below 8, where 1 - sigmoid > 3.3e-4, so a step of 0.25 moves the probability by
 * >= 4e-5, hundreds of its ulps; nearer saturation two logits 0.25 apart can round to the same
 * probability, and equal neighbours are both peaks.
 */
const NEIGHBOUR_CEILING: f32 = 8;

/**
 * True when none of the 4 cells at `lv` can be a peak: each candidate has a neighbour (in the
 * kernel window whose top-left is `corner`, rows 0..dy, columns 0..dx) whose logit beats its own
 * by more than NEIGHBOUR_MARGIN, with its own logit in the range where that surely means a larger probability.
 * A cheap test in logit space before the neighbours' sigmoids: most candidates near a strong peak
 * are its slopes. False sends the cells to the exact test, which alone decides.
 */
// @ts-ignore: decorator
@inline
function surelyNoPeak(lv: v128, candidates: v128, corner: usize, dy: i32, dx: i32, rowBytes: usize, pixelBytes: usize): bool {
  const ml = windowMax(lv, corner, dy, dx, rowBytes, pixelBytes, false);
  // FILTER_FLOOR < lv < NEIGHBOUR_CEILING as one compare: |lv - centre| < half the range (false for NaN)
  const centre: f32 = (FILTER_FLOOR + NEIGHBOUR_CEILING) / 2;
  const inRange = f32x4.lt(f32x4.abs(f32x4.sub(lv, f32x4.splat(centre))), f32x4.splat(NEIGHBOUR_CEILING - centre));
  const beaten = v128.and(f32x4.gt(ml, f32x4.add(lv, f32x4.splat(NEIGHBOUR_MARGIN))), inRange);
  // a lane below the logit threshold is no candidate (the pre-filter above): only the others must be beaten
  return i32x4.all_true(v128.or(beaten, v128.not(candidates)));
}

/** The pre-filter's bound from the heap's root (its worst peak): that peak's logit minus the margin, or -infinity near the denormals. */
// @ts-ignore: decorator
@inline
function worstLogit(heat: usize, outIndices: usize): f32 {
  const l = load<f32>(heat + (<usize>load<i32>(outIndices) << 2));
  return l > FILTER_FLOOR ? l - LOGIT_MARGIN : -Infinity;
}
