// Model loading without copies of the weights in JavaScript (a cold create() pays for every fresh
// page, and a large model for its size again): the conv, deconv and dcn weights stay views of the
// file (an F16 file's as half bits, HalfFloats) until the packers copy them into kernel memory,
// decoding half bits there, and batch norm's per-column factors are applied there too
// (ops/stage-weights.ts). Against independent references: the half-value definition (f16BitsToF32)
// on all 65,536 patterns; readModelFile's f32 copies; weights scaled element by element as
// PyTorch's eval-mode fold defines them; and execution plans built from f32 copies.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadKernels } from './helpers/kernels.js';
import { randomF32 } from './helpers/random.js';
import { randomWeights } from './helpers/random-weights.js';
import { ExecutionPlan } from '../runtime/engine/plan.js';
import { preset } from '../runtime/model/presets.js';
import { buildGraph, inferenceHeads } from '../runtime/model/registry.js';
import { DCN_OFFSET_MASK, type Graph } from '../runtime/model/graph.js';
import { modelFromSafetensors, readModelFile, writeModelFile } from '../runtime/weights/model-file.js';
import { parseSafetensors } from '../runtime/weights/safetensors.js';
import { f16BitsToF32 } from '../runtime/weights/f16.js';
import { firstNonFiniteHalf, HalfFloats, nonFiniteHalfValue } from '../runtime/weights/half-floats.js';
import { conv2dInto, conv2dOutputShape, conv2dTransposeInto, conv2dTransposeOutputShape, packConv2d, packConv2dTranspose } from '../runtime/ops/conv-packed.js';
import { deformConv2dInto, deformConv2dOutputShape, packDeformConv2d } from '../runtime/ops/deform-conv.js';
import type { StagingArea } from '../runtime/ops/stage-weights.js';
import { ObjectDetector } from '../runtime/detector.js';
import { INT8_SUPPORT, int8Eligible, type Int8Layer } from '../runtime/weights/int8-model.js';
import { int8PlanSteps } from '../runtime/engine/int8-step.js';
import type { Kernels } from '../runtime/wasm/loader.js';
import type { ModelConfig } from '../runtime/model/config.js';

const bitsOf = (x: number) => new Uint32Array(Float32Array.of(x).buffer)[0];

/** Random finite half patterns (normal ones of magnitude 2^-7 to 2^3, subnormals, zeros of both signs) and the f32 values the definition gives them. */
function halves(n: number, seed: number): [HalfFloats, Float32Array] {
  const r = randomF32(3 * n, seed, 0, 1);
  const u16 = new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    const exponent = i % 11 === 0 ? 0 : 8 + Math.floor(r[3 * i] * 10);
    const mantissa = i % 13 === 0 ? 0 : Math.floor(r[3 * i + 1] * 1024);
    u16[i] = (r[3 * i + 2] < 0.5 ? 0x8000 : 0) | (exponent << 10) | mantissa;
  }
  return [new HalfFloats(new Uint8Array(u16.buffer), n), Float32Array.from(u16, (h) => f16BitsToF32(h))];
}

test('firstNonFiniteHalf and nonFiniteHalfValue: every half pattern as the definition says (infinities and NaNs found, finite ones not)', () => {
  for (let h = 0; h < 65536; h++) {
    const bytes = new Uint8Array([0, 0, h & 0xff, h >> 8, 0, 0]);
    const half = new HalfFloats(bytes, 3);
    const want = f16BitsToF32(h);
    if (Number.isFinite(want)) assert.is(firstNonFiniteHalf(half), -1, `0x${h.toString(16)} is finite (${want})`);
    else {
      assert.is(firstNonFiniteHalf(half), 1, `0x${h.toString(16)} (${want}) at index 1`);
      assert.ok(Object.is(nonFiniteHalfValue(half, 1), want), `0x${h.toString(16)}: ${nonFiniteHalfValue(half, 1)}, want ${want}`);
    }
  }
  assert.throws(() => new HalfFloats(new Uint8Array(5), 3), /HalfFloats: 5 bytes do not hold 3 half values/);
});

