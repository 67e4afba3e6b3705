// The webgpu backend's conv weight gradients (trainer/webgpu-kernels/conv-backprop-filter.ts: a
// split-K tiled product, and depthwise-backprop-filter.ts, in place of tfjs-backend-webgpu's
// one-thread-per-weight kernels), run on
// whatever adapter Dawn finds (in CI a software one), against a direct six-loop reference: kernel
// sizes 1 to 7, strides 1 and 2, 'same', 'valid' and explicit padding, rows and channels that fill
// no tile exactly, positions cut into many chunks; and the same result from run to run.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Tensor } from '@tensorflow/tfjs-core';
import { selectBackend } from '../trainer/backend.js';
import { MAX_PARTIAL_BYTES, splitPositions } from '../trainer/webgpu-kernels/split-k.js';
import { randomF32 } from './helpers/random.js';

/** TensorFlow's 'same' or 'valid', or explicit [top and bottom, left and right] zero padding. */
type Pad = 'same' | 'valid' | [number, number];

/** dW[ky, kx, ci, co] = sum over n, oy, ox of x[n, oy*s + ky - top, ox*s + kx - left, ci] * dy[n, oy, ox, co], in float64. */
function weightGradientRef(x: Float32Array, [n, h, w, cin]: number[], dy: Float32Array, [, oh, ow, cout]: number[], k: number, stride: number, top: number, left: number): Float64Array {
  const out = new Float64Array(k * k * cin * cout);
  for (let ky = 0; ky < k; ky++) {
    for (let kx = 0; kx < k; kx++) {
      for (let ci = 0; ci < cin; ci++) {
        for (let co = 0; co < cout; co++) {
          let acc = 0;
          for (let b = 0; b < n; b++) {
            for (let oy = 0; oy < oh; oy++) {
              const iy = oy * stride + ky - top;
              if (iy < 0 || iy >= h) continue;
              for (let ox = 0; ox < ow; ox++) {
                const ix = ox * stride + kx - left;
                if (ix < 0 || ix >= w) continue;
                acc += x[((b * h + iy) * w + ix) * cin + ci] * dy[((b * oh + oy) * ow + ox) * cout + co];
              }
            }
          }
          out[((ky * k + kx) * cin + ci) * cout + co] = acc;
        }
      }
    }
  }
  return out;
}

/** The output size and top/left padding of TensorFlow's conv2d for `pad`. */
function geometry(size: number, k: number, stride: number, pad: 'same' | 'valid' | number): { out: number; before: number } {
  if (pad === 'valid') return { out: Math.floor((size - k) / stride) + 1, before: 0 };
  if (pad === 'same') {
    const out = Math.ceil(size / stride);
    return { out, before: Math.floor(Math.max(0, (out - 1) * stride + k - size) / 2) };
  }
  return { out: Math.floor((size + 2 * pad - k) / stride) + 1, before: pad };
}

/** The kernel's result (`run`) equals `want` within 1e-5 of its largest value, and a second run gives the same bits. */
async function expectReference(run: () => Promise<Float32Array>, want: Float64Array): Promise<void> {
  const got = await run();
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < want.length; i++) {
    scale = Math.max(scale, Math.abs(want[i]));
    diff = Math.max(diff, Math.abs(got[i] - want[i]));
  }
  assert.ok(scale > 0 && diff <= 1e-5 * scale, `max difference ${diff} against a largest value of ${scale}`);
  const again = await run();
  assert.ok(got.every((v, i) => Object.is(v, again[i])), 'the same bits from run to run');
}

