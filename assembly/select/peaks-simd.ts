// Heatmap peaks fused with top-K, NHWC: heat [h, w, c] -> the best k positive peaks, best first, as
// scores [k] and flat NHWC indices [k] ((y * w + x) * c + class); returns how many it found (<= k).
// A peak is a cell equal to the max of its kernel x kernel neighbourhood (peaks-scalar.ts). The
// pooled map is never built: the outputs are a min-heap of the best peaks so far, and a cell is
// pooled only when it beats the heap's worst score (0 until k peaks are in), 16 channels per test,
// so once the heap is full nearly every cell costs one vector compare.
// When fewer than k cells are positive peaks, the caller completes the answer from the mask
// (peaksMaskNhwc) and topKF32: DESIGN's top-K over `heat * (hmax == heat)` then also ranks the zeros.
import { heapOffer, heapSortBestFirst } from './heap';
import { windowMax } from './window-max';

export function heatmapPeaksNhwc(heat: usize, h: i32, w: i32, c: i32, kernel: i32, k: i32, outScores: usize, outIndices: usize): i32 {
  const r = kernel >> 1;
  const pixelBytes = <usize>c << 2;
  const rowBytes = <usize>w * pixelBytes;
  let size = 0;
  let thr: f32 = 0;
  let t = f32x4.splat(thr);
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
            v128.or(f32x4.gt(v128.load(p), t), f32x4.gt(v128.load(p, 16), t)),
            v128.or(f32x4.gt(v128.load(p, 32), t), f32x4.gt(v128.load(p, 48), t)),
          );
          if (!v128.any_true(any)) {
            ch += 16;
            continue;
          }
        }
        const o = <usize>ch << 2;
        const v = v128.load(pix + o);
        const above = f32x4.gt(v, t);
        if (v128.any_true(above)) {
          const m = windowMax(v, corner + o, y1 - y0, x1 - x0, rowBytes, pixelBytes, false);
          let bits = i32x4.bitmask(v128.and(above, f32x4.eq(v, m)));
          while (bits != 0) {
            const lane = ctz<i32>(bits);
            bits &= bits - 1;
            const s = load<f32>(pix + o + (<usize>lane << 2));
            // the heap may have moved on since `t` was splatted: offer re-checks against its root
            if (s > thr) {
              size = heapOffer(outScores, outIndices, size, k, s, base + ch + lane);
              if (size == k) thr = load<f32>(outScores);
            }
          }
          t = f32x4.splat(thr);
        }
        ch += 4;
      }
      for (; ch < c; ch++) {
        const o = <usize>ch << 2;
        const s = load<f32>(pix + o);
        if (!(s > thr)) continue;
        let m = s;
        for (let yy = y0; yy <= y1; yy++) {
          let q = corner + <usize>(yy - y0) * rowBytes + o;
          for (let xx = x0; xx <= x1; xx++) {
            m = max<f32>(m, load<f32>(q));
            q += pixelBytes;
          }
        }
        if (s == m) {
          size = heapOffer(outScores, outIndices, size, k, s, base + ch);
          if (size == k) thr = load<f32>(outScores);
          t = f32x4.splat(thr);
        }
      }
    }
  }
  heapSortBestFirst(outScores, outIndices, size);
  return size;
}

/** peaksMaskNhwcScalar vectorised over channels: the fallback when fewer than k positive peaks exist. */
export function peaksMaskNhwc(heat: usize, h: i32, w: i32, c: i32, kernel: i32, out: usize): void {
  const r = kernel >> 1;
  const pixelBytes = <usize>c << 2;
  const rowBytes = <usize>w * pixelBytes;
  const zero = f32x4.splat(0);
  for (let y = 0; y < h; y++) {
    const y0 = max<i32>(y - r, 0);
    const y1 = min<i32>(y + r, h - 1);
    for (let x = 0; x < w; x++) {
      const x0 = max<i32>(x - r, 0);
      const x1 = min<i32>(x + r, w - 1);
      const off = <usize>y * rowBytes + <usize>x * pixelBytes;
      const corner = heat + <usize>y0 * rowBytes + <usize>x0 * pixelBytes;
      let ch = 0;
      for (; ch + 4 <= c; ch += 4) {
        const o = <usize>ch << 2;
        const v = v128.load(heat + off + o);
        let m = v;
        for (let yy = y0; yy <= y1; yy++) {
          let q = corner + <usize>(yy - y0) * rowBytes + o;
          for (let xx = x0; xx <= x1; xx++) {
            m = f32x4.max(m, v128.load(q));
            q += pixelBytes;
          }
        }
        v128.store(out + off + o, v128.bitselect(v, zero, f32x4.eq(v, m)));
      }
      for (; ch < c; ch++) {
        const o = <usize>ch << 2;
        const v = load<f32>(heat + off + o);
        let m = v;
        for (let yy = y0; yy <= y1; yy++) {
          let q = corner + <usize>(yy - y0) * rowBytes + o;
          for (let xx = x0; xx <= x1; xx++) {
            m = max<f32>(m, load<f32>(q));
            q += pixelBytes;
          }
        }
        store<f32>(out + off + o, v == m ? v : <f32>0);
      }
    }
  }
}
