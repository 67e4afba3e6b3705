// The int8 transposed convolution (runtime/ops/conv-transpose-int8.ts): against a plain-JS integer
// reference of PyTorch's ConvTranspose2d on the codes (out[oy, ox, o] = sum over input pixels and
// taps with oy = iy sh - padTop + ky, with the int8 conv's f32 epilogue) BIT FOR BIT, over the
// deconv-neck geometries (4x4 stride 2 pad 1, 3x3 stride 2 with output padding, 2x2 stride 2) and
// others (uneven padding, stride 1, stride 3, odd sizes, channel counts off the kernel's multiples,
// two images, ReLU, 'u8' and 's8' codes; and the 'c4' layout's 7-bit byte codes on the unsigned
// cases, the relaxed dot product's layout, an exact emulation on the SIMD128 build); against the fp32 transposed conv on the dequantised
// weights and codes within f32 rounding; on the worker pool's kernels with 2 threads, bit for bit
// the single-threaded result; and the errors for bad arguments.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { conv2dTransposeInt8Into, conv2dTransposeInt8OutputShape, int8TransposeFits, packConv2dTransposeInt8 } from '../../runtime/ops/conv-transpose-int8.js';
import { int8ActivationBytes, quantizeActivationsInto } from '../../runtime/ops/conv-int8.js';
import { activationQuant, int8ChannelStride, type ActivationQuant } from '../../runtime/ops/int8-quant.js';
import { conv2dTransposeInto, packConv2dTranspose } from '../../runtime/ops/conv-packed.js';
import { loadInt8Kernels, type Int8Kernels } from '../../runtime/wasm/int8-loader.js';
import { loadThreadedKernels } from '../../runtime/threads/threaded-kernels.js';
import { loadKernels } from '../helpers/kernels.js';
import { int8LayoutFor } from '../../runtime/engine/int8-layout.js';
import { randomF32 } from '../helpers/random.js';

const f = Math.fround;

interface Case {
  n: number; h: number; w: number; cin: number; cout: number; k: number; s: number;
  pad: [number, number, number, number]; op: number; relu: boolean; signed: boolean;
}

const CASES: Case[] = [
  { n: 1, h: 9, w: 7, cin: 16, cout: 16, k: 4, s: 2, pad: [1, 1, 1, 1], op: 0, relu: true, signed: false },
  { n: 1, h: 6, w: 5, cin: 5, cout: 11, k: 4, s: 2, pad: [1, 1, 1, 1], op: 0, relu: false, signed: true },
  { n: 2, h: 5, w: 6, cin: 8, cout: 9, k: 3, s: 2, pad: [1, 1, 1, 1], op: 1, relu: true, signed: true },
  { n: 1, h: 7, w: 4, cin: 12, cout: 8, k: 2, s: 2, pad: [0, 0, 0, 0], op: 0, relu: true, signed: false },
  { n: 1, h: 8, w: 9, cin: 6, cout: 13, k: 4, s: 2, pad: [1, 2, 0, 1], op: 1, relu: false, signed: false },
  { n: 1, h: 5, w: 5, cin: 7, cout: 5, k: 3, s: 1, pad: [1, 1, 1, 1], op: 0, relu: true, signed: true },
  { n: 1, h: 4, w: 6, cin: 10, cout: 17, k: 5, s: 3, pad: [2, 1, 1, 2], op: 2, relu: false, signed: true },
  // 20 x 18 output rows and columns: more pixels than the kernel's 64-pixel block
  { n: 1, h: 10, w: 9, cin: 24, cout: 20, k: 4, s: 2, pad: [1, 1, 1, 1], op: 0, relu: true, signed: false },
];

type Layout = 'c2' | 'c4';