test('the kernel\'s decodeF16 flag: 1 exactly when a half of its 8-half steps is an infinity or NaN (firstNonFiniteHalf, the spec, on them), every pattern at every lane, whatever the tail holds; its values as the definition', async () => {
  const k = await loadKernels();
  const n = 19;
  const steps = n - (n % 8);
  const src = k.heap.alloc(2 * n);
  const out = k.heap.alloc(4 * n);
  const u16 = new Uint16Array(n);
  let flagged = 0;
  for (let h = 0; h < 65536; h++) {
    // finite halves of every exponent but the all-ones one, and h at position h % n (the tail for 16..18)
    const r = randomF32(n, h, 0, 1);
    for (let i = 0; i < n; i++) u16[i] = Math.floor(r[i] * 0x10000) & ~(r[i] < 0.5 ? 0x4000 : 0x0400);
    u16[h % n] = h;
    k.heap.u8(src, 2 * n).set(new Uint8Array(u16.buffer));
    const got = k.exports.decodeF16(src, n, out);
    const want = firstNonFiniteHalf(new HalfFloats(new Uint8Array(u16.buffer, 0, 2 * steps), steps)) >= 0 ? 1 : 0;
    if (got !== want) assert.unreachable(`0x${h.toString(16)} at ${h % n}: flag ${got}, spec ${want}`);
    flagged += got;
    const values = k.heap.f32(out, n);
    for (let i = 0; i < n; i++) {
      const v = f16BitsToF32(u16[i]);
      if (!(Object.is(values[i], v) || (Number.isNaN(v) && Number.isNaN(values[i])))) assert.unreachable(`0x${u16[i].toString(16)}: ${values[i]}, want ${v}`);
    }
  }
  // the 2 x 0x400 infinity and NaN patterns, at the 16 of 19 positions the steps hold
  assert.ok(flagged > 0 && flagged < 2 * 0x400, `${flagged} flagged`);
  k.heap.release(src);
  k.heap.release(out);
});

test('staged half weights: an infinity or NaN anywhere (in the kernel\'s steps or the last n % 8) is an Error with its first index; the spec\'s from', async () => {
  const k = await loadKernels();
  const [cin, cout] = [3, 7]; // 3 x 3 x 3 x 7 = 189 weights: 23 steps of 8 and 5 more
  for (const [at, pattern, shown] of [[0, 0x7c00, 'Infinity'], [100, 0xfe00, 'NaN'], [184, 0xfc00, '-Infinity'], [188, 0x7c01, 'NaN']] as const) {
    const u16 = new Uint16Array(9 * cin * cout).fill(0x3c00);
    u16[at] = pattern;
    if (at < 150) u16[at + 30] = 0x7c00; // a later one too
    const w = new HalfFloats(new Uint8Array(u16.buffer), u16.length, 'tensor "t"');
    assert.is(firstNonFiniteHalf(w), at);
    assert.is(firstNonFiniteHalf(w, at + 1), at < 150 ? at + 30 : -1);
    const before = k.heap.allocatedBytes;
    assert.throws(() => packConv2d(k, w, [3, 3, cin, cout]), new RegExp(`^tensor "t" holds ${shown} at index ${at}$`));
    assert.is(k.heap.allocatedBytes, before, 'nothing left taken');
  }
});

/** Output of one conv-like layer packed from `w` with options, run on a fixed input: a fresh copy. */
type Layer = { name: string; pack: (k: Kernels, w: Float32Array | HalfFloats, columnScale?: Float32Array, extra?: { staging?: StagingArea }) => { run: (x: number, out: number) => void; size: number; release: () => void }; weights: number; columns: number; channelOf: (i: number) => number; input: [number, number, number, number] };

