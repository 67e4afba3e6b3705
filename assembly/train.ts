// The training module: kernels only the trainer runs (trainer/wasm-kernels/), in a module of its
// own beside the main one, so that the inference module stays within its size budget. Like the
// int8 module it imports the main module's memory and has no static data (scripts/build-wasm.mjs
// checks that), so its kernels work on the main heap's pointers.
//
// Batch norm in training mode, NHWC flattened to x [pixels, c]. The scalar spec is the JavaScript
// of trainer/model/batch-norm-kernels.ts (batchNormForward / batchNormBackward, what the cpu backend
// runs); these kernels compute the same float64 expressions in the same order, lane by lane, so they
// equal it bit for bit (test/train-kernels.test.ts). Channel counts that are not a multiple of 4
// take the scalar loop, which is the same arithmetic again.

import { zeroBytes } from './conv/memory';

// The conv weight gradients (direct, Winograd F(2x2, 3x3), depthwise, and the scalar spec) and the
// depthwise input gradients: only training runs them (trainer/wasm-kernels/weight-gradient.ts).
export { conv2dBackpropFilterScalar } from './conv/backprop-filter-scalar';
export { conv2dBackpropFilter, conv2dBackpropFilterRows } from './conv/backprop-filter';
export { conv2dBackpropFilterWinograd, conv2dBackpropFilterWinogradScratchBytes } from './conv/winograd';
export { depthwiseBackpropFilter } from './conv/depthwise-backprop-filter';
export { depthwiseBackpropInputScalar } from './conv/depthwise-backprop-input-scalar';
export { depthwiseBackpropInput } from './conv/depthwise-backprop-input';

/** Bytes of scratch both kernels need for `c` channels: six float64 vectors. */
export function batchNormScratchBytes(c: i32): i32 {
  return 6 * c * 8;
}

// @ts-ignore: decorator
@inline
function lo(v: v128): v128 {
  return f64x2.promote_low_f32x4(v);
}

// @ts-ignore: decorator
@inline
function hi(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
}

/** Two float64 pairs rounded to one f32x4 [a0, a1, b0, b1]. */
// @ts-ignore: decorator
@inline
function pack(a: v128, b: v128): v128 {
  return v128.shuffle<f32>(f32x4.demote_f64x2_zero(a), f32x4.demote_f64x2_zero(b), 0, 1, 4, 5);
}

/**
 * y = (x - mean) * gamma / sqrt(variance + eps) + beta, with the batch's mean and biased variance
 * (written to mean / variance, f32 [c]). gamma, beta f32 [c]; scratch: batchNormScratchBytes(c).
 */
export function batchNormTrainForward(x: usize, pixels: i32, c: i32, gamma: usize, beta: usize, eps: f64, y: usize, mean: usize, variance: usize, scratch: usize): void {
  const acc = scratch;
  const meanD = scratch + (<usize>c << 3);
  const scale = meanD + (<usize>c << 3);
  const betaD = scale + (<usize>c << 3);
  const n = <usize>pixels * c;
  zeroBytes(acc, <usize>c << 3);
  const simd = (c & 3) == 0;
  if (simd) {
    for (let i: usize = 0; i < n; i += c) {
      const px = x + (i << 2);
      for (let k: usize = 0; k < <usize>c; k += 4) {
        const v = v128.load(px + (k << 2));
        const a = acc + (k << 3);
        v128.store(a, f64x2.add(v128.load(a), lo(v)));
        v128.store(a + 16, f64x2.add(v128.load(a + 16), hi(v)));
      }
    }
  } else {
    for (let i: usize = 0; i < n; i += c) for (let k: usize = 0; k < <usize>c; k++) store<f64>(acc + (k << 3), load<f64>(acc + (k << 3)) + <f64>load<f32>(x + ((i + k) << 2)));
  }
  for (let k: usize = 0; k < <usize>c; k++) {
    const m = <f32>(load<f64>(acc + (k << 3)) / <f64>pixels);
    store<f32>(mean + (k << 2), m);
    store<f64>(meanD + (k << 3), <f64>m);
  }
  zeroBytes(acc, <usize>c << 3);
  if (simd) {
    for (let i: usize = 0; i < n; i += c) {
      const px = x + (i << 2);
      for (let k: usize = 0; k < <usize>c; k += 4) {
        const v = v128.load(px + (k << 2));
        const a = acc + (k << 3);
        const m = meanD + (k << 3);
        const d0 = f64x2.sub(lo(v), v128.load(m));
        const d1 = f64x2.sub(hi(v), v128.load(m + 16));
        v128.store(a, f64x2.add(v128.load(a), f64x2.mul(d0, d0)));
        v128.store(a + 16, f64x2.add(v128.load(a + 16), f64x2.mul(d1, d1)));
      }
    }
  } else {
    for (let i: usize = 0; i < n; i += c) {
      for (let k: usize = 0; k < <usize>c; k++) {
        const d = <f64>load<f32>(x + ((i + k) << 2)) - load<f64>(meanD + (k << 3));
        store<f64>(acc + (k << 3), load<f64>(acc + (k << 3)) + d * d);
      }
    }
  }
  for (let k: usize = 0; k < <usize>c; k++) {
    const v = <f32>(load<f64>(acc + (k << 3)) / <f64>pixels);
    store<f32>(variance + (k << 2), v);
    store<f64>(scale + (k << 3), <f64>load<f32>(gamma + (k << 2)) / Math.sqrt(<f64>v + eps));
    store<f64>(betaD + (k << 3), <f64>load<f32>(beta + (k << 2)));
  }
  if (simd) {
    for (let i: usize = 0; i < n; i += c) {
      const px = x + (i << 2);
      const py = y + (i << 2);
      for (let k: usize = 0; k < <usize>c; k += 4) {
        const v = v128.load(px + (k << 2));
        const o = k << 3;
        const y0 = f64x2.add(f64x2.mul(f64x2.sub(lo(v), v128.load(meanD + o)), v128.load(scale + o)), v128.load(betaD + o));
        const y1 = f64x2.add(f64x2.mul(f64x2.sub(hi(v), v128.load(meanD + o + 16)), v128.load(scale + o + 16)), v128.load(betaD + o + 16));
        v128.store(py + (k << 2), pack(y0, y1));
      }
    }
  } else {
    for (let i: usize = 0; i < n; i += c) {
      for (let k: usize = 0; k < <usize>c; k++) {
        const o = k << 3;
        store<f32>(y + ((i + k) << 2), <f32>((<f64>load<f32>(x + ((i + k) << 2)) - load<f64>(meanD + o)) * load<f64>(scale + o) + load<f64>(betaD + o)));
      }
    }
  }
}

