// Pointer-level int8 convolution for the execution plan (issue 13): weights quantised per output
// channel (int8-quant.ts) and packed once; activations quantised per tensor; integer accumulation,
// f32 output. Two layouts of the same arithmetic:
//   'c2': i16 activation codes ('u8' 0..255 after a ReLU, else 's8' -127..127), channel stride even,
//         i32x4.dot_i16x8_s: SIMD128, every build;
//   'c4': byte codes ('u7' 0..127, non-negative tensors only), channel stride a multiple of 4,
//         i32x4.relaxed_dot_i8x16_i7x16_add_s on the relaxed build (an exact, slower emulation on SIMD128).
//   const k8 = await loadInt8Kernels(k);                           // the int8 module on k's memory (once per k)
//   const p = packConv2dInt8(k8, quantizeConvWeights(w, [kh, kw, cin, cout]), [kh, kw, cin, cout], { bias });
//   quantizeActivationsInto(k8, xPtr, xShape, quant, codesPtr);    // codesPtr: int8ActivationBytes(xShape, quant)
//   conv2dInt8Into(k8, p, codesPtr, xShape, quant, outPtr, { stride, pad, activation: 'relu' });
//   p.release();
// Pointers are the main kernels' (k.heap, which is k8.heap): fp32 and int8 layers share one heap.
// Groups 1 only (the backbone's 3x3 and 1x1 convs); depthwise and grouped layers stay fp32.
// `winograd: true` packs a 3x3 filter for the int8 Winograd kernel (assembly/conv/int8-winograd.ts:
// exact integer F(2x2, 3x3), the same outputs as the direct kernel to the bit, 16 products per
// 2x2 tile instead of 36), for stride 1, dilation 1, 'c2' codes, cin a multiple of 8, cout of 4.
// On the worker pool's kernels the quantisation splits by pixels and the conv by output rows, as
// the fp32 ops do (runtime/threads/run-rows.ts); each thread has its own conv scratch.
import type { Kernels } from '../wasm/loader.js';
import { checkInt8Kernels, type Int8Kernels } from '../wasm/int8-loader.js';
import { PackedMemory } from './packed-memory.js';
import { poolThreads, runInt8Rows, scratchStride } from '../threads/run-rows.js';
import { holdSharedScratch, releaseSharedScratch, sharedScratch } from './shared-scratch.js';
import { WINOGRAD_PANEL, WINOGRAD_PANEL_CHUNKS_PER_THREAD, winogradBlockTiles, winogradSplitsByPanels } from './conv-packed.js';
import { checkBuffer, withScope } from './heap-scope.js';
import { optionsObject } from '../util/options.js';
import { checkActivation, checkBias, checkShape4, convGeometry, isUnitPair, type Activation, type ConvPad, type Pair } from './conv-params.js';
import {
  MAX_INT8_REDUCTION, activationCodeBytes, activationCodeRange, checkActivationQuant, f32Bits, int8ChannelStride,
  type ActivationCodes, type ActivationQuant, type Int8ConvWeights,
} from './int8-quant.js';

export { MAX_INT8_REDUCTION };

export type Int8ConvLayout = 'c2' | 'c4';

export interface PackedConv2dInt8 {
  /** HWIO [kh, kw, cin, cout]. */
  readonly filterShape: readonly [number, number, number, number];
  /** 'c2' takes 'u8' / 's8' activation codes, 'c4' takes 'u7'. */
  readonly layout: Int8ConvLayout;
  /** Packed panels in the main kernels' memory (assembly/conv/int8-pack.ts). */
  readonly ptr: number;
  /** Packed for the int8 Winograd kernel (stride 1, dilation 1 only). */
  readonly winograd: boolean;
  /** Frees the packed weights and scratch; the object is unusable afterwards. */
  release(): void;
}

export interface PackConv2dInt8Options {
  bias?: Float32Array;
  /**
   * Default 'c2'; 'c4' pays on the relaxed-SIMD build for non-negative inputs ('u7' codes) where the
   * engine runs relaxed_dot_i8x16_i7x16_add_s as one instruction (x64 AVX-VNNI, ARM SDOT). Caution:
   * Node 20's V8 computes that instruction wrongly in its baseline compiler (Liftoff), so 'c4' on the
   * relaxed build there gives other results until the kernel tiers up. The execution plan picks the
   * layout per engine and machine (engine/int8-layout.ts: exact and faster, or 'c2').
   */
  layout?: Int8ConvLayout;
  /** Pack a 3x3 filter for the int8 Winograd kernel (int8WinogradFits must hold); default false. */
  winograd?: boolean;
}

