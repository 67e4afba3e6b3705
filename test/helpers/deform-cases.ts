// DCNv2 cases for the fused sampling kernels' tests (trainer-webgpu-deform-conv on webgpu,
// trainer-deform-conv on cpu and wasm): random inputs of a geometry, the layer's output and the
// gradients of a random linear loss, on a given backend, fused kernels or the op-by-op form.
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import type { TF } from '../../trainer/backend.js';
import { deformConv2dTorch } from '../../trainer/layers/deform-conv.js';
import { randomF32 } from './random.js';

export interface Case {
  n: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
  k: number;
  stride: number;
  pad: number;
  dilation: number;
  /** offsets drawn in [-reach, reach]; integer: rounded */
  reach: number;
  integer?: boolean;
}

export const DEFORM_CASES: Case[] = [
  { n: 1, h: 9, w: 7, cin: 6, cout: 5, k: 3, stride: 1, pad: 1, dilation: 1, reach: 4 },
  { n: 2, h: 8, w: 10, cin: 4, cout: 9, k: 3, stride: 2, pad: 1, dilation: 1, reach: 4 },
  { n: 1, h: 7, w: 7, cin: 3, cout: 4, k: 3, stride: 1, pad: 2, dilation: 2, reach: 4 },
  { n: 1, h: 6, w: 5, cin: 17, cout: 3, k: 1, stride: 1, pad: 0, dilation: 1, reach: 4 },
  { n: 2, h: 12, w: 11, cin: 24, cout: 16, k: 3, stride: 1, pad: 1, dilation: 1, reach: 30 },
  { n: 1, h: 8, w: 8, cin: 5, cout: 6, k: 3, stride: 1, pad: 1, dilation: 1, reach: 3, integer: true },
  // 2,048 points: the weight's gradient contracts over >= 2,000 positions into a small output, where
  // tfjs-backend-webgpu's MatMul would split the sum with float atomics (not the same from run to run)
  { n: 2, h: 32, w: 32, cin: 8, cout: 4, k: 3, stride: 1, pad: 1, dilation: 1, reach: 2 },
  // 16 points, 2,304 column entries each, 16 outputs: a forward MatMul that tfjs-backend-webgpu would
  // split over its inner dimension the same way, unless the trainer's registration prevents it
  { n: 1, h: 4, w: 4, cin: 256, cout: 16, k: 3, stride: 1, pad: 1, dilation: 1, reach: 2 },
];

export interface DeformResult {
  y: Float32Array;
  grads: Float32Array[];
  kernels: string[];
}

/** y = dcn(x, offset, mask, w) and the gradients of sum(y * r) for x, w, offset, mask, on `tf`'s backend. */
export async function runDeformCase(tf: TF, c: Case, seed: number, opByOp: boolean): Promise<DeformResult> {
  const oh = Math.floor((c.h + 2 * c.pad - c.dilation * (c.k - 1) - 1) / c.stride) + 1;
  const ow = Math.floor((c.w + 2 * c.pad - c.dilation * (c.k - 1) - 1) / c.stride) + 1;
  const taps = c.k * c.k;
  const offsets = randomF32(c.n * oh * ow * 2 * taps, seed + 1, -c.reach, c.reach);
  const t4 = (data: Float32Array, shape: number[]) => tf.tensor4d(data, shape as [number, number, number, number]);
  const x = t4(randomF32(c.n * c.h * c.w * c.cin, seed), [c.n, c.h, c.w, c.cin]);
  const offset = t4(c.integer ? offsets.map(Math.round) : offsets, [c.n, oh, ow, 2 * taps]);
  const mask = t4(randomF32(c.n * oh * ow * taps, seed + 2, 0, 1), [c.n, oh, ow, taps]);
  const wt = t4(randomF32(taps * c.cin * c.cout, seed + 3), [c.k, c.k, c.cin, c.cout]);
  const r = t4(randomF32(c.n * oh * ow * c.cout, seed + 4), [c.n, oh, ow, c.cout]);
  const g = { stride: c.stride, pad: c.pad, dilation: c.dilation };
  const forward = (a: Tensor, o: Tensor, m: Tensor, b: Tensor) => deformConv2dTorch(tf, a as Tensor4D, o as Tensor4D, m as Tensor4D, b as Tensor4D, g, { opByOp });
  let y: Tensor | undefined;
  let grads: Tensor[] = [];
  const profile = await tf.profile(() => {
    y = forward(x, offset, mask, wt);
    grads = tf.grads((a: Tensor, b: Tensor, o: Tensor, m: Tensor) => tf.sum(tf.mul(forward(a, o, m, b), r)))([x, wt, offset, mask]);
  });
  const out = { y: (await y!.data()) as Float32Array, grads: await Promise.all(grads.map(async (t) => (await t.data()) as Float32Array)), kernels: profile.kernels.map((k) => k.name) };
  tf.dispose([x, offset, mask, wt, r, y!, ...grads]);
  return out;
}

/** Largest difference over the largest reference value. */
export function relativeError(got: Float32Array, want: Float32Array): number {
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < want.length; i++) {
    scale = Math.max(scale, Math.abs(want[i]));
    diff = Math.max(diff, Math.abs(got[i] - want[i]));
  }
  return got.length === want.length && scale > 0 ? diff / scale : Infinity;
}