/**
 * The gradient of batchNormTrainForward: dy, x [pixels, c], the forward's mean and variance and
 * gamma (f32 [c]) -> dx [pixels, c], dGamma and dBeta (f32 [c]). scratch: batchNormScratchBytes(c).
 */
export function batchNormTrainBackward(
  dy: usize, x: usize, pixels: i32, c: i32, mean: usize, variance: usize, gamma: usize, eps: f64,
  dx: usize, dGamma: usize, dBeta: usize, scratch: usize,
): void {
  const sumDy = scratch;
  const sumDyXc = sumDy + (<usize>c << 3);
  const meanD = sumDyXc + (<usize>c << 3);
  const ca = meanD + (<usize>c << 3);
  const cb = ca + (<usize>c << 3);
  const cd = cb + (<usize>c << 3);
  const n = <usize>pixels * c;
  zeroBytes(sumDy, <usize>c << 4);
  for (let k: usize = 0; k < <usize>c; k++) store<f64>(meanD + (k << 3), <f64>load<f32>(mean + (k << 2)));
  const simd = (c & 3) == 0;
  if (simd) {
    for (let i: usize = 0; i < n; i += c) {
      const pg = dy + (i << 2);
      const px = x + (i << 2);
      for (let k: usize = 0; k < <usize>c; k += 4) {
        const g = v128.load(pg + (k << 2));
        const v = v128.load(px + (k << 2));
        const o = k << 3;
        const g0 = lo(g);
        const g1 = hi(g);
        v128.store(sumDy + o, f64x2.add(v128.load(sumDy + o), g0));
        v128.store(sumDy + o + 16, f64x2.add(v128.load(sumDy + o + 16), g1));
        v128.store(sumDyXc + o, f64x2.add(v128.load(sumDyXc + o), f64x2.mul(g0, f64x2.sub(lo(v), v128.load(meanD + o)))));
        v128.store(sumDyXc + o + 16, f64x2.add(v128.load(sumDyXc + o + 16), f64x2.mul(g1, f64x2.sub(hi(v), v128.load(meanD + o + 16)))));
      }
    }
  } else {
    for (let i: usize = 0; i < n; i += c) {
      for (let k: usize = 0; k < <usize>c; k++) {
        const o = k << 3;
        const g = <f64>load<f32>(dy + ((i + k) << 2));
        store<f64>(sumDy + o, load<f64>(sumDy + o) + g);
        store<f64>(sumDyXc + o, load<f64>(sumDyXc + o) + g * (<f64>load<f32>(x + ((i + k) << 2)) - load<f64>(meanD + o)));
      }
    }
  }
  const p = <f64>pixels;
  for (let k: usize = 0; k < <usize>c; k++) {
    const o = k << 3;
    const invStd = 1 / Math.sqrt(<f64>load<f32>(variance + (k << 2)) + eps);
    const s = load<f64>(sumDy + o);
    const sx = load<f64>(sumDyXc + o);
    store<f32>(dBeta + (k << 2), <f32>s);
    store<f32>(dGamma + (k << 2), <f32>(sx * invStd));
    const a = <f64>load<f32>(gamma + (k << 2)) * invStd;
    store<f64>(ca + o, a);
    store<f64>(cb + o, (-a * sx * invStd * invStd) / p);
    store<f64>(cd + o, (-a * s) / p);
  }
  if (simd) {
    for (let i: usize = 0; i < n; i += c) {
      const pg = dy + (i << 2);
      const px = x + (i << 2);
      const pd = dx + (i << 2);
      for (let k: usize = 0; k < <usize>c; k += 4) {
        const g = v128.load(pg + (k << 2));
        const v = v128.load(px + (k << 2));
        const o = k << 3;
        const r0 = f64x2.add(f64x2.add(f64x2.mul(v128.load(ca + o), lo(g)), f64x2.mul(v128.load(cb + o), f64x2.sub(lo(v), v128.load(meanD + o)))), v128.load(cd + o));
        const r1 = f64x2.add(
          f64x2.add(f64x2.mul(v128.load(ca + o + 16), hi(g)), f64x2.mul(v128.load(cb + o + 16), f64x2.sub(hi(v), v128.load(meanD + o + 16)))),
          v128.load(cd + o + 16),
        );
        v128.store(pd + (k << 2), pack(r0, r1));
      }
    }
  } else {
    for (let i: usize = 0; i < n; i += c) {
      for (let k: usize = 0; k < <usize>c; k++) {
        const o = k << 3;
        const j = (i + k) << 2;
        store<f32>(dx + j, <f32>(load<f64>(ca + o) * <f64>load<f32>(dy + j) + load<f64>(cb + o) * (<f64>load<f32>(x + j) - load<f64>(meanD + o)) + load<f64>(cd + o)));
      }
    }
  }
}