/** Random codes in -127..127 [k, k, cout, cin], per-channel scales, bias; input codes and their quantisation ('u7' for 'c4'). */
function makeCase(c: Case, seed: number, layout: Layout = 'c2') {
  const size = c.k * c.k * c.cout * c.cin;
  const codes = Int8Array.from(randomF32(size, seed, -127.49, 127.49), Math.round);
  const scales = randomF32(c.cout, seed + 1, 0.001, 0.02);
  const bias = randomF32(c.cout, seed + 2, -0.5, 0.5);
  if (layout === 'c4' && c.signed) throw new Error('the c4 layout takes non-negative inputs only');
  const quant: ActivationQuant = c.signed ? activationQuant(-3, 2.5) : activationQuant(0, 4, layout === 'c4');
  const [lo, hi] = c.signed ? [-127, 127] : layout === 'c4' ? [0, 127] : [0, 255];
  const x = Int16Array.from(randomF32(c.n * c.h * c.w * c.cin, seed + 3, lo - 0.49, hi + 0.49), Math.round);
  return { codes, scales, bias, quant, x, layout };
}

/** PyTorch ConvTranspose2d on the codes, as integers, then the int8 conv's epilogue in f32. */
function reference(c: Case, m: ReturnType<typeof makeCase>): { out: Float32Array; oh: number; ow: number } {
  const oh = (c.h - 1) * c.s - c.pad[0] - c.pad[1] + c.k + c.op;
  const ow = (c.w - 1) * c.s - c.pad[2] - c.pad[3] + c.k + c.op;
  const acc = new Float64Array(c.n * oh * ow * c.cout);
  for (let b = 0; b < c.n; b++) {
    for (let iy = 0; iy < c.h; iy++) for (let ix = 0; ix < c.w; ix++) for (let ky = 0; ky < c.k; ky++) for (let kx = 0; kx < c.k; kx++) {
      const oy = iy * c.s - c.pad[0] + ky;
      const ox = ix * c.s - c.pad[2] + kx;
      if (oy < 0 || oy >= oh || ox < 0 || ox >= ow) continue;
      for (let o = 0; o < c.cout; o++) {
        let sum = 0;
        for (let i = 0; i < c.cin; i++) sum += m.x[((b * c.h + iy) * c.w + ix) * c.cin + i] * m.codes[((ky * c.k + kx) * c.cout + o) * c.cin + i];
        acc[((b * oh + oy) * ow + ox) * c.cout + o] += sum;
      }
    }
  }
  const out = new Float32Array(acc.length);
  for (let i = 0; i < acc.length; i++) {
    const o = i % c.cout;
    const v = f(f(f(acc[i]) * f(m.quant.scale * m.scales[o])) + m.bias[o]);
    out[i] = c.relu && v < 0 ? 0 : v;
  }
  return { out, oh, ow };
}

/** The kernel's output for case c on k8 (codes written straight into kernel memory). */
function run(k8: Int8Kernels, c: Case, m: ReturnType<typeof makeCase>): Float32Array {
  const k = k8.base;
  const packed = packConv2dTransposeInt8(k8, { codes: m.codes, scales: m.scales }, [c.k, c.k, c.cout, c.cin], { bias: m.bias, stride: c.s, layout: m.layout });
  const xShape = [c.n, c.h, c.w, c.cin];
  const cs = int8ChannelStride(c.cin, m.quant.codes);
  const xPtr = k.heap.alloc(int8ActivationBytes(xShape, m.quant));
  // 'c4': one byte per code, channels padded to a multiple of 4; 'c2': i16 codes, padded to 2
  const xCodes = m.layout === 'c4' ? k.heap.u8(xPtr, c.n * c.h * c.w * cs) : new Int16Array(k.exports.memory.buffer, xPtr, c.n * c.h * c.w * cs);
  for (let p = 0; p < c.n * c.h * c.w; p++) for (let i = 0; i < cs; i++) xCodes[p * cs + i] = i < c.cin ? m.x[p * c.cin + i] : 0;
  const opts = { pad: c.pad, outputPadding: c.op, activation: c.relu ? 'relu' : 'none' } as const;
  const [, oh, ow, cout] = conv2dTransposeInt8OutputShape(xShape, packed, opts);
  const outPtr = k.heap.alloc(c.n * oh * ow * cout * 4);
  // NaN everywhere first: a pixel no phase writes would show
  k.heap.f32(outPtr, c.n * oh * ow * cout).fill(NaN);
  conv2dTransposeInt8Into(k8, packed, xPtr, xShape, m.quant, outPtr, opts);
  const out = k.heap.f32(outPtr, c.n * oh * ow * cout).slice();
  packed.release();
  k.heap.release(outPtr);
  k.heap.release(xPtr);
  return out;
}

