// deformConv2d (DCNv2): the PyTorch contract cases and torchvision edge cases (samples exactly on -1
// and H, far outside, non-square kernels) on the spec and the fast kernel, the fast kernel against
// the spec at sizes around the GEMM tile, zero offsets + mask 1 = conv2d, the plan-level call with
// mask logits, memory, and every validation error.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { conv2d } from '../../runtime/ops/conv.js';
import {
  deformConv2d, deformConv2dInto, deformConv2dOutputShape, packDeformConv2d, type DeformConv2dOptions,
} from '../../runtime/ops/deform-conv.js';
import type { Tensor } from '../../runtime/ops/tensor.js';
import { loadCases, tensorOf } from '../helpers/decode-fixtures.js';
import { loadKernels } from '../helpers/kernels.js';
import { randomF32, rng, scaleRelativeError } from '../helpers/random.js';

/** The acceptance measure: max |got - want| relative to the largest |want|. */
function expectClose(label: string, got: Tensor, want: Tensor, tol = 1e-4): void {
  assert.equal(got.shape, want.shape, `${label}: shape`);
  const err = scaleRelativeError(got.data, want.data);
  assert.ok(err <= tol, `${label}: max error ${err} relative to the output's largest magnitude > ${tol}`);
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

function contractOptions(c: Record<string, unknown>): DeformConv2dOptions {
  return { bias: tensorOf(c.bias), stride: c.stride as number, pad: padOf(c.pad), dilation: c.dilation as number };
}

/** torchvision's per-axis padding [py, px] as [top, bottom, left, right]. */
function padOf(p: unknown): number | [number, number, number, number] {
  if (Array.isArray(p)) return [p[0], p[0], p[1], p[1]];
  return p as number;
}

for (const file of ['deformConv2d', 'deformConv2d-edges']) {
  test(`deformConv2d: PyTorch cases in ${file}.json within 1e-4 (spec and fast kernel)`, async () => {
    await loadKernels();
    const cases = loadCases(file);
    assert.ok(cases.length >= 5);
    for (const [i, c] of cases.entries()) {
      const label = `${file} ${i}${c.name ? ` (${c.name})` : ''}`;
      const args = [tensorOf(c.x), tensorOf(c.offset), tensorOf(c.mask), tensorOf(c.w)] as const;
      const want = tensorOf(c.y);
      expectClose(`${label} scalar`, deformConv2d(...args, { ...contractOptions(c), kernel: 'scalar' }), want);
      expectClose(`${label} fast`, deformConv2d(...args, contractOptions(c)), want);
    }
  });
}

interface Case {
  name: string;
  x: [number, number, number, number];
  k: [number, number];
  cout: number;
  stride?: number;
  pad?: number;
  dilation?: number;
  relu?: boolean;
}

// below / at / above the 4-pixel x 8-channel tile and the 64-pixel block, channel tails (cin not a
// multiple of 4, cout not of 8), 1x1 and 3x3, stride 2, dilation 2, batch 2
const CASES: Case[] = [
  { name: '3x3 on one pixel', x: [1, 1, 1, 1], k: [3, 3], cout: 1, pad: 1 },
  { name: '3x3, 3 pixels, cin 3 cout 5', x: [1, 1, 3, 3], k: [3, 3], cout: 5, pad: 1 },
  { name: '3x3, 4 pixels (one tile), cin 4 cout 8', x: [1, 2, 2, 4], k: [3, 3], cout: 8, pad: 1, relu: true },
  { name: '3x3, 35 pixels, cin 7 cout 9', x: [1, 5, 7, 7], k: [3, 3], cout: 9, pad: 1 },
  { name: '3x3, 90 pixels (blocks of 64), cin 17 cout 19, ReLU', x: [1, 9, 10, 17], k: [3, 3], cout: 19, pad: 1, relu: true },
  { name: '3x3 batch 2, cin 5 cout 7', x: [2, 6, 5, 5], k: [3, 3], cout: 7, pad: 1 },
  { name: '3x3 stride 2, cin 6 cout 10', x: [1, 11, 9, 6], k: [3, 3], cout: 10, stride: 2, pad: 1 },
  { name: '3x3 dilation 2, pad 2, cin 9 cout 16', x: [1, 8, 9, 9], k: [3, 3], cout: 16, pad: 2, dilation: 2 },
  { name: '3x3 stride 2 + dilation 2, no pad', x: [1, 12, 11, 4], k: [3, 3], cout: 3, stride: 2, dilation: 2 },
  { name: '1x1, cin 3 cout 5', x: [1, 5, 6, 3], k: [1, 1], cout: 5 },
  { name: '1x1 stride 2, cin 13 cout 17', x: [1, 9, 7, 13], k: [1, 1], cout: 17, stride: 2, relu: true },
  { name: '3x3 cin 64 cout 40 (5 panels, 2 blocks)', x: [1, 10, 10, 64], k: [3, 3], cout: 40, pad: 1 },
  { name: '3x3 cin 300 (column buffer of a few pixels) cout 9', x: [1, 5, 6, 300], k: [3, 3], cout: 9, pad: 1 },
];

function outSize(c: Case): [number, number] {
  const [, h, w] = c.x;
  const s = c.stride ?? 1;
  const p = c.pad ?? 0;
  const d = c.dilation ?? 1;
  return [Math.floor((h + 2 * p - d * (c.k[0] - 1) - 1) / s) + 1, Math.floor((w + 2 * p - d * (c.k[1] - 1) - 1) / s) + 1];
}

/**
 * Offsets [n, oh, ow, 2kk]: mostly fractional in [-3, 3); about one in four lands the sample exactly
 * on -1, on H (or W), on an integer inside, or far outside (+-1e4), off every edge.
 */
function edgeOffsets(c: Case, seed: number): Tensor {
  const [n, h, w] = c.x;
  const [kh, kw] = c.k;
  const [oh, ow] = outSize(c);
  const s = c.stride ?? 1;
  const p = c.pad ?? 0;
  const d = c.dilation ?? 1;
  const r = rng(seed);
  const data = new Float32Array(n * oh * ow * 2 * kh * kw);
  let o = 0;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        for (let i = 0; i < kh; i++) {
          for (let j = 0; j < kw; j++) {
            for (const [base, size] of [[oy * s - p + i * d, h], [ox * s - p + j * d, w]]) {
              const pick = Math.floor(r() * 16);
              const targets = [-1, size, 0, size - 1, -1e4, 1e4];
              data[o++] = pick < targets.length ? targets[pick] - base : r() * 6 - 3;
            }
          }
        }
      }
    }
  }
  return { data, shape: [n, oh, ow, 2 * kh * kw] };
}