export interface Conv2dInt8IntoOptions {
  stride?: Pair;
  pad?: ConvPad;
  dilation?: Pair;
  activation?: Activation;
}

const PACK_OPTIONS = ['bias', 'layout', 'winograd'];
const INTO_OPTIONS = ['stride', 'pad', 'dilation', 'activation'];

/** The activation codes a layout reads. */
export function layoutTakes(layout: Int8ConvLayout): readonly ActivationCodes[] {
  return layout === 'c4' ? ['u7'] : ['u8', 's8'];
}

/** Throws unless weights packed in `layout` take activation `codes` (the int8 convs' and transposed convs' run-time check). */
export function checkLayoutCodes(op: string, layout: Int8ConvLayout, codes: ActivationCodes): void {
  const takes = layoutTakes(layout);
  if (!takes.includes(codes)) {
    throw new Error(`${op}: weights packed with layout '${layout}' take ${takes.map((c) => `'${c}'`).join(' or ')} activation codes, got '${codes}'`);
  }
}

// the memory belongs to the main kernels (k8.base): packed weights are checked against those
class PackedInt8 extends PackedMemory implements PackedConv2dInt8 {
  constructor(
    k: Kernels,
    readonly filterShape: readonly [number, number, number, number],
    readonly layout: Int8ConvLayout,
    ptr: number,
    /** Zero row + indirection buffer of the conv kernel, one per pool thread, scratchBytes apart (0: Winograd's shared area). */
    scratch: number,
    readonly scratchBytes: number,
    readonly winograd = false,
  ) {
    super(k, ptr, scratch);
    if (winograd) this.onRelease = () => releaseSharedScratch(k);
  }
}

/**
 * Whether an int8 conv can take the Winograd kernel: 3x3, stride 1, dilation 1, groups 1, input
 * channels a multiple of 8 and output channels of 4, and a reduction small enough that 4x the
 * direct sum still fits the i32 arithmetic (36 cin <= MAX_INT8_REDUCTION: cin <= 1841).
 */
export function int8WinogradFits(kh: number, kw: number, cin: number, cout: number, stride: Pair = 1, dilation: Pair = 1): boolean {
  return kh === 3 && kw === 3 && cin % 8 === 0 && cout % 4 === 0 && cin >= 8 && 36 * cin <= MAX_INT8_REDUCTION && isUnitPair(stride) && isUnitPair(dilation);
}

/** Bytes of the shared scratch an int8 Winograd conv needs on `k` (one area per pool thread). */
function int8WinogradScratchBytes(k8: Int8Kernels, cs: number, cout: number): number {
  return scratchStride(k8.exports.conv2dInt8WinogradScratchBytes(cs, cout, winogradBlockTiles(cs))) * poolThreads(k8.base);
}