// Corner pooling's gradient. The forward is the main module's cornerPoolNhwc (a running max along
// the scan); the spec of this backward is cornerPoolBackward in trainer/layers/corner-pool-kernels.ts.
// Each output's gradient goes to the maximum it took, the one found first from the edge the scan
// starts at (the argmax moves only on a strictly greater value: the official backward's rule).
// Directions as cornerPoolNhwc: 0 top, 1 left (scans from the far end), 2 bottom, 3 right.

/** Bytes of scratch cornerPoolBackward needs: a running max and its index per scan line. */
export function cornerPoolBackwardScratchBytes(w: i32, c: i32, dir: i32): i32 {
  const vertical = dir == 0 || dir == 2;
  return (vertical ? w * c : c) * 8;
}

/** dx [n, h, w, c] = the gradient of cornerPool(x, dir) for the output gradient dy. */
export function cornerPoolBackward(x: usize, dy: usize, n: i32, h: i32, w: i32, c: i32, dir: i32, dx: usize, scratch: usize): void {
  const vertical = dir == 0 || dir == 2;
  const reverse = dir == 0 || dir == 1;
  const len = vertical ? h : w;
  // the scan's neighbours are `inner` floats apart, and each step of the scan covers `inner` lines
  const inner: usize = vertical ? <usize>w * c : <usize>c;
  const outer = vertical ? n : n * h;
  const runMax = scratch;
  const argMax = scratch + (inner << 2);
  zeroBytes(dx, (<usize>n * h * w * c) << 2);
  for (let o = 0; o < outer; o++) {
    const base = <usize>o * len * inner;
    for (let i = 0; i < len; i++) {
      const t = reverse ? len - 1 - i : i;
      const row = base + <usize>t * inner;
      for (let k: usize = 0; k < inner; k++) {
        const v = load<f32>(x + ((row + k) << 2));
        if (i == 0 || v > load<f32>(runMax + (k << 2))) {
          store<f32>(runMax + (k << 2), v);
          store<i32>(argMax + (k << 2), t);
        }
        const at = dx + ((base + <usize>load<i32>(argMax + (k << 2)) * inner + k) << 2);
        store<f32>(at, load<f32>(at) + load<f32>(dy + ((row + k) << 2)));
      }
    }
  }
}

