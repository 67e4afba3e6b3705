// Model loading on the kernels (a cold create() runs these before the JavaScript JIT warms up):
// the F16 decoder against the definition (f16BitsToF32) on all 65,536 half patterns, and batch
// norm folded by the affine kernel against the fold written out element by element, and its factors
// (bnFoldF32) against the JavaScript spec bit for bit.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadKernels } from '../helpers/kernels.js';
import { randomF32 } from '../helpers/random.js';
import { wasmF16Decoder } from '../../runtime/wasm/f16.js';
import { f16BitsToF32 } from '../../runtime/weights/f16.js';
import { bnScaleShift, foldBatchNorm, foldBatchNormForPacking } from '../../runtime/engine/fold.js';
import { BN_EPS, type ConvNode, type DeconvNode } from '../../runtime/model/graph.js';

const bitsOf = (x: number) => new Uint32Array(Float32Array.of(x).buffer)[0];

test('decodeF16 (wasm): every half pattern equals f16BitsToF32 bit for bit (NaN stays NaN), any length', async () => {
  const kn = await loadKernels();
  const all = new Uint16Array(65536).map((_, i) => i);
  const decode = wasmF16Decoder(kn);
  const before = kn.heap.allocatedBytes;
  // lengths around the kernel's 8-value step, and offsets that leave a tail
  for (const [start, n] of [[0, 65536], [3, 65533], [0, 7], [9, 1], [100, 0], [65520, 16], [65521, 15]]) {
    const half = all.slice(start, start + n);
    const got = decode(new Uint8Array(half.buffer), n);
    assert.is(got.length, n);
    for (let i = 0; i < n; i++) {
      const want = f16BitsToF32(half[i]);
      if (Number.isNaN(want)) assert.ok(Number.isNaN(got[i]), `0x${half[i].toString(16)}: ${got[i]}, want NaN`);
      else assert.is(bitsOf(got[i]), bitsOf(want), `0x${half[i].toString(16)}: ${got[i]}, want ${want}`);
    }
  }
  assert.is(kn.heap.allocatedBytes, before, 'the decoder released its kernel memory');
  assert.throws(() => decode(new Uint8Array(6), 4), /6 bytes do not hold 4 half values/);
});

/** Batch-norm parameters for `cout` channels and a weight with zeros of both signs among random values. */
function layer(size: number, cout: number, seed: number, withBias: boolean): Map<string, Float32Array> {
  const w = randomF32(size, seed, -2, 2);
  w[0] = -0;
  w[1] = 0;
  const p = new Map<string, Float32Array>([
    ['weight', w],
    ['bn.weight', randomF32(cout, seed + 1, -1.5, 1.5)],
    ['bn.bias', randomF32(cout, seed + 2, -1, 1)],
    ['bn.running_mean', randomF32(cout, seed + 3, -1, 1)],
    ['bn.running_var', randomF32(cout, seed + 4, 0, 3)],
  ]);
  if (withBias) p.set('bias', randomF32(cout, seed + 5, -1, 1));
  return p;
}

/** scale of output channel c, as PyTorch's eval-mode BatchNorm2d defines it. */
const scaleOf = (p: Map<string, Float32Array>, c: number) => Math.fround(p.get('bn.weight')![c] / Math.sqrt(p.get('bn.running_var')![c] + BN_EPS));

test('foldBatchNorm on the kernels: conv (HWIO) and deconv weights, groups 1 and > 1, equal the element-wise definition bit for bit', async () => {
  const kn = await loadKernels();
  const base = { name: 'l', inputs: ['input'], stride: 1, pad: 1, bn: true, act: 'relu' as const };
  const cases: [ConvNode | DeconvNode, (i: number) => number][] = [];
  // conv HWIO [kh, kw, cin/groups, cout]: element i feeds output channel i % cout
  for (const [cin, cout, groups] of [[5, 7, 1], [8, 12, 4], [3, 1, 1]]) {
    cases.push([{ ...base, op: 'conv', cin, cout, kernel: 3, dilation: 1, groups, bias: cout === 7 }, (i) => i % cout]);
  }
  // deconv [kh, kw, cout/groups, cin]: element (o, ci) feeds (ci's group) * cout/groups + o
  for (const [cin, cout, groups] of [[6, 5, 1], [8, 8, 8], [6, 4, 2]]) {
    const coutG = cout / groups;
    const cinG = cin / groups;
    cases.push([{ ...base, op: 'deconv', cin, cout, kernel: 4, stride: 2, outputPadding: 0, groups, bias: groups === 2 }, (i) => {
      const ci = i % cin;
      const o = Math.floor(i / cin) % coutG;
      return Math.floor(ci / cinG) * coutG + o;
    }]);
  }
  const before = kn.heap.allocatedBytes;
  cases.forEach(([node, channelOf], k) => {
    const size = node.op === 'conv' ? node.kernel * node.kernel * (node.cin / node.groups) * node.cout : node.kernel * node.kernel * (node.cout / node.groups) * node.cin;
    const p = layer(size, node.cout, 10 * k + 1, node.bias);
    const param = (s: string) => p.get(s)!;
    const folded = foldBatchNorm(node, param, kn);
    const plain = foldBatchNorm(node, param);
    const w = p.get('weight')!;
    for (let i = 0; i < size; i++) {
      const want = Math.fround(w[i] * scaleOf(p, channelOf(i)));
      assert.is(bitsOf(folded.weight[i]), bitsOf(want), `${node.op} case ${k} element ${i}: ${folded.weight[i]} vs ${want}`);
      assert.is(bitsOf(plain.weight[i]), bitsOf(want), `${node.op} case ${k} element ${i} without kernels`);
    }
    for (let c = 0; c < node.cout; c++) {
      const s = scaleOf(p, c);
      // (b - running_mean) * scale + beta, to f32 rounding (the order of the roundings is the fold's own)
      const want = ((node.bias ? p.get('bias')![c] : 0) - p.get('bn.running_mean')![c]) * s + p.get('bn.bias')![c];
      assert.ok(Math.abs(folded.bias[c] - want) <= 1e-6 * Math.max(1, Math.abs(want)), `${node.op} case ${k} bias ${c}: ${folded.bias[c]} vs ${want}`);
    }
    assert.is(w[0], -0, 'the source weights are not modified');
  });
  assert.is(kn.heap.allocatedBytes, before, 'the fold released its kernel memory');
});