/** Packs int8 weights (codes HWIO [kh, kw, cin, cout] in -127..127, scales [cout]) and bias [cout]. */
export function packConv2dInt8(k8: Int8Kernels, weights: Int8ConvWeights, shape: readonly number[], options?: PackConv2dInt8Options): PackedConv2dInt8 {
  const op = 'packConv2dInt8';
  const k = checkInt8Kernels(op, k8).base;
  const opts = optionsObject(op, 'option', options, PACK_OPTIONS);
  const layout = checkInt8Layout(op, opts.layout);
  const [kh, kw, cin, cout] = checkShape4(op, 'w shape', shape);
  const { codes, scales } = checkInt8Weights(op, weights, shape, cout);
  const bias = checkBias(op, opts.bias, cout);
  if (opts.winograd !== undefined && typeof opts.winograd !== 'boolean') throw new Error(`${op}: option winograd must be a boolean, got ${String(opts.winograd)}`);
  if (opts.winograd) {
    if (layout !== 'c2') throw new Error(`${op}: winograd packs the 'c2' layout only, got layout '${layout}'`);
    if (!int8WinogradFits(kh, kw, cin, cout)) {
      throw new Error(`${op}: winograd needs a 3x3 filter, cin a multiple of 8 up to ${Math.floor(MAX_INT8_REDUCTION / 36)} and cout a multiple of 4, got w shape [${shape}]`);
    }
    return packInt8Winograd(k8, codes, scales, [kh, kw, cin, cout], bias);
  }
  const codesKind = layoutTakes(layout)[0];
  const cs = int8ChannelStride(cin, codesKind);
  if (kh * kw * cs > MAX_INT8_REDUCTION) {
    throw new Error(`${op}: kh * kw * cin = ${kh * kw * cs} (cin padded to ${cs}) exceeds ${MAX_INT8_REDUCTION}, where the i32 accumulators could overflow`);
  }
  const ex = k8.exports;
  const ks = kh * kw;
  const ptr = packWeights(k, codes, scales, bias, layout === 'c4' ? ex.int8GemmPackedBytesC4(ks, cin, cout) : ex.int8GemmPackedBytes(ks, cin, cout), (c, s, b, hasBias, out) =>
    layout === 'c4' ? ex.packInt8GemmWeightsC4(c, ks, cin, cout, s, b, hasBias, out) : ex.packInt8GemmWeights(c, ks, cin, cout, s, b, hasBias, out),
  );
  const scratchBytes = scratchStride(ex.conv2dInt8IgemmScratchBytes(cs, ks, activationCodeBytes(codesKind)));
  const scratch = k.heap.alloc(scratchBytes * poolThreads(k));
  return new PackedInt8(k, [kh, kw, cin, cout], layout, ptr, scratch, scratchBytes);
}

/** The layout option of the int8 packers: 'c2' (the default) or 'c4'. */
export function checkInt8Layout(op: string, layout: unknown): Int8ConvLayout {
  if (layout === undefined) return 'c2';
  if (layout !== 'c2' && layout !== 'c4') throw new Error(`${op}: layout must be 'c2' or 'c4', got ${JSON.stringify(layout)}`);
  return layout;
}

/**
 * Throws unless `weights` holds an Int8Array of codes in -127..127, one per element of `shape`, and
 * a Float32Array of `cout` finite non-negative scales (the packers' check).
 */
export function checkInt8Weights(op: string, weights: unknown, shape: readonly number[], cout: number): Int8ConvWeights {
  const { codes, scales } = (weights ?? {}) as Partial<Int8ConvWeights>;
  if (!(codes instanceof Int8Array)) throw new Error(`${op}: weights.codes must be an Int8Array`);
  if (!(scales instanceof Float32Array)) throw new Error(`${op}: weights.scales must be a Float32Array`);
  const size = shape.reduce((a, b) => a * b, 1);
  if (codes.length !== size) throw new Error(`${op}: weights.codes has ${codes.length} values but shape [${shape}] needs ${size}`);
  if (scales.length !== cout) throw new Error(`${op}: weights.scales has ${scales.length} values but the filter has ${cout} output channels`);
  const bad = codes.indexOf(-128);
  if (bad >= 0) throw new Error(`${op}: weights.codes[${bad}] is -128; codes must lie in -127..127`);
  for (let c = 0; c < cout; c++) {
    if (!(scales[c] >= 0) || !Number.isFinite(scales[c])) throw new Error(`${op}: weights.scales[${c}] is ${scales[c]}; scales must be finite and >= 0`);
  }
  return { codes, scales };
}

/**
 * Allocates `bytes` of packed weights and fills them with `pack` (an int8 module export), given
 * kernel-memory copies of the codes, scales and bias (packInt8Weights).
 */
function packWeights(
  k: Kernels, codes: Int8Array, scales: Float32Array, bias: Float32Array | undefined, bytes: number,
  pack: (codes: number, scales: number, bias: number, hasBias: number, out: number) => void,
): number {
  const ptr = k.heap.alloc(bytes);
  try {
    packInt8Weights(k, codes, scales, bias, (c, s, b, hasBias) => pack(c, s, b, hasBias, ptr));
  } catch (e) {
    k.heap.release(ptr);
    throw e;
  }
  return ptr;
}

/**
 * Calls `pack` (an int8 module's packer) with kernel-memory copies of the codes, scales and bias (0
 * and hasBias 0 without one), given back after it, thrown or not.
 */