const X: [number, number, number, number] = [1, 6, 7, 8];
const LAYERS: Layer[] = [
  // conv HWIO [kh, kw, cin/groups, cout]: element i scales by the factor of output channel i % cout
  ...(['gemm', 'winograd'] as const).map((layout) => ({
    name: `conv ${layout}`, weights: 3 * 3 * 8 * 12, columns: 12, channelOf: (i: number) => i % 12, input: X,
    pack: (k: Kernels, w: Float32Array | HalfFloats, columnScale?: Float32Array, extra?: { staging?: StagingArea }) => {
      const p = packConv2d(k, w, [3, 3, 8, 12], { bias: randomF32(12, 3), layout, columnScale, ...extra });
      const shape = conv2dOutputShape(X, p, { pad: 1 });
      return { run: (x: number, out: number) => void conv2dInto(k, p, x, X, out, { pad: 1 }), size: shape.reduce((a, b) => a * b, 1), release: () => p.release() };
    },
  })),
  {
    name: 'conv depthwise', weights: 3 * 3 * 8, columns: 8, channelOf: (i) => i % 8, input: X,
    pack: (k, w, columnScale, extra) => {
      const p = packConv2d(k, w, [3, 3, 1, 8], { groups: 8, columnScale, ...extra });
      const shape = conv2dOutputShape(X, p, { pad: 1 });
      return { run: (x, out) => void conv2dInto(k, p, x, X, out, { pad: 1 }), size: shape.reduce((a, b) => a * b, 1), release: () => p.release() };
    },
  },
  // deconv [kh, kw, cout/groups, cin]: one tap's [cout/groups, cin] are the columns
  ...([[1, 6], [2, 3], [8, 1]] as const).map(([groups, coutG]) => ({
    name: `deconv groups ${groups}`, weights: 4 * 4 * coutG * 8, columns: coutG * 8, channelOf: (i: number) => i % (coutG * 8), input: X,
    pack: (k: Kernels, w: Float32Array | HalfFloats, columnScale?: Float32Array, extra?: { staging?: StagingArea }) => {
      const p = packConv2dTranspose(k, w, [4, 4, coutG, 8], { stride: 2, groups, columnScale, ...extra });
      const shape = conv2dTransposeOutputShape(X, p, { pad: 1 });
      return { run: (x: number, out: number) => void conv2dTransposeInto(k, p, x, X, out, { pad: 1 }), size: shape.reduce((a, b) => a * b, 1), release: () => p.release() };
    },
  })),
  {
    name: 'deformable conv', weights: 3 * 3 * 8 * 5, columns: 5, channelOf: (i) => i % 5, input: X,
    pack: (k, w, columnScale, extra) => {
      const p = packDeformConv2d(k, w, [3, 3, 8, 5], { columnScale, ...extra });
      const into = { pad: 1 } as const;
      const shape = deformConv2dOutputShape(X, p, into);
      const om = k.heap.allocF32(randomF32(6 * 7 * 27, 9, -1.5, 1.5));
      return { run: (x, out) => void deformConv2dInto(k, p, x, X, om, out, into), size: shape.reduce((a, b) => a * b, 1), release: () => (p.release(), k.heap.release(om)) };
    },
  },
];

function runLayer(k: Kernels, layer: Layer, w: Float32Array | HalfFloats, columnScale?: Float32Array): Float32Array {
  const built = layer.pack(k, w, columnScale);
  const x = k.heap.allocF32(randomF32(X.reduce((a, b) => a * b, 1), 17));
  const out = k.heap.alloc(built.size * 4);
  try {
    built.run(x, out);
    return k.heap.f32(out, built.size).slice();
  } finally {
    k.heap.release(out);
    k.heap.release(x);
    built.release();
  }
}

function assertSameBits(label: string, got: Float32Array, want: Float32Array): void {
  assert.is(got.length, want.length, `${label}: length`);
  for (let i = 0; i < got.length; i++) if (bitsOf(got[i]) !== bitsOf(want[i])) assert.unreachable(`${label}: element ${i} is ${got[i]}, want ${want[i]}`);
}

test('packers: columnScale equals weights scaled element by element beforehand, and half bits equal their decoded values, bit for bit (every layout)', async () => {
  const k = await loadKernels();
  const before = k.heap.allocatedBytes;
  for (const [n, layer] of LAYERS.entries()) {
    const w = randomF32(layer.weights, 40 + n, -1, 1);
    w[0] = -0;
    const scale = randomF32(layer.columns, 50 + n, -1.5, 1.5);
    const scaled = w.map((v, i) => Math.fround(v * scale[layer.channelOf(i)]));
    assertSameBits(`${layer.name}: columnScale`, runLayer(k, layer, w, scale), runLayer(k, layer, scaled));
    const [half, decoded] = halves(layer.weights, 60 + n);
    assertSameBits(`${layer.name}: half bits`, runLayer(k, layer, half), runLayer(k, layer, decoded));
    const decodedScaled = decoded.map((v, i) => Math.fround(v * scale[layer.channelOf(i)]));
    assertSameBits(`${layer.name}: half bits and columnScale`, runLayer(k, layer, half, scale), runLayer(k, layer, decodedScaled));
    assert.equal(w[0], -0, 'the caller\'s weights are not modified');
  }
  assert.is(k.heap.allocatedBytes, before, 'every packing gave its kernel memory back');
});

