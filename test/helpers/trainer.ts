// Helpers for the trainer tests: pick a TensorFlow.js backend through the trainer's own selection
// (silently) and put the previous one back afterwards, so suites that expect the cpu backend are
// not affected; plain-loop references that share no code with TensorFlow.js.
import * as tfCore from '@tensorflow/tfjs-core';
import { selectBackend, type BackendName, type TF } from '../../trainer/backend.js';

/** Runs fn with `name` selected, then re-selects the backend that was active before (cpu if none). */
export async function withBackend<T>(name: BackendName, fn: (tf: TF) => Promise<T> | T): Promise<T> {
  const before = tfCore.engine().backendName as string | null;
  const { tf } = await selectBackend(name, { log: () => {} });
  try {
    return await fn(tf);
  } finally {
    await tf.setBackend(before === 'wasm' ? 'wasm' : 'cpu');
  }
}

/** Direct-loop conv, NHWC x, HWIO w, symmetric zero padding, dilation and groups (PyTorch's Conv2d). */
export function convRef(
  x: Float32Array,
  [n, h, w, cin]: number[],
  wt: Float32Array,
  [k, , cinG, cout]: number[],
  o: { stride: number; pad: number; dilation: number; groups: number; bias?: Float32Array },
): { data: Float32Array; shape: number[] } {
  const span = o.dilation * (k - 1) + 1;
  const oh = Math.floor((h + 2 * o.pad - span) / o.stride) + 1;
  const ow = Math.floor((w + 2 * o.pad - span) / o.stride) + 1;
  const coutG = cout / o.groups;
  const out = new Float32Array(n * oh * ow * cout);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        for (let co = 0; co < cout; co++) {
          const g = Math.floor(co / coutG);
          let acc = o.bias ? o.bias[co] : 0;
          for (let ky = 0; ky < k; ky++) {
            const iy = oy * o.stride - o.pad + ky * o.dilation;
            if (iy < 0 || iy >= h) continue;
            for (let kx = 0; kx < k; kx++) {
              const ix = ox * o.stride - o.pad + kx * o.dilation;
              if (ix < 0 || ix >= w) continue;
              for (let ci = 0; ci < cinG; ci++) {
                acc += x[((b * h + iy) * w + ix) * cin + g * cinG + ci] * wt[((ky * k + kx) * cinG + ci) * cout + co];
              }
            }
          }
          out[((b * oh + oy) * ow + ox) * cout + co] = acc;
        }
      }
    }
  }
  return { data: out, shape: [n, oh, ow, cout] };
}

/** max |a - b| / max(|b|, floor) over two arrays of equal length. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-3): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), floor);
    if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
  }
  return worst;
}

/** Direct-loop PyTorch ConvTranspose2d, NHWC x, w [k, k, cout, cin]: out[y s - p + ky] += x[y] w[ky]. */
export function deconvRef(
  x: Float32Array,
  [n, h, w, cin]: number[],
  wt: Float32Array,
  [k, , cout]: number[],
  o: { stride: number; pad: number; outputPadding: number },
): { data: Float32Array; shape: number[] } {
  const oh = (h - 1) * o.stride - 2 * o.pad + k + o.outputPadding;
  const ow = (w - 1) * o.stride - 2 * o.pad + k + o.outputPadding;
  const out = new Float32Array(n * oh * ow * cout);
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < h; y++) {
      for (let xx = 0; xx < w; xx++) {
        for (let ky = 0; ky < k; ky++) {
          const oy = y * o.stride - o.pad + ky;
          if (oy < 0 || oy >= oh) continue;
          for (let kx = 0; kx < k; kx++) {
            const ox = xx * o.stride - o.pad + kx;
            if (ox < 0 || ox >= ow) continue;
            for (let co = 0; co < cout; co++) {
              let acc = 0;
              for (let ci = 0; ci < cin; ci++) acc += x[((b * h + y) * w + xx) * cin + ci] * wt[((ky * k + kx) * cout + co) * cin + ci];
              out[((b * oh + oy) * ow + ox) * cout + co] += acc;
            }
          }
        }
      }
    }
  }
  return { data: out, shape: [n, oh, ow, cout] };
}