function inputs(c: Case, seed: number) {
  const [n, , , cin] = c.x;
  const [kh, kw] = c.k;
  const [oh, ow] = outSize(c);
  const x: Tensor = { data: randomF32(c.x.reduce((a, b) => a * b, 1), seed), shape: [...c.x] };
  const w: Tensor = { data: randomF32(kh * kw * cin * c.cout, seed + 1), shape: [kh, kw, cin, c.cout] };
  const offset = edgeOffsets(c, seed + 2);
  const mask: Tensor = { data: randomF32(n * oh * ow * kh * kw, seed + 3, 0, 1), shape: [n, oh, ow, kh * kw] };
  const opts: DeformConv2dOptions = {
    bias: randomF32(c.cout, seed + 4), stride: c.stride, pad: c.pad, dilation: c.dilation, activation: c.relu ? 'relu' : 'none',
  };
  return { x, w, offset, mask, opts };
}

test('deformConv2d: fast kernel equals the scalar spec (tile and block edges, channel tails, samples off every edge)', async () => {
  await loadKernels();
  for (const [i, c] of CASES.entries()) {
    const { x, w, offset, mask, opts } = inputs(c, 300 + i * 11);
    const spec = deformConv2d(x, offset, mask, w, { ...opts, kernel: 'scalar' });
    expectClose(c.name, deformConv2d(x, offset, mask, w, opts), spec);
  }
});