test('packers: staging (the plan\'s activation arena) gives the same packed weights, in the area where it fits, else in memory of their own; nothing is left allocated', async () => {
  const k = await loadKernels();
  const before = k.heap.allocatedBytes;
  for (const [n, layer] of LAYERS.entries()) {
    const [half, decoded] = halves(layer.weights, 100 + n);
    const scale = randomF32(layer.columns, 110 + n, -1.5, 1.5);
    const want = runLayer(k, layer, decoded.map((v, i) => Math.fround(v * scale[layer.channelOf(i)])));
    // an area that holds the f32 copy and the half bits, one that holds only the f32 copy, one too small
    for (const bytes of [layer.weights * 6, layer.weights * 4, layer.weights * 4 - 4]) {
      const ptr = k.heap.alloc(bytes + 64);
      const sentinel = k.heap.u8(ptr + bytes, 64);
      sentinel.fill(0xa5);
      const packOpts = { staging: { ptr, bytes } };
      const staged: Layer = { ...layer, pack: (kk, w, columnScale) => layer.pack(kk, w, columnScale, packOpts) };
      assertSameBits(`${layer.name}: staging ${bytes} bytes`, runLayer(k, staged, half, scale), want);
      assert.ok(k.heap.u8(ptr + bytes, 64).every((b) => b === 0xa5), `${layer.name}: nothing written past the area`);
      k.heap.release(ptr);
    }
  }
  assert.is(k.heap.allocatedBytes, before, 'every packing gave its kernel memory back');
  const w = new Float32Array(3 * 3 * 8 * 12);
  assert.throws(() => packConv2d(k, w, [3, 3, 8, 12], { staging: { ptr: 6, bytes: 100 } }), /packConv2d: staging must be a 4-byte aligned pointer/);
  assert.throws(() => packConv2d(k, w, [3, 3, 8, 12], { staging: { ptr: 16, bytes: -1 } }), /packConv2d: staging must be \{ ptr, bytes \}/);
  assert.throws(() => packConv2dTranspose(k, new Float32Array(4 * 4 * 6 * 8), [4, 4, 6, 8], { staging: { ptr: 16, bytes: k.exports.memory.buffer.byteLength } }), /packConv2dTranspose: staging \[16, \d+\) is outside kernel memory/);
});

test('an execution plan packs without growing kernel memory past what it keeps: the weights are copied into its activation arena', async () => {
  const k = await loadKernels();
  // sizes whose activation arena holds the largest layer's f32 copy and half bits (6 bytes a weight)
  for (const [label, config, side] of [['centernet-tiny', MODELS[0][1], 256], ['centernet-resdcn18 (widths / 8)', MODELS[2][1], 192]] as const) {
    const graph = buildGraph(config);
    const model = modelFromSafetensors(parseSafetensors(writeModelFile(config, randomWeights(graph, 5), { dtype: 'F16' }), 'm'), { weightViews: true });
    const alloc = k.heap.alloc.bind(k.heap);
    const release = k.heap.release.bind(k.heap);
    const live = new Map<number, number>();
    let highest = 0;
    k.heap.alloc = (bytes: number) => {
      const ptr = alloc(bytes);
      live.set(ptr, ptr + bytes);
      highest = Math.max(highest, ptr + bytes);
      return ptr;
    };
    k.heap.release = (ptr: number) => {
      live.delete(ptr);
      release(ptr);
    };
    let plan: ExecutionPlan | undefined;
    try {
      plan = ExecutionPlan.build(k, graph, model.tensors, inferenceHeads(graph), side, side);
      const kept = Math.max(...live.values());
      const largest = Math.max(...[...model.tensors.values()].map((t) => t.length));
      assert.ok(plan.stats.activationBytes >= 6 * largest, `${label}: the arena (${plan.stats.activationBytes} bytes) holds the largest layer's copy (${6 * largest})`);
      assert.ok(highest <= kept, `${label}: allocations reached ${highest}, the plan keeps memory up to ${kept}`);
    } finally {
      k.heap.alloc = alloc;
      k.heap.release = release;
      plan?.release();
    }
  }
});