// Nearest up-sampling's gradient: dx [n, h, w, c] sums dy [n, h*f, w*f, c] over each f x f block,
// in float32, rows then columns (the order of the spec, upsampleNearestBackward in
// trainer/layers/upsample-kernels.ts); four channels at a time, the rest one by one.
export function upsampleNearestBackward(dy: usize, n: i32, h: i32, w: i32, c: i32, f: i32, dx: usize): void {
  const ow = <usize>w * f;
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const out = dx + ((((<usize>b * h + y) * w + x) * c) << 2);
        const first = dy + ((((<usize>b * h * f + <usize>y * f) * ow + <usize>x * f) * c) << 2);
        let ch: usize = 0;
        for (; ch + 4 <= <usize>c; ch += 4) {
          let acc = f32x4.splat(0);
          for (let i = 0; i < f; i++) {
            const row = first + ((<usize>i * ow * c + ch) << 2);
            for (let j = 0; j < f; j++) acc = f32x4.add(acc, v128.load(row + ((<usize>j * c) << 2)));
          }
          v128.store(out + (ch << 2), acc);
        }
        for (; ch < <usize>c; ch++) {
          let acc: f32 = 0;
          for (let i = 0; i < f; i++) {
            const row = first + ((<usize>i * ow * c + ch) << 2);
            for (let j = 0; j < f; j++) acc += load<f32>(row + ((<usize>j * c) << 2));
          }
          store<f32>(out + (ch << 2), acc);
        }
      }
    }
  }
}

/**
 * Max pooling's gradient (the spec: maxPoolBackward in trainer/layers/max-pool-kernels.ts), NHWC,
 * square window, -infinity padding: dx [n, h, w, c] = each window's dy added at the window's first
 * maximum in row-major order (a later equal value does not replace it), the windows in output
 * order, so overlapping windows add in the spec's order. dy [n, oh, ow, c]; dx is zeroed first.
 * Four channels at a time: the running maximum and its pixel index per lane, then one add per lane.
 */
export function maxPoolBackward(dy: usize, x: usize, n: i32, h: i32, w: i32, c: i32, kernel: i32, stride: i32, pad: i32, oh: i32, ow: i32, dx: usize): void {
  zeroBytes(dx, (<usize>n * h * w * c) << 2);
  const simdEnd = c & ~3;
  for (let b = 0; b < n; b++) {
    const image = <usize>b * h * w;
    for (let oy = 0; oy < oh; oy++) {
      const y0 = max<i32>(oy * stride - pad, 0);
      const y1 = min<i32>(oy * stride - pad + kernel, h);
      for (let ox = 0; ox < ow; ox++) {
        const x0 = max<i32>(ox * stride - pad, 0);
        const x1 = min<i32>(ox * stride - pad + kernel, w);
        const src = dy + ((((<usize>b * oh + oy) * ow + ox) * c) << 2);
        const first = y0 * w + x0;
        let ch = 0;
        for (; ch < simdEnd; ch += 4) {
          let m = v128.load(x + (((image + first) * c + ch) << 2));
          let at = i32x4.splat(first);
          for (let yy = y0; yy < y1; yy++) {
            for (let xx = x0; xx < x1; xx++) {
              const p = yy * w + xx;
              const v = v128.load(x + (((image + p) * c + ch) << 2));
              const more = f32x4.gt(v, m);
              m = v128.bitselect(v, m, more);
              at = v128.bitselect(i32x4.splat(p), at, more);
            }
          }
          const g = v128.load(src + (<usize>ch << 2));
          addAt(dx, image, c, i32x4.extract_lane(at, 0), ch, f32x4.extract_lane(g, 0));
          addAt(dx, image, c, i32x4.extract_lane(at, 1), ch + 1, f32x4.extract_lane(g, 1));
          addAt(dx, image, c, i32x4.extract_lane(at, 2), ch + 2, f32x4.extract_lane(g, 2));
          addAt(dx, image, c, i32x4.extract_lane(at, 3), ch + 3, f32x4.extract_lane(g, 3));
        }
        for (; ch < c; ch++) {
          let m = load<f32>(x + (((image + first) * c + ch) << 2));
          let at = first;
          for (let yy = y0; yy < y1; yy++) {
            for (let xx = x0; xx < x1; xx++) {
              const p = yy * w + xx;
              const v = load<f32>(x + (((image + p) * c + ch) << 2));
              if (v > m) {
                m = v;
                at = p;
              }
            }
          }
          addAt(dx, image, c, at, ch, load<f32>(src + (<usize>ch << 2)));
        }
      }
    }
  }
}

// @ts-ignore: decorator
@inline
function addAt(dx: usize, image: usize, c: i32, pixel: i32, ch: i32, g: f32): void {
  const a = dx + (((image + <usize>pixel) * c + ch) << 2);
  store<f32>(a, load<f32>(a) + g);
}