/** Batch-norm parameters with the awkward values among random ones: a variance of 0 and of 1e30, gamma 0, -0 and subnormal, signed zeros. */
function awkwardBn(cout: number, seed: number): Map<string, Float32Array> {
  const p = layer(1, cout, seed, true);
  const [gamma, beta, mean, variance, bias] = ['bn.weight', 'bn.bias', 'bn.running_mean', 'bn.running_var', 'bias'].map((k) => p.get(k)!);
  variance[0] = 0;
  variance[1] = 1e30;
  gamma[2] = 0;
  gamma[3] = -0;
  gamma[4] = 1e-40;
  mean[5] = -0;
  beta[5] = -0;
  bias[6] = -0;
  mean[7] = 3e38;
  return p;
}

test('bnFoldF32 (wasm): scale, shift and the folded bias equal the JavaScript fold bit for bit, with and without a bias', async () => {
  const kn = await loadKernels();
  const before = kn.heap.allocatedBytes;
  for (const [cout, seed] of [[1, 3], [8, 5], [67, 7]]) {
    const p = cout >= 8 ? awkwardBn(cout, seed) : layer(1, cout, seed, true);
    const param = (s: string) => p.get(s)!;
    const wasm = bnScaleShift(param, 'bn.', cout, kn);
    const js = bnScaleShift(param, 'bn.', cout);
    for (let c = 0; c < cout; c++) {
      assert.is(bitsOf(wasm.scale[c]), bitsOf(js.scale[c]), `cout ${cout} scale ${c}: ${wasm.scale[c]} vs ${js.scale[c]}`);
      assert.is(bitsOf(wasm.shift[c]), bitsOf(js.shift[c]), `cout ${cout} shift ${c}: ${wasm.shift[c]} vs ${js.shift[c]}`);
    }
    for (const bias of [true, false]) {
      const node: ConvNode = { name: 'l', inputs: ['input'], op: 'conv', cin: 4, cout, kernel: 1, stride: 1, pad: 0, dilation: 1, groups: 1, bias, bn: true, act: 'none' };
      const w = new Float32Array(4 * cout);
      const a = foldBatchNormForPacking(node, param, w, kn);
      const b = foldBatchNormForPacking(node, param, w);
      for (let c = 0; c < cout; c++) {
        assert.is(bitsOf(a.bias[c]), bitsOf(b.bias[c]), `cout ${cout} bias ${bias} channel ${c}: ${a.bias[c]} vs ${b.bias[c]}`);
        assert.is(bitsOf(a.columnScale![c]), bitsOf(b.columnScale![c]));
      }
      // the plain definition, for a value the awkward ones do not reach (channel cout - 1)
      const c = cout - 1;
      const s = scaleOf(p, c);
      const want = Math.fround((bias ? p.get('bias')![c] : 0) * s + Math.fround(p.get('bn.bias')![c] - p.get('bn.running_mean')![c] * s));
      assert.is(bitsOf(a.bias[c]), bitsOf(want), `cout ${cout} bias ${bias}: the definition`);
    }
  }
  // the grouped deconv's factors, copied as bits: the same with and without the kernels
  const deconv: DeconvNode = { name: 'l', inputs: ['input'], op: 'deconv', cin: 6, cout: 4, kernel: 4, stride: 2, pad: 1, outputPadding: 0, groups: 2, bias: false, bn: true, act: 'relu' };
  const p = layer(1, 4, 9, false);
  const param = (s: string) => p.get(s)!;
  const w = new Float32Array(16 * 2 * 6);
  assert.equal([...foldBatchNormForPacking(deconv, param, w, kn).columnScale!].map(bitsOf), [...foldBatchNormForPacking(deconv, param, w).columnScale!].map(bitsOf));
  p.set('bn.running_var', new Float32Array(3));
  assert.throws(() => bnScaleShift(param, 'bn.', 4, kn), /batch norm fold: bn\.running_var has 3 values, expected 4/);
  assert.is(kn.heap.allocatedBytes, before, 'the fold released its kernel memory');
});

test.run();
