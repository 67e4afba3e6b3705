// The TypeScript weight-gradient kernels that replace tfjs-backend-cpu's: against a naive
// summation written from the definition, over strides, asymmetric 'same' padding, dilation,
// channel multipliers and inputs with many zeros (the kernels skip zero inputs).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { conv2dBackpropFilter, depthwiseBackpropFilter, type ConvGeometryInfo } from '../trainer/cpu-kernels/conv-backprop-filter.js';
import { randomF32 } from './helpers/random.js';
import { relErr } from './helpers/trainer.js';

type Shape4 = [number, number, number, number];

/** dw[ky, kx, ci, co] = sum_{n, oy, ox} x[n, iy, ix, ci] dy[n, oy, ox, co] over in-image (iy, ix); depthwise reads ci = co / mult. */
function naive(x: Float32Array, dy: Float32Array, g: ConvGeometryInfo, depthwise: boolean): Float64Array {
  const mult = g.outChannels / g.inChannels;
  const cols = depthwise ? mult : g.outChannels;
  const dw = new Float64Array(g.filterHeight * g.filterWidth * g.inChannels * cols);
  for (let ky = 0; ky < g.filterHeight; ky++)
    for (let kx = 0; kx < g.filterWidth; kx++)
      for (let n = 0; n < g.batchSize; n++)
        for (let oy = 0; oy < g.outHeight; oy++)
          for (let ox = 0; ox < g.outWidth; ox++) {
            const iy = oy * g.strideHeight - g.padInfo.top + ky * g.dilationHeight;
            const ix = ox * g.strideWidth - g.padInfo.left + kx * g.dilationWidth;
            if (iy < 0 || iy >= g.inHeight || ix < 0 || ix >= g.inWidth) continue;
            for (let co = 0; co < g.outChannels; co++) {
              const ci = depthwise ? Math.floor(co / mult) : -1;
              const v = dy[((n * g.outHeight + oy) * g.outWidth + ox) * g.outChannels + co];
              if (depthwise) dw[((ky * g.filterWidth + kx) * g.inChannels + ci) * mult + (co % mult)] += x[((n * g.inHeight + iy) * g.inWidth + ix) * g.inChannels + ci] * v;
              else for (let c = 0; c < g.inChannels; c++) dw[((ky * g.filterWidth + kx) * g.inChannels + c) * cols + co] += x[((n * g.inHeight + iy) * g.inWidth + ix) * g.inChannels + c] * v;
            }
          }
  return dw;
}

function sparse(n: number, seed: number): Float32Array {
  // ReLU-like: about half the values exactly 0.
  return randomF32(n, seed).map((v) => Math.max(0, v));
}

test('conv2dBackpropFilter equals the naive sum (stride 1 and 2, valid, same with asymmetric padding, batch 2)', () => {
  const cases: Array<[Shape4, Shape4, number, 'valid' | 'same' | number]> = [
    [[1, 5, 6, 3], [3, 3, 3, 4], 1, 'valid'],
    [[2, 7, 6, 4], [3, 3, 4, 5], 2, 'same'], // 'same' with stride 2 on even width: padding 0 left, 1 right
    [[2, 8, 8, 2], [4, 4, 2, 3], 2, 1],
    [[1, 4, 4, 6], [1, 1, 6, 2], 1, 0],
  ];
  cases.forEach(([xs, ws, s, pad], i) => {
    const g = tf.backend_util.computeConv2DInfo(xs, ws, s, 1, pad);
    const x = sparse(xs.reduce((a, b) => a * b, 1), i);
    const dy = randomF32(g.outShape.reduce((a, b) => a * b, 1), i + 10);
    const got = conv2dBackpropFilter(x, dy, g);
    assert.equal(got.length, ws.reduce((a, b) => a * b, 1));
    const e = relErr(got, naive(x, dy, g, false), 1e-3);
    assert.ok(e < 1e-6, `case ${i}: ${e}`);
  });
});

test('depthwiseBackpropFilter equals the naive sum (multipliers 1 and 2, stride 2, dilation 2)', () => {
  const cases: Array<[Shape4, Shape4, number, number, 'valid' | 'same' | number]> = [
    [[2, 6, 5, 4], [3, 3, 4, 1], 1, 1, 1],
    [[1, 7, 7, 3], [3, 3, 3, 2], 2, 1, 'same'],
    [[1, 9, 8, 2], [3, 3, 2, 2], 1, 2, 2],
  ];
  cases.forEach(([xs, ws, s, d, pad], i) => {
    const g = tf.backend_util.computeConv2DInfo(xs, ws, s, d, pad, undefined, true);
    const x = sparse(xs.reduce((a, b) => a * b, 1), 20 + i);
    const dy = randomF32(g.outShape.reduce((a, b) => a * b, 1), 30 + i);
    const got = depthwiseBackpropFilter(x, dy, g);
    assert.equal(got.length, ws.reduce((a, b) => a * b, 1));
    const e = relErr(got, naive(x, dy, g, true), 1e-3);
    assert.ok(e < 1e-6, `case ${i}: ${e}`);
  });
});

test.run();