export function packInt8Weights(
  k: Kernels, codes: Int8Array, scales: Float32Array, bias: Float32Array | undefined,
  pack: (codes: number, scales: number, bias: number, hasBias: number) => void,
): void {
  withScope(k, (scope) => {
    const cPtr = scope.alloc(codes.length);
    new Int8Array(k.exports.memory.buffer, cPtr, codes.length).set(codes);
    pack(cPtr, scope.f32(scales), bias ? scope.f32(bias) : 0, bias ? 1 : 0);
  });
}

function packInt8Winograd(k8: Int8Kernels, codes: Int8Array, scales: Float32Array, shape: [number, number, number, number], bias: Float32Array | undefined): PackedConv2dInt8 {
  const k = k8.base;
  const ex = k8.exports;
  const [, , cin, cout] = shape;
  const ptr = packWeights(k, codes, scales, bias, ex.int8WinogradPackedBytes(cin, cout), (c, s, b, hasBias, out) => ex.packInt8WinogradWeights(c, cin, cout, s, b, hasBias, out));
  holdSharedScratch(k, int8WinogradScratchBytes(k8, cin, cout));
  return new PackedInt8(k, shape, 'c2', ptr, 0, 0, true);
}

/** Bytes of the codes of an NHWC tensor [n, h, w, c] quantised with quant (channel stride included). */
export function int8ActivationBytes(xShape: readonly number[], quant: ActivationQuant): number {
  const op = 'int8ActivationBytes';
  const [n, h, w, c] = checkShape4(op, 'x shape', xShape);
  const q = checkActivationQuant(op, 'quant', quant);
  return n * h * w * int8ChannelStride(c, q.codes) * activationCodeBytes(q.codes);
}

/**
 * codes [n, h, w, int8ChannelStride(c, quant.codes)] = clamp(nearest(x * (1 / scale))) of
 * x [n, h, w, c] f32 (halves to even; NaN -> 0; the stride's extra channels 0), both in kernel memory.
 */
export function quantizeActivationsInto(k8: Int8Kernels, xPtr: number, xShape: readonly number[], quant: ActivationQuant, outPtr: number): void {
  const op = 'quantizeActivationsInto';
  const k = checkInt8Kernels(op, k8).base;
  const [n, h, w, c] = checkShape4(op, 'x shape', xShape);
  const q = checkActivationQuant(op, 'quant', quant);
  const cs = int8ChannelStride(c, q.codes);
  checkBuffer(op, 'x', k, xPtr, n * h * w * c * 4);
  checkBuffer(op, 'out', k, outPtr, n * h * w * cs * activationCodeBytes(q.codes));
  const [lo, hi] = activationCodeRange(q);
  const inv = f32Bits(1 / q.scale);
  const pixels = n * h * w;
  // split by pixels: each code depends on its own x alone
  if (q.codes === 'u7') {
    runInt8Rows(k8, { fn: 'quantizeU8', args: [xPtr, pixels, c, cs, inv, hi, outPtr], rows: pixels, rowsArg: 1, perRow: [[0, c * 4], [6, cs]] }, (pixels * c) / 4);
  } else {
    runInt8Rows(k8, { fn: 'quantizeI16', args: [xPtr, pixels, c, cs, inv, lo, hi, outPtr], rows: pixels, rowsArg: 1, perRow: [[0, c * 4], [7, cs * 2]] }, (pixels * c) / 4);
  }
}

/** Output shape [n, oh, ow, cout] of conv2dInt8Into. */
export function conv2dInt8OutputShape(xShape: readonly number[], packed: PackedConv2dInt8, opts?: Conv2dInt8IntoOptions): [number, number, number, number] {
  return plan('conv2dInt8OutputShape', xShape, packed, opts).out;
}

function plan(op: string, xShape: readonly number[], packed: PackedConv2dInt8, options: Conv2dInt8IntoOptions | undefined) {
  const opts = optionsObject(op, 'option', options, INTO_OPTIONS);
  const [n, h, w, cin] = checkShape4(op, 'x shape', xShape);
  const [kh, kw, cinW, cout] = packed.filterShape;
  if (cin !== cinW) throw new Error(`${op}: x has ${cin} channels but the filter [${packed.filterShape}] takes ${cinW}`);
  const g = convGeometry(op, h, w, kh, kw, opts);
  return { opts, g, out: [n, g.oh, g.ow, cout] as [number, number, number, number] };
}

/**
 * out [n, oh, ow, cout] f32 = act(conv(x, packed) + bias) where x [n, h, w, cin] is held as the codes
 * of quant (quantizeActivationsInto; 'u7' for the 'c4' layout, 'u8' / 's8' for 'c2').
 * Returns the output shape.
 */