test('packers: bad weights and columnScale are Errors naming the op', async () => {
  const k = await loadKernels();
  const w = new Float32Array(3 * 3 * 8 * 12);
  assert.throws(() => packConv2d(k, Array.from(w) as unknown as Float32Array, [3, 3, 8, 12]), /packConv2d: w must be a Float32Array \(or HalfFloats\)/);
  assert.throws(() => packConv2d(k, w, [3, 3, 8, 12], { columnScale: [1, 2] as unknown as Float32Array }), /packConv2d: columnScale must be a Float32Array/);
  assert.throws(() => packConv2d(k, w, [3, 3, 8, 12], { columnScale: new Float32Array(7) }), /packConv2d: columnScale has 7 values, which do not divide the weights' 864/);
  assert.throws(() => packConv2dTranspose(k, new Float32Array(4 * 4 * 6 * 8), [4, 4, 6, 8], { columnScale: new Float32Array(0) }), /packConv2dTranspose: columnScale has 0 values/);
  assert.throws(() => packDeformConv2d(k, new HalfFloats(new Uint8Array(2 * 360), 360), [3, 3, 8, 5], { columnScale: new Float32Array(7) }), /packDeformConv2d: columnScale has 7 values/);
  assert.throws(() => packDeformConv2d(k, new HalfFloats(new Uint8Array(2 * 10), 10), [3, 3, 8, 4]), /packDeformConv2d: weight has 10 values but shape \[3,3,8,4\] needs 288/);
});

/** The config with every *Channels width divided by 8 (at least 4): a deformable model small enough to test. */
function narrowed(v: unknown, key = ''): unknown {
  if (typeof v === 'number') return /channels$/i.test(key) ? Math.max(4, Math.round(v / 8)) : v;
  if (Array.isArray(v)) return v.map((x) => narrowed(x, key));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, narrowed(x, k)]));
  return v;
}

const MODELS: [string, ModelConfig][] = [
  ['centernet-tiny', preset('centernet-tiny', { numClasses: 3, inputSize: [64, 64] })],
  ['cornernet-tiny', preset('cornernet-tiny', { numClasses: 2, inputSize: [63, 63] })],
  ['centernet-resdcn18 (widths / 8)', (() => {
    const c = preset('centernet-resdcn18', { numClasses: 3, inputSize: [64, 64] });
    return Object.assign(c, narrowed({ backbone: c.backbone, neck: c.neck, head: c.head })) as ModelConfig;
  })()],
];

/** The weights the packers take, counted from the graph: conv, deconv and dcn weights, and each dcn's offset-and-mask conv. */
function packedNames(graph: Graph): Set<string> {
  const out = new Set<string>();
  for (const n of graph.nodes) {
    if (n.op === 'conv' || n.op === 'deconv' || n.op === 'dcn') out.add(`${n.name}.weight`);
    if (n.op === 'dcn') out.add(`${n.name}.${DCN_OFFSET_MASK}.weight`);
  }
  return out;
}

test('modelFromSafetensors weightViews: the packed weights are views of the file (F16: half bits; F32: f32), equal to readModelFile\'s values; an execution plan from them equals one from f32 copies bit for bit', async () => {
  const k = await loadKernels();
  for (const [label, config] of MODELS) {
    const graph = buildGraph(config);
    const packed = packedNames(graph);
    assert.ok(packed.size >= 10, `${label}: ${packed.size} packed weights`);
    for (const dtype of ['F16', 'F32'] as const) {
      const bytes = writeModelFile(config, randomWeights(graph, 7), { dtype });
      const f32 = readModelFile(bytes, 'm.safetensors');
      const views = modelFromSafetensors(parseSafetensors(bytes, 'm.safetensors'), { weightViews: true });
      assert.equal([...views.tensors.keys()], [...f32.tensors.keys()], `${label} ${dtype}: the same parameters in the same order`);
      for (const [name, t] of views.tensors) {
        const want = f32.tensors.get(name)!;
        const shared = t instanceof HalfFloats ? t.bits.buffer === bytes.buffer : t.buffer === bytes.buffer;
        assert.is(shared, packed.has(name), `${label} ${dtype}: ${name} is ${shared ? 'a view of the file' : 'a copy'}`);
        assert.is(t instanceof HalfFloats, dtype === 'F16' && packed.has(name), `${label} ${dtype}: ${name} is ${t instanceof HalfFloats ? 'half bits' : 'f32'}`);
        const values = t instanceof HalfFloats ? Float32Array.from({ length: t.length }, (_, i) => f16BitsToF32(t.bits[2 * i] | (t.bits[2 * i + 1] << 8))) : t;
        assertSameBits(`${label} ${dtype}: ${name}`, values, want);
      }
      const heads = inferenceHeads(graph);
      const [h, w] = config.inputSize;
      const before = k.heap.allocatedBytes;
      const a = ExecutionPlan.build(k, graph, f32.tensors, heads, h, w);
      const b = ExecutionPlan.build(k, graph, views.tensors, heads, h, w);
      try {
        const input = randomF32(h * w * 3, 8);
        a.run(input);
        b.run(input);
        for (const head of Object.keys(heads)) assertSameBits(`${label} ${dtype}: head ${head}`, b.output(head).data, a.output(head).data);
        assert.is(b.stats.weightBytes, a.stats.weightBytes, `${label} ${dtype}: weight bytes`);
      } finally {
        a.release();
        b.release();
      }
      assert.is(k.heap.allocatedBytes, before, `${label} ${dtype}: the plans gave their kernel memory back`);
    }
  }
});

