// Model loading on the kernels (a cold create() runs these before the JavaScript JIT warms up):
// the F16 decoder against the definition (f16BitsToF32) on all 65,536 half patterns, and batch
// norm folded by the affine kernel against the fold written out element by element.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadKernels } from '../helpers/kernels.js';
import { randomF32 } from '../helpers/random.js';
import { wasmF16Decoder } from '../../runtime/wasm/f16.js';
import { f16BitsToF32 } from '../../runtime/weights/f16.js';
import { foldBatchNorm } from '../../runtime/engine/fold.js';
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

test.run();