const label = (c: Case) => `${c.n}x${c.h}x${c.w}x${c.cin} -> ${c.cout}, k ${c.k} s ${c.s} pad [${c.pad}] op ${c.op}${c.relu ? ' relu' : ''} ${c.signed ? 's8' : 'u8'}`;

function assertBitEqual(what: string, got: Float32Array, want: Float32Array): void {
  assert.is(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) if (!Object.is(got[i], want[i])) assert.unreachable(`${what}: [${i}] ${got[i]}, want ${want[i]}`);
}

test('int8 transposed conv: equal to the integer reference bit for bit on every geometry, every output pixel written', async () => {
  const k8 = await loadInt8Kernels(await loadKernels());
  const before = k8.base.heap.allocatedBytes;
  for (const [i, c] of CASES.entries()) {
    const m = makeCase(c, 10 * i + 1);
    assertBitEqual(label(c), run(k8, c, m), reference(c, m).out);
  }
  assert.is(k8.base.heap.allocatedBytes, before, 'every packing and buffer given back');
});

test("int8 transposed conv, 'c4' layout ('u7' byte codes): equal to the integer reference bit for bit on the unsigned geometries", async () => {
  const k8 = await loadInt8Kernels(await loadKernels());
  if (int8LayoutFor(k8).exactDot === false) {
    // Node 20's Liftoff gets the relaxed dot product wrong; the plan never runs 'c4' on such an engine (test/engine-int8-layout.test.ts)
    console.log(`  c4 on the relaxed build not checked here: ${int8LayoutFor(k8).reason}`);
    return;
  }
  const before = k8.base.heap.allocatedBytes;
  const unsigned = CASES.filter((c) => !c.signed);
  assert.ok(unsigned.length >= 4);
  for (const [i, c] of unsigned.entries()) {
    const m = makeCase(c, 10 * i + 3, 'c4');
    assertBitEqual(`${label(c)} c4`, run(k8, c, m), reference(c, m).out);
  }
  assert.is(k8.base.heap.allocatedBytes, before, 'every packing and buffer given back');
});

test('int8 transposed conv: the fp32 transposed conv on the dequantised weights and codes gives the same outputs within f32 rounding', async () => {
  const k = await loadKernels();
  const k8 = await loadInt8Kernels(k);
  for (const [i, c] of CASES.entries()) {
    const m = makeCase(c, 10 * i + 5);
    const got = run(k8, c, m);
    const w = Float32Array.from(m.codes, (v, j) => v * m.scales[Math.floor(j / c.cin) % c.cout]);
    const x = Float32Array.from(m.x, (v) => v * m.quant.scale);
    const packed = packConv2dTranspose(k, w, [c.k, c.k, c.cout, c.cin], { bias: m.bias, stride: c.s });
    const { oh, ow } = reference(c, m);
    const xPtr = k.heap.allocF32(x);
    const outPtr = k.heap.alloc(c.n * oh * ow * c.cout * 4);
    conv2dTransposeInto(k, packed, xPtr, [c.n, c.h, c.w, c.cin], outPtr, { pad: c.pad, outputPadding: c.op, activation: c.relu ? 'relu' : 'none' });
    const want = k.heap.f32(outPtr, c.n * oh * ow * c.cout).slice();
    packed.release();
    k.heap.release(xPtr);
    k.heap.release(outPtr);
    let worst = 0;
    let scale = 0;
    for (let j = 0; j < want.length; j++) {
      worst = Math.max(worst, Math.abs(got[j] - want[j]));
      scale = Math.max(scale, Math.abs(want[j]));
    }
    assert.ok(scale > 0.1, `${label(c)}: outputs of some size (${scale})`);
    assert.ok(worst <= 1e-5 * scale, `${label(c)}: int8 vs fp32 on the same values differ by ${worst} (scale ${scale})`);
  }
});