test('weightViews: an F32 file whose data is not 4-byte aligned in its buffer gives copies with the same values', () => {
  const config = MODELS[0][1];
  const bytes = writeModelFile(config, randomWeights(buildGraph(config), 3));
  const shifted = new Uint8Array(bytes.length + 1).subarray(1);
  shifted.set(bytes);
  const views = modelFromSafetensors(parseSafetensors(shifted, 's'), { weightViews: true });
  const f32 = readModelFile(bytes, 'm');
  for (const [name, t] of views.tensors) {
    assert.ok(t instanceof Float32Array && t.buffer !== shifted.buffer, `${name}: a copy`);
    assertSameBits(name, t, f32.tensors.get(name)!);
  }
});

test('weightViews: an infinity or NaN in a packed weight is an Error naming the tensor, the value and its index: F32 at load (readModelFile\'s), F16 where the packers stage it (in wasm); ObjectDetector.create names the file', async () => {
  const k = await loadKernels();
  const config = MODELS[0][1];
  const graph = buildGraph(config);
  const weights = randomWeights(graph, 9);
  const name = [...packedNames(graph)][2];
  for (const [dtype, bad, shown] of [['F16', Infinity, 'Infinity'], ['F16', -Infinity, '-Infinity'], ['F16', NaN, 'NaN'], ['F32', -Infinity, '-Infinity'], ['F32', NaN, 'NaN']] as const) {
    const bytes = writeModelFile(config, weights, { dtype });
    // the tensor's 6th value, written over in place (writeModelFile refuses non-finite values)
    const file = parseSafetensors(bytes, 'x');
    const t = file.tensors.get(name)!;
    const size = dtype === 'F16' ? 2 : 4;
    const at = file.dataStart + t.begin + size * 5;
    if (dtype === 'F16') {
      const pattern = Number.isNaN(bad) ? 0x7e00 : bad > 0 ? 0x7c00 : 0xfc00;
      bytes[at] = pattern & 0xff;
      bytes[at + 1] = pattern >> 8;
    } else new DataView(bytes.buffer, bytes.byteOffset).setFloat32(at, bad, true);
    const message = new RegExp(`^bad\\.safetensors: tensor "${name.replace(/\./g, '\\.')}" holds ${shown} at index 5$`);
    assert.throws(() => readModelFile(bytes, 'bad.safetensors'), message);
    if (dtype === 'F32') assert.throws(() => modelFromSafetensors(parseSafetensors(bytes, 'bad.safetensors'), { weightViews: true }), message);
    else {
      // loaded unchecked; packing it is the Error, and gives back every byte of kernel memory it took
      const w = modelFromSafetensors(parseSafetensors(bytes, 'bad.safetensors'), { weightViews: true }).tensors.get(name)!;
      assert.ok(w instanceof HalfFloats && w.label === `tensor "${name}"`);
      const shape = graph.nodes.find((n) => `${n.name}.weight` === name) as { kernel: number; cin: number; cout: number };
      const before = k.heap.allocatedBytes;
      assert.throws(() => packConv2d(k, w, [shape.kernel, shape.kernel, shape.cin, shape.cout]), new RegExp(`^tensor "${name.replace(/\./g, '\\.')}" holds ${shown} at index 5$`));
      assert.is(k.heap.allocatedBytes, before);
    }
    try {
      await ObjectDetector.create({ model: bytes });
      assert.unreachable('create accepted a non-finite weight');
    } catch (e) {
      assert.match((e as Error).message, new RegExp(`tensor "${name.replace(/\./g, '\\.')}" holds ${shown} at index 5`));
    }
  }
});