test('deformConv2d: samples exactly at -1 or H/W and far outside give 0; integer samples read one pixel', async () => {
  await loadKernels();
  // 1x1 kernel, one channel, identity weight: y = mask * sample
  const x: Tensor = { data: Float32Array.from({ length: 12 }, (_, i) => i + 1), shape: [1, 3, 4, 1] };
  const w: Tensor = { data: Float32Array.of(1), shape: [1, 1, 1, 1] };
  const at = (dy: number, dx: number, m = 1) => {
    const offset: Tensor = { data: new Float32Array(3 * 4 * 2), shape: [1, 3, 4, 2] };
    const mask: Tensor = { data: new Float32Array(12).fill(m), shape: [1, 3, 4, 1] };
    for (let p = 0; p < 12; p++) [offset.data[2 * p], offset.data[2 * p + 1]] = [dy, dx];
    return (['scalar', 'auto'] as const).map((kernel) => Array.from(deformConv2d(x, offset, mask, w, { kernel }).data));
  };
  for (const [spec, fast] of [at(0, 0)]) {
    assert.equal(spec, Array.from(x.data));
    assert.equal(fast, Array.from(x.data));
  }
  // pixel (0, 0) shifted by dy = -1 lands on -1 (0), by dy = 3 lands on H = 3 (0); by -1e6 far outside
  for (const [dy, dx] of [[-1, 0], [0, -1], [3, 0], [0, 4], [-1e6, 0], [0, 1e6], [NaN, 0]]) {
    for (const got of at(dy, dx)) assert.is(got[0], 0, `offset (${dy}, ${dx}) at pixel (0, 0)`);
  }
  // half a pixel up from row 0: half of the pixel, the neighbour above counts 0; times the mask
  for (const got of at(-0.5, 0, 0.5)) assert.ok(Math.abs(got[1] - 0.25 * 2) < 1e-6, `half sample ${got[1]}`);
  // a quarter right of (1, 1) = 6 and (1, 2) = 7: 6.25
  for (const got of at(0, 0.25)) assert.ok(Math.abs(got[5] - 6.25) < 1e-6, `quarter sample ${got[5]}`);
});

test('deformConv2d: zero offsets and mask 1 equal conv2d', async () => {
  await loadKernels();
  for (const [i, c] of CASES.entries()) {
    const { x, w, offset, mask, opts } = inputs(c, 700 + i * 5);
    offset.data.fill(0);
    mask.data.fill(1);
    const want = conv2d(x, w, { bias: opts.bias, stride: c.stride, pad: c.pad, dilation: c.dilation, activation: opts.activation, kernel: 'scalar' });
    expectClose(`${c.name} fast`, deformConv2d(x, offset, mask, w, opts), want);
    expectClose(`${c.name} spec`, deformConv2d(x, offset, mask, w, { ...opts, kernel: 'scalar' }), want);
  }
});