const CASES: { x: [number, number, number, number]; k: number; cout: number; stride: number; pad: Pad }[] = [
  { x: [2, 9, 11, 5], k: 3, cout: 7, stride: 1, pad: 'same' },
  { x: [2, 33, 30, 3], k: 7, cout: 64, stride: 2, pad: [3, 3] },
  { x: [3, 40, 40, 70], k: 1, cout: 2, stride: 1, pad: 'valid' },
  { x: [1, 10, 10, 8], k: 4, cout: 16, stride: 2, pad: 'valid' },
  // 'same' with top 0, left 1
  { x: [2, 16, 15, 24], k: 3, cout: 80, stride: 2, pad: 'same' },
  { x: [2, 12, 12, 40], k: 3, cout: 66, stride: 1, pad: [1, 1] },
  { x: [2, 11, 12, 6], k: 3, cout: 5, stride: 1, pad: [2, 0] },
];

for (const c of CASES) {
  test(`weight gradient on webgpu, x ${c.x.join('x')}, ${c.k}x${c.k} -> ${c.cout}, stride ${c.stride}, pad ${JSON.stringify(c.pad)}: equals the direct sum`, async () => {
    const { tf } = await selectBackend('webgpu', { log: () => undefined });
    const kernel = tf.getKernel('Conv2DBackpropFilter', 'webgpu') as { anchorless?: boolean } | undefined;
    assert.ok(kernel?.anchorless, "the trainer's kernel is the one registered");
    const [n, h, w, cin] = c.x;
    const gy = geometry(h, c.k, c.stride, Array.isArray(c.pad) ? c.pad[0] : c.pad);
    const gx = geometry(w, c.k, c.stride, Array.isArray(c.pad) ? c.pad[1] : c.pad);
    const dyShape = [n, gy.out, gx.out, c.cout];
    const xData = randomF32(n * h * w * cin, 3);
    const dyData = randomF32(dyShape.reduce((a, b) => a * b, 1), 4);
    const run = async () => {
      const x = tf.tensor4d(xData, c.x);
      const dy = tf.tensor4d(dyData, dyShape as [number, number, number, number]);
      const pad = Array.isArray(c.pad) ? [[0, 0], [c.pad[0], c.pad[0]], [c.pad[1], c.pad[1]], [0, 0]] : c.pad;
      const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: [c.stride, c.stride], pad, dataFormat: 'NHWC', filterShape: [c.k, c.k, cin, c.cout] }) as Tensor;
      const values = (await dw.data()) as Float32Array;
      assert.equal(dw.shape, [c.k, c.k, cin, c.cout]);
      tf.dispose([x, dy, dw]);
      return values;
    };
    await expectReference(run, weightGradientRef(xData, c.x, dyData, dyShape, c.k, c.stride, gy.before, gx.before));
  });
}

/** Depthwise: dW[ky, kx, c, q] = sum of x[n, oy*s + ky*d - top, ox*s + kx*d - left, c] * dy[n, oy, ox, c*mul + q], in float64. */
function depthwiseGradientRef(x: Float32Array, [n, h, w, cin]: number[], dy: Float32Array, [oh, ow]: number[], k: number, mul: number, stride: number, dilation: number, top: number, left: number): Float64Array {
  const out = new Float64Array(k * k * cin * mul);
  for (let ky = 0; ky < k; ky++) {
    for (let kx = 0; kx < k; kx++) {
      for (let c = 0; c < cin; c++) {
        for (let q = 0; q < mul; q++) {
          let acc = 0;
          for (let b = 0; b < n; b++) {
            for (let oy = 0; oy < oh; oy++) {
              const iy = oy * stride + ky * dilation - top;
              if (iy < 0 || iy >= h) continue;
              for (let ox = 0; ox < ow; ox++) {
                const ix = ox * stride + kx * dilation - left;
                if (ix < 0 || ix >= w) continue;
                acc += x[((b * h + iy) * w + ix) * cin + c] * dy[((b * oh + oy) * ow + ox) * cin * mul + c * mul + q];
              }
            }
          }
          out[((ky * k + kx) * cin + c) * mul + q] = acc;
        }
      }
    }
  }
  return out;
}