test('weightViews with an int8 model: the int8 layers\' parameters are only in int8 (no f32 equivalents); its plan equals the one from readModelFile\'s tensors bit for bit', async () => {
  const k = await loadKernels();
  const config = MODELS[0][1];
  const graph = buildGraph(config);
  const eligible = int8Eligible(graph);
  const chosen = [eligible[0], eligible[1], eligible[eligible.length - 1]];
  const r = randomF32(1, 1);
  const layers = new Map<string, Int8Layer>(chosen.map((node, i) => {
    const codes = Int8Array.from(randomF32(node.kernel * node.kernel * node.cin * node.cout, 70 + i, -127, 127), (v) => Math.round(v));
    return [node.name, { codes, scales: randomF32(node.cout, 80 + i, 0.002, 0.02), bias: randomF32(node.cout, 90 + i, -0.5, 0.5), input: { scale: Math.fround(0.03 + r[0] * 0.01), codes: i % 2 ? 'u8' : 's8' } }];
  }));
  const bytes = writeModelFile(config, randomWeights(graph, 13), { dtype: 'F16', int8: layers });
  const full = readModelFile(bytes, 'q.safetensors');
  const views = modelFromSafetensors(parseSafetensors(bytes, 'q.safetensors'), { weightViews: true }, INT8_SUPPORT);
  const layerParams = [...layers.keys()].flatMap((l) => [...full.tensors.keys()].filter((n) => n.startsWith(`${l}.`)));
  assert.ok(layerParams.length >= 6, `${layerParams.length} parameters of int8 layers`);
  for (const name of layerParams) assert.not.ok(views.tensors.has(name), `${name}: no f32 equivalent`);
  assert.is(views.tensors.size, full.tensors.size - layerParams.length);
  assert.equal([...views.int8!.keys()], [...layers.keys()]);
  for (const [name, layer] of views.int8!) assert.equal([...layer.codes], [...layers.get(name)!.codes], `${name}: codes`);
  const heads = inferenceHeads(graph);
  const [h, w] = config.inputSize;
  const int8 = await int8PlanSteps(k, views.int8!);
  const before = k.heap.allocatedBytes;
  const a = ExecutionPlan.build(k, graph, full.tensors, heads, h, w, { int8 });
  const b = ExecutionPlan.build(k, graph, views.tensors, heads, h, w, { int8 });
  try {
    const input = randomF32(h * w * 3, 21);
    a.run(input);
    b.run(input);
    for (const head of Object.keys(heads)) assertSameBits(`int8 model: head ${head}`, b.output(head).data, a.output(head).data);
    assert.is(b.stats.weightBytes, a.stats.weightBytes, 'weight bytes');
  } finally {
    a.release();
    b.release();
  }
  assert.is(k.heap.allocatedBytes, before, 'the plans gave their kernel memory back');
});

test('ObjectDetector.create copies a caller\'s model buffer: changed after create, later plans (other input sizes) still have the model\'s weights', async () => {
  const config = MODELS[0][1];
  const bytes = writeModelFile(config, randomWeights(buildGraph(config), 12), { dtype: 'F16' });
  const pristine = bytes.slice();
  const image = (w: number, h: number) => ({ data: Uint8Array.from(randomF32(w * h * 3, w + h, 0, 255), (v) => v), width: w, height: h, channels: 3 as const });
  for (const wrap of [(b: Uint8Array) => b, (b: Uint8Array) => b.buffer as ArrayBuffer]) {
    const buffer = bytes.slice();
    const det = await ObjectDetector.create({ model: wrap(buffer), keepResolution: true, scoreThreshold: 0 });
    const fresh = await ObjectDetector.create({ model: pristine, keepResolution: true, scoreThreshold: 0 });
    try {
      assert.equal(await det.detect(image(64, 48)), await fresh.detect(image(64, 48)));
      buffer.fill(0x7c); // every half an infinity or NaN, had the detector kept the caller's bytes
      // keepResolution: a new size, a new plan packed from the model's weights
      const after = await det.detect(image(96, 80));
      assert.ok(after.length > 0, 'detections at the new size');
      assert.equal(after, await fresh.detect(image(96, 80)));
    } finally {
      det.close();
      fresh.close();
    }
  }
});

test.run();