export function conv2dInt8Into(
  k8: Int8Kernels, packed: PackedConv2dInt8, xPtr: number, xShape: readonly number[], quant: ActivationQuant, outPtr: number,
  options?: Conv2dInt8IntoOptions,
): [number, number, number, number] {
  const op = 'conv2dInt8Into';
  const k = checkInt8Kernels(op, k8).base;
  if (!(packed instanceof PackedInt8)) throw new Error(`${op}: packed must come from packConv2dInt8`);
  packed.check(op, k);
  const { opts, g, out } = plan(op, xShape, packed, options);
  const q = checkActivationQuant(op, 'quant', quant);
  checkLayoutCodes(op, packed.layout, q.codes);
  const relu = checkActivation(op, opts.activation);
  const [n, h, w, cin] = xShape;
  const [kh, kw, , cout] = packed.filterShape;
  const cs = int8ChannelStride(cin, q.codes);
  checkBuffer(op, 'x', k, xPtr, n * h * w * cs * activationCodeBytes(q.codes));
  checkBuffer(op, 'out', k, outPtr, n * g.oh * g.ow * cout * 4);
  if (packed.winograd) {
    if (!int8WinogradFits(kh, kw, cin, cout, [g.sh, g.sw], [g.dh, g.dw])) {
      throw new Error(`${op}: weights packed for winograd run stride 1 and dilation 1 only, got stride [${g.sh}, ${g.sw}], dilation [${g.dh}, ${g.dw}]`);
    }
    runInt8Winograd(k8, packed, xPtr, [n, h, w, cs], g, relu, q.scale, outPtr);
    return out;
  }
  // split by output rows (one image), as conv2dInto's igemm: rows r0.. are the conv of the same
  // input with the top padding r0 * sh smaller; each thread builds its indirection in its own scratch
  runInt8Rows(k8, {
    fn: packed.layout === 'c4' ? 'conv2dInt8IgemmC4' : 'conv2dInt8Igemm',
    args: [xPtr, n, h, w, cs, packed.ptr, kh, kw, cout, g.sh, g.sw, g.padTop, g.padLeft, g.dh, g.dw, g.oh, g.ow, f32Bits(q.scale), relu, outPtr, packed.scratch],
    rows: n === 1 ? g.oh : 1, rowsArg: 15, perRow: [[11, -g.sh], [19, g.ow * cout * 4]],
    scratch: [20, packed.scratchBytes],
  }, n * g.oh * g.ow * cout * kh * kw * cs);
  return out;
}

/** The int8 Winograd conv, split over the pool's threads as the f32 one is (conv-packed.ts). */
function runInt8Winograd(
  k8: Int8Kernels, packed: PackedInt8, xPtr: number, [n, h, w, cs]: [number, number, number, number],
  g: { padTop: number; padLeft: number; oh: number; ow: number }, relu: number, actScale: number, outPtr: number,
): void {
  const cout = packed.filterShape[3];
  const blockTiles = winogradBlockTiles(cs);
  const panels = Math.ceil(cout / WINOGRAD_PANEL);
  const args = [xPtr, n, h, w, cs, packed.ptr, cout, g.padTop, g.padLeft, g.oh, g.ow, f32Bits(actScale), relu, outPtr, sharedScratch(k8.base), blockTiles, 0, panels];
  const scratch: [number, number] = [14, scratchStride(k8.exports.conv2dInt8WinogradScratchBytes(cs, cout, blockTiles))];
  const work = (n * g.oh * g.ow * cout * 4 * cs) / 2;
  if (winogradSplitsByPanels(n, g.oh, g.ow, cout)) {
    runInt8Rows(k8, { fn: 'conv2dInt8Winograd', args, rows: panels, rowsArg: 17, perRow: [[16, 1]], scratch, chunksPerThread: WINOGRAD_PANEL_CHUNKS_PER_THREAD }, work);
  } else {
    // whole tile rows: rows r0.. are the conv of the same input with the top padding r0 smaller
    runInt8Rows(k8, { fn: 'conv2dInt8Winograd', args, rows: n === 1 ? g.oh : 1, rowsArg: 9, perRow: [[7, -1], [13, g.ow * cout * 4]], align: 2, scratch }, work);
  }
}