test('int8 transposed conv on the worker pool (2 threads): bit for bit the single-threaded result', async () => {
  const single = await loadInt8Kernels(await loadKernels());
  const shared = await loadInt8Kernels(await loadThreadedKernels(2));
  for (const [i, c] of CASES.entries()) {
    const m = makeCase(c, 10 * i + 7);
    assertBitEqual(`${label(c)}, 2 threads`, run(shared, c, m), run(single, c, m));
    if (!c.signed && int8LayoutFor(single).exactDot !== false) {
      const m4 = makeCase(c, 10 * i + 8, 'c4');
      assertBitEqual(`${label(c)} c4, 2 threads`, run(shared, c, m4), run(single, c, m4));
    }
  }
  shared.base.pool?.close();
});

test('int8 transposed conv: errors name the function and what was wrong', async () => {
  const k8 = await loadInt8Kernels(await loadKernels());
  const codes = new Int8Array(4 * 4 * 3 * 2);
  const scales = new Float32Array(3).fill(0.01);
  assert.ok(int8TransposeFits(4, 4, 2, 2) && !int8TransposeFits(1, 1, 2, 2));
  assert.throws(() => packConv2dTransposeInt8(k8, { codes: new Int8Array(2), scales: new Float32Array(2) }, [1, 1, 2, 1], { stride: 2 }), /packConv2dTransposeInt8: needs a kernel at least the stride/);
  assert.throws(() => packConv2dTransposeInt8(k8, { codes, scales }, [4, 4, 3, 3], { stride: 2 }), /packConv2dTransposeInt8: weights\.codes has 96 values but shape \[4,4,3,3\] needs 144/);
  assert.throws(() => packConv2dTransposeInt8(k8, { codes: codes.map((v, i) => (i === 5 ? -128 : v)), scales }, [4, 4, 3, 2], { stride: 2 }), /weights\.codes\[5\] is -128/);
  assert.throws(() => packConv2dTransposeInt8(k8, { codes, scales }, [4, 4, 3, 2], { strides: 2 } as never), /packConv2dTransposeInt8: unknown option name "strides"/);
  const packed = packConv2dTransposeInt8(k8, { codes, scales }, [4, 4, 3, 2], { stride: 2 });
  const xPtr = k8.base.heap.alloc(64);
  assert.throws(() => conv2dTransposeInt8Into(k8, packed, xPtr, [1, 2, 2, 3], activationQuant(0, 1), xPtr), /conv2dTransposeInt8Into: x has 3 channels but the filter \[4,4,3,2\] takes 2/);
  assert.throws(() => conv2dTransposeInt8Into(k8, packed, xPtr, [1, 2, 2, 2], activationQuant(0, 1, true), xPtr, { pad: 1 }), /layout 'c2' take 'u8' or 's8' activation codes, got 'u7'/);
  const packed4 = packConv2dTransposeInt8(k8, { codes, scales }, [4, 4, 3, 2], { stride: 2, layout: 'c4' });
  assert.throws(() => conv2dTransposeInt8Into(k8, packed4, xPtr, [1, 2, 2, 2], activationQuant(0, 1), xPtr, { pad: 1 }), /layout 'c4' take 'u7' activation codes, got 'u8'/);
  packed4.release();
  assert.throws(() => packConv2dTransposeInt8(k8, { codes, scales }, [4, 4, 3, 2], { stride: 2, layout: 'c8' as 'c4' }), /packConv2dTransposeInt8: layout must be 'c2' or 'c4', got "c8"/);
  packed.release();
  assert.throws(() => conv2dTransposeInt8Into(k8, packed, xPtr, [1, 2, 2, 2], activationQuant(0, 1), xPtr), /conv2dTransposeInt8Into: the packed weights have been released/);
  k8.base.heap.release(xPtr);
});

test.run();