test('deformConv2dInto: conv_offset_mask output with mask logits equals the public op with sigmoid(mask)', async () => {
  const k = await loadKernels();
  const before = k.heap.allocatedBytes;
  for (const [i, c] of CASES.entries()) {
    const { x, w, offset, mask, opts } = inputs(c, 900 + i * 3);
    const [n, , , cin] = c.x;
    const kk = c.k[0] * c.k[1];
    const [oh, ow] = outSize(c);
    const logits = randomF32(mask.data.length, 901 + i, -6, 6);
    const offsetMask = new Float32Array(n * oh * ow * 3 * kk);
    for (let p = 0; p < n * oh * ow; p++) {
      offsetMask.set(offset.data.subarray(p * 2 * kk, (p + 1) * 2 * kk), p * 3 * kk);
      offsetMask.set(logits.subarray(p * kk, (p + 1) * kk), p * 3 * kk + 2 * kk);
    }
    const want = deformConv2d(x, offset, { data: logits.map(sigmoid), shape: mask.shape }, w, { ...opts, kernel: 'scalar' });
    const packed = packDeformConv2d(k, w.data, [c.k[0], c.k[1], cin, c.cout], { bias: opts.bias as Float32Array });
    const into = { stride: c.stride ?? 1, pad: c.pad ?? 0, dilation: c.dilation ?? 1, activation: opts.activation ?? 'none' };
    const shape = deformConv2dOutputShape(x.shape, packed, into);
    assert.equal(shape, want.shape);
    const size = shape.reduce((a, b) => a * b, 1);
    const xp = k.heap.allocF32(x.data);
    const omp = k.heap.allocF32(offsetMask);
    const outp = k.heap.alloc(size * 4);
    // twice on the same packed weights: nothing is allocated or kept between calls
    for (let run = 0; run < 2; run++) {
      assert.equal(deformConv2dInto(k, packed, xp, x.shape, omp, outp, into), shape);
      expectClose(`${c.name} run ${run}`, { data: k.heap.f32(outp, size).slice(), shape }, want);
    }
    [xp, omp, outp].forEach((p) => k.heap.release(p));
    packed.release();
    packed.release(); // idempotent
    assert.throws(() => deformConv2dInto(k, packed, xp, x.shape, omp, outp, into), /released/);
  }
  assert.is(k.heap.allocatedBytes, before);
  // the public op leaves nothing allocated either
  const { x, w, offset, mask, opts } = inputs(CASES[4], 5);
  deformConv2d(x, offset, mask, w, opts);
  deformConv2d(x, offset, mask, w, { ...opts, kernel: 'scalar' });
  assert.is(k.heap.allocatedBytes, before);
});

test('deform conv kernels: every export the TypeScript side declares exists in this build', async () => {
  const k = await loadKernels();
  for (const name of ['deformConv2dScalar', 'deformConv2dGemm', 'deformConv2dGemmScratchBytes'] as const) assert.type(k.exports[name], 'function', name);
  assert.ok(k.exports.deformConv2dGemmScratchBytes(512, 9) > 0);
});