const DEPTHWISE: { x: [number, number, number, number]; k: number; mul: number; stride: number; dilation: number; pad: Pad }[] = [
  { x: [2, 17, 19, 70], k: 3, mul: 1, stride: 1, dilation: 1, pad: 'same' },
  { x: [2, 16, 15, 24], k: 3, mul: 1, stride: 2, dilation: 1, pad: 'same' },
  { x: [1, 14, 13, 5], k: 3, mul: 2, stride: 1, dilation: 2, pad: 'valid' },
  { x: [3, 12, 12, 9], k: 5, mul: 1, stride: 1, dilation: 1, pad: [2, 1] },
];

for (const c of DEPTHWISE) {
  test(`depthwise weight gradient on webgpu, x ${c.x.join('x')}, ${c.k}x${c.k} x${c.mul}, stride ${c.stride}, dilation ${c.dilation}, pad ${JSON.stringify(c.pad)}: equals the direct sum`, async () => {
    const { tf } = await selectBackend('webgpu', { log: () => undefined });
    const kernel = tf.getKernel('DepthwiseConv2dNativeBackpropFilter', 'webgpu') as { anchorless?: boolean } | undefined;
    assert.ok(kernel?.anchorless, "the trainer's kernel is the one registered");
    const [n, h, w, cin] = c.x;
    const span = c.dilation * (c.k - 1) + 1;
    const gy = geometry(h, span, c.stride, Array.isArray(c.pad) ? c.pad[0] : c.pad);
    const gx = geometry(w, span, c.stride, Array.isArray(c.pad) ? c.pad[1] : c.pad);
    const dyShape: [number, number, number, number] = [n, gy.out, gx.out, cin * c.mul];
    const xData = randomF32(n * h * w * cin, 5);
    const dyData = randomF32(dyShape.reduce((a, b) => a * b, 1), 6);
    const run = async () => {
      const x = tf.tensor4d(xData, c.x);
      const dy = tf.tensor4d(dyData, dyShape);
      const pad = Array.isArray(c.pad) ? [[0, 0], [c.pad[0], c.pad[0]], [c.pad[1], c.pad[1]], [0, 0]] : c.pad;
      const attrs = { strides: [c.stride, c.stride], dilations: [c.dilation, c.dilation], pad, filterShape: [c.k, c.k, cin, c.mul] };
      const dw = tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, attrs as never) as Tensor;
      const values = (await dw.data()) as Float32Array;
      assert.equal(dw.shape, [c.k, c.k, cin, c.mul]);
      tf.dispose([x, dy, dw]);
      return values;
    };
    await expectReference(run, depthwiseGradientRef(xData, c.x, dyData, [gy.out, gx.out], c.k, c.mul, c.stride, c.dilation, gy.before, gx.before));
  });
}

test('the positions are cut into chunks that cover them once, of whole steps, with partials under the cap', () => {
  for (const [positions, workgroups, outputs, step] of [[1, 1, 1, 16], [4800, 2, 140, 16], [16 * 256 * 256, 3, 147 * 64, 16], [16 * 128 * 128, 9, 576 * 64, 16], [16 * 16 * 16, 576, 4608 * 512, 16], [1e6, 576, 4608 * 512, 16], [4 * 128 * 128, 18, 1152, 1]]) {
    const { chunkLen, chunks } = splitPositions(positions, workgroups, outputs, step);
    assert.ok(chunkLen % step === 0 && chunkLen >= 256, `chunk length ${chunkLen}`);
    assert.ok(chunks * chunkLen >= positions && (chunks - 1) * chunkLen < positions, `${chunks} chunks of ${chunkLen} for ${positions}`);
    assert.ok(chunks * outputs * 4 <= MAX_PARTIAL_BYTES || chunks === 1, `partials of ${chunks * outputs * 4} bytes`);
  }
});

test.after(async () => {
  // later suites in this process expect the cpu backend
  await (await selectBackend('cpu', { log: () => undefined })).tf.setBackend('cpu');
});

test.run();