test('deformConv2d: clear errors for bad input', async () => {
  const k = await loadKernels();
  const x: Tensor = { data: new Float32Array(1 * 5 * 5 * 4), shape: [1, 5, 5, 4] };
  const w: Tensor = { data: new Float32Array(3 * 3 * 4 * 8), shape: [3, 3, 4, 8] };
  const off: Tensor = { data: new Float32Array(5 * 5 * 18), shape: [1, 5, 5, 18] };
  const mask: Tensor = { data: new Float32Array(5 * 5 * 9), shape: [1, 5, 5, 9] };
  const o = { pad: 1 };
  const bad: [string, () => unknown, RegExp][] = [
    ['rank of x', () => deformConv2d({ data: new Float32Array(100), shape: [5, 5, 4] }, off, mask, w, o), /^deformConv2d: x must have rank 4/],
    ['offset type', () => deformConv2d(x, null as unknown as Tensor, mask, w, o), /offset must be a tensor/],
    ['mask data', () => deformConv2d(x, off, { data: new Float32Array(3), shape: [1, 5, 5, 9] }, w, o), /mask\.data has 3 elements/],
    ['channels', () => deformConv2d(x, off, mask, { data: new Float32Array(3 * 3 * 3 * 8), shape: [3, 3, 3, 8] }, o), /x has 4 channels but w \[3,3,3,8\]/],
    ['offset channels', () => deformConv2d(x, { data: new Float32Array(5 * 5 * 9), shape: [1, 5, 5, 9] }, mask, w, o), /offset must have shape \[1, 5, 5, 18\] \(2\*kh\*kw = 18 channels/],
    ['offset grid', () => deformConv2d(x, off, mask, w, { pad: 0 }), /offset must have shape \[1, 3, 3, 18\].*got \[1,5,5,18\]/],
    ['mask channels', () => deformConv2d(x, off, { data: new Float32Array(5 * 5 * 18), shape: [1, 5, 5, 18] }, w, o), /mask must have shape \[1, 5, 5, 9\] \(kh\*kw = 9 channels/],
    ['batch', () => deformConv2d(x, { data: new Float32Array(50 * 18), shape: [2, 5, 5, 18] }, mask, w, o), /offset must have shape \[1, 5, 5, 18\]/],
    ['unknown option', () => deformConv2d(x, off, mask, w, { pad: 1, groups: 2 } as DeformConv2dOptions), /unknown option 'groups' \(valid: bias, stride, pad, dilation, activation, kernel\)/],
    ['options type', () => deformConv2d(x, off, mask, w, 3 as unknown as DeformConv2dOptions), /options must be an object/],
    ['stride', () => deformConv2d(x, off, mask, w, { pad: 1, stride: 0 }), /stride must be a positive integer, got 0/],
    ['dilation', () => deformConv2d(x, off, mask, w, { pad: 1, dilation: 1.5 }), /dilation must be a positive integer/],
    ['pad', () => deformConv2d(x, off, mask, w, { pad: -1 }), /pad must be a non-negative integer/],
    ['pad same', () => deformConv2d(x, off, mask, w, { pad: 'same' as unknown as number }), /pad must be a non-negative integer or \[top, bottom, left, right\], got "same"/],
    ['activation', () => deformConv2d(x, off, mask, w, { pad: 1, activation: 'gelu' as 'relu' }), /activation must be 'none' or 'relu', got "gelu"/],
    ['bias length', () => deformConv2d(x, off, mask, w, { pad: 1, bias: new Float32Array(7) }), /bias has 7 values but the filter has 8 output channels/],
    ['kernel name', () => deformConv2d(x, off, mask, w, { pad: 1, kernel: 'fast' as 'auto' }), /kernel must be 'auto' or 'scalar'/],
    ['output < 1', () => deformConv2d(x, off, mask, { data: new Float32Array(7 * 7 * 4), shape: [7, 7, 4, 1] }), /output size -1x-1 < 1/],
    ['empty x', () => deformConv2d({ data: new Float32Array(0), shape: [0, 5, 5, 4] }, off, mask, w, o), /x must not be empty/],
  ];
  for (const [label, fn, re] of bad) assert.throws(fn, re, label);
  assert.throws(() => packDeformConv2d(k, new Float32Array(10), [3, 3, 4, 8]), /weight has 10 values but shape \[3,3,4,8\] needs 288/);
  assert.throws(() => packDeformConv2d(k, new Float32Array(288), [3, 3, 4]), /weight shape must be 4 positive integers/);
  assert.throws(() => packDeformConv2d(k, new Float32Array(288), [3, 3, 4, 8], { groups: 2 } as { bias?: Float32Array }), /unknown option 'groups' \(valid: bias, columnScale, staging\)/);
  const packed = packDeformConv2d(k, new Float32Array(288), [3, 3, 4, 8]);
  try {
    const into = { stride: 1, pad: 1, dilation: 1, activation: 'none' as const };
    assert.throws(() => deformConv2dInto(k, packed, 16, [1, 5, 5, 3], 16, 16, into), /x has 3 channels but the filter \[3,3,4,8\] takes 4/);
    assert.throws(() => deformConv2dInto(k, packed, 16, [1, 5, 5, 4], k.exports.memory.buffer.byteLength - 100, 16, into), /offsetMask \[\d+, \d+\) is outside kernel memory/);
    assert.throws(() => deformConv2dInto(k, packed, 16, [1, 5, 5, 4], 16, 18, into), /out must be a 4-byte aligned pointer/);
    assert.throws(() => deformConv2dInto(k, packed, 16, [1, 5, 5, 4], 16, 16, { ...into, mask: 1 } as typeof into), /unknown option 'mask' \(valid: stride, pad, dilation, activation\)/);
    assert.throws(() => deformConv2dInto({ ...k }, packed, 16, [1, 5, 5, 4], 16, 16, into), /packed weights live in another kernel instance/);
    assert.throws(() => deformConv2dInto(k, {} as typeof packed, 16, [1, 5, 5, 4], 16, 16, into), /packed must come from packDeformConv2d/);
    assert.throws(() => deformConv2dOutputShape([1, 5, 5], packed, into), /x shape must be 4 positive integers/);
  } finally {
    packed.release();
  }
});

test.run();
