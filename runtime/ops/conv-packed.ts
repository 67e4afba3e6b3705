// Pointer-level convolution for the execution plan: weights are packed once (at model load, after
// batch norm has been folded into w and bias) into kernel memory in the order the micro-kernels read;
// activations stay in kernel memory and are passed as byte pointers with their NHWC shapes.
//   const p = packConv2d(k, w, [kh, kw, cinG, cout], { bias, groups });
//   const outShape = conv2dOutputShape(xShape, p, { stride, pad });   // allocate out from it
//   conv2dInto(k, p, xPtr, xShape, outPtr, { stride, pad, activation: 'relu' });
//   p.release();
import type { Kernels } from '../wasm/loader.js';
import { PackedMemory } from './packed-memory.js';
import { checkBuffer } from './heap-scope.js';
import { checkColumnScale, checkStagingArea, checkWeightData, packStaged, stageWeights, type StagingArea } from './stage-weights.js';
import type { WeightData } from '../weights/half-floats.js';
import {
  checkActivation, checkBias, checkShape4, convGeometry, convTransposeGeometry, isUnitPair, pair,
  type Activation, type ConvGeometry, type ConvPad, type Pair,
} from './conv-params.js';
import { checkPositiveInt } from './tensor.js';
import { poolThreads, runRows, scratchStride } from '../threads/run-rows.js';
import { holdSharedScratch, releaseSharedScratch, sharedScratch } from './shared-scratch.js';

/**
 * The fast kernels: 'gemm1x1' (1x1, stride 1, no padding), 'igemm' (any), 'depthwise' (groups =
 * cin = cout), 'winograd' (3x3, stride 1, dilation 1, groups 1, channels in multiples of 4; weights
 * packed with layout 'winograd').
 */
export type FastConvKernel = 'gemm1x1' | 'igemm' | 'igemmRows' | 'depthwise' | 'winograd';

/**
 * Input channels up to which a conv with gemm-packed weights, groups 1 and horizontal dilation 1
 * takes 'igemmRows' (conv2d-igemm.ts' rows mode: filter rows as the indirect GEMM's taps) in place of
 * 'igemm'. Measured here (SIMD128, one thread, igemm / igemmRows time): 7x7 stride 2 stems 3 -> 64
 * at 512 1.43x, 3 -> 16 at 128 batch 4 1.95x; 3x3 at 128: cin 3 1.32x, 4 1.27x, 8 1.16x, 16
 * (stride 2) 1.11x; cin 32 1.04-1.07x; cin 64-256 (stride 2) 1.02-1.03x. Its scratch grows with
 * cin (a patch per pixel and filter row of a block: 9 KB per channel for 3x3), so it stops at 32.
 */
export const IGEMM_ROWS_MAX_CIN = 32;

/** Whether 'igemmRows' can run a conv (it reads each filter row as kw * cin consecutive floats). */
export function igemmRowsFits(kw: number, groups: number, dilationW: number): boolean {
  return groups === 1 && dilationW === 1 && kw > 1;
}

/** Whether a conv that is not 1x1 stride 1 takes 'igemmRows' rather than 'igemm' (the plan's and the trainer's choice). */
export function prefersIgemmRows(kw: number, cinG: number, groups: number, dilationW: number): boolean {
  return cinG <= IGEMM_ROWS_MAX_CIN && igemmRowsFits(kw, groups, dilationW);
}

/**
 * Tiles per Winograd block: the block's transformed inputs of one of the 16 planes (tiles x cin
 * floats) stay within 64 KB, where the ResNet layers at 512 ran fastest here (32 KB and 128-256 KB
 * were measured too), and never more than 256 tiles (the scratch stays ~2 MB a thread).
 */
export function winogradBlockTiles(cin: number): number {
  return Math.max(4, Math.min(256, Math.floor(65536 / (cin * 4)) & ~3));
}

/**
 * Whether a thread pool splits a Winograd conv by output-channel panels rather than by tile rows:
 * for one image whose 2x2 tiles are fewer than its output channels (the weights then outweigh the
 * transformed input), and always for a batch (the row split cannot split one).
 */
export function winogradSplitsByPanels(n: number, oh: number, ow: number, cout: number): boolean {
  return n > 1 || Math.ceil(oh / 2) * Math.ceil(ow / 2) < cout;
}

/**
 * Chunks a thread for a Winograd conv split by panels (the pool's default is 4): every chunk runs
 * the input transform of every tile again, ~0.3 ms a chunk on ResNet-18's 16x16x512 layers. Each of
 * those layers took 12.2 ms on 2 threads with 4 chunks a thread, 10.9 with 2, 10.5 with 1 (20.4 ms on
 * 1 thread; medians of 7 of each plan step timed alone); 2 keeps some balance for a thread the OS
 * delays. The f32 and int8 Winograd kernels both split this way.
 */
export const WINOGRAD_PANEL_CHUNKS_PER_THREAD = 2;

/** Output channels per weight panel of the Winograd kernel (assembly/conv/pack.ts PANEL): its split unit by channels. */
export const WINOGRAD_PANEL = 8;

/**
 * Whether a conv can take the Winograd kernel: 3x3, stride 1, dilation 1, groups 1, and input and
 * output channels in multiples of 4 (the transforms run 4 channels at a time) from 8 up (below it
 * the transforms cost more than the multiplies they save).
 */
export function winogradFits(kh: number, kw: number, cin: number, cout: number, groups: number, stride: Pair = 1, dilation: Pair = 1): boolean {
  return kh === 3 && kw === 3 && groups === 1 && isUnitPair(stride) && isUnitPair(dilation) && cin % 4 === 0 && cout % 4 === 0 && cin >= 8 && cout >= 8;
}

export interface PackedConv2d {
  /** 'gemm' panels serve gemm1x1 and igemm; 'depthwise' the depthwise kernel; 'winograd' the Winograd kernel. */
  readonly layout: ConvLayout;
  /** HWIO [kh, kw, cin/groups, cout]. */
  readonly filterShape: readonly [number, number, number, number];
  readonly groups: number;
  /** Packed weights in kernel memory. */
  readonly ptr: number;
  /** Frees the packed weights and scratch; the object is unusable afterwards. */
  release(): void;
}

export interface PackConv2dOptions {
  bias?: Float32Array;
  groups?: number;
  /**
   * Default: 'depthwise' when groups = cin = cout (one input channel per group), else 'gemm'.
   * 'winograd' (a 3x3 conv that winogradFits) packs the 16 transformed weight planes (16/9 of the
   * 'gemm' size) for stride 1 and dilation 1 only: the execution plan picks it where it fits.
   */
  layout?: ConvLayout;
  /** Per-output-channel factors applied to w in kernel memory before packing (batch norm folded on the way in; stage-weights.ts). */
  columnScale?: Float32Array;
  /** Kernel memory to copy w into for packing, where it fits, instead of allocating (stage-weights.ts). */
  staging?: StagingArea;
}

export interface Conv2dIntoOptions {
  stride?: Pair;
  pad?: ConvPad;
  dilation?: Pair;
  activation?: Activation;
  /** Force one fast kernel (tests, benchmarks); default: the best one for the layer. */
  kernel?: 'auto' | FastConvKernel;
}

type ConvLayout = 'gemm' | 'depthwise' | 'winograd';

class Packed extends PackedMemory implements PackedConv2d {
  constructor(
    k: Kernels,
    readonly layout: ConvLayout,
    readonly filterShape: readonly [number, number, number, number],
    readonly groups: number,
    ptr: number,
    /** Zero row + indirection buffer of conv2dIgemm, one per pool thread (gemm layout only). */
    scratch: number,
  ) {
    super(k, ptr, scratch);
  }
}

/** Packs HWIO weights w [kh, kw, cin/groups, cout] (and bias [cout]) into kernel memory. */
export function packConv2d(k: Kernels, w: WeightData, shape: readonly number[], opts: PackConv2dOptions = {}): PackedConv2d {
  const op = 'packConv2d';
  const [kh, kw, cinG, cout] = checkShape4(op, 'w shape', shape);
  checkWeightData(op, 'w', w);
  if (w.length !== kh * kw * cinG * cout) throw new Error(`${op}: w has ${w.length} values but shape [${shape}] needs ${kh * kw * cinG * cout}`);
  const groups = checkPositiveInt(op, 'groups', opts.groups ?? 1);
  if (cout % groups !== 0) throw new Error(`${op}: groups ${groups} does not divide the ${cout} output channels`);
  const bias = checkBias(op, opts.bias, cout);
  const columnScale = checkColumnScale(op, opts.columnScale, w.length);
  const staging = checkStagingArea(op, k, opts.staging);
  const depthwiseShape = cinG === 1 && groups === cout;
  const layout = opts.layout ?? (depthwiseShape ? 'depthwise' : 'gemm');
  if (layout !== 'gemm' && layout !== 'depthwise' && layout !== 'winograd') throw new Error(`${op}: layout must be 'gemm', 'depthwise' or 'winograd', got ${String(layout)}`);
  if (layout === 'winograd' && !winogradFits(kh, kw, cinG, cout, groups)) {
    throw new Error(`${op}: the winograd layout needs a 3x3 filter, groups 1 and 8 or more input and output channels in multiples of 4, got w [${shape}], groups ${groups}`);
  }
  if (layout === 'depthwise' && !depthwiseShape) {
    throw new Error(`${op}: the depthwise layout needs groups = cout and one input channel per group, got groups ${groups}, w [${shape}]`);
  }
  const ex = k.exports;
  if (layout === 'winograd') return packWinograd(k, w, [kh, kw, cinG, cout], bias, columnScale, staging);
  const ks = kh * kw;
  const size = layout === 'gemm' ? ex.gemmPackedFloats(ks, cinG, cout / groups, groups) : cout + ks * cout;
  const ptr = packStaged(k, size, w, bias, columnScale, staging, (wPtr, bPtr, hasBias, out) => {
    if (layout === 'gemm') ex.packGemmWeights(wPtr, ks, cinG, cout, groups, bPtr, hasBias, out);
    else ex.packDepthwiseWeights(wPtr, ks, cout, bPtr, hasBias, out);
  });
  // one scratch area per pool thread: each builds its own indirection buffer
  const scratch = layout === 'gemm' ? k.heap.alloc(scratchStride(gemmScratchBytes(k, kh, kw, cinG, groups)) * poolThreads(k)) : 0;
  return new Packed(k, layout, [kh, kw, cinG, cout], groups, ptr, scratch);
}

/**
 * One pool thread's scratch for gemm-packed weights: igemm's, and igemmRows' (its patches grow with
 * cin) only up to IGEMM_ROWS_MAX_CIN, the layers the mode may run.
 */
function gemmScratchBytes(k: Kernels, kh: number, kw: number, cinG: number, groups: number): number {
  const igemm = k.exports.conv2dIgemmScratchBytes(cinG, kh * kw, 0);
  return prefersIgemmRows(kw, cinG, groups, 1) ? Math.max(igemm, k.exports.conv2dIgemmScratchBytes(kw * cinG, kh, 1)) : igemm;
}

/** Bytes of the shared scratch a Winograd conv needs on `k` (one area per pool thread). */
export function winogradScratchBytes(k: Kernels, cin: number, cout: number): number {
  return scratchStride(k.exports.conv2dWinogradScratchBytes(cin, cout, winogradBlockTiles(cin))) * poolThreads(k);
}

/** Winograd weights: their scratch is the instance's shared area (shared-scratch.ts). */
class PackedWinograd extends Packed {
  protected override onRelease = () => releaseSharedScratch(this.k);
}

function packWinograd(k: Kernels, w: WeightData, shape: [number, number, number, number], bias: Float32Array | undefined, columnScale: Float32Array | undefined, staging: StagingArea | undefined): PackedConv2d {
  const ex = k.exports;
  const [, , cin, cout] = shape;
  const ptr = packStaged(k, ex.winogradPackedFloats(cin, cout), w, bias, columnScale, staging, (wPtr, bPtr, hasBias, out) => ex.packWinogradWeights(wPtr, cin, cout, bPtr, hasBias, out, 0));
  holdSharedScratch(k, winogradScratchBytes(k, cin, cout));
  return new PackedWinograd(k, 'winograd', shape, 1, ptr, 0);
}

/** Output shape [n, oh, ow, cout] of conv2dInto; throws on a channel mismatch or an empty output. */
export function conv2dOutputShape(xShape: readonly number[], packed: PackedConv2d, opts: Conv2dIntoOptions = {}): [number, number, number, number] {
  return conv2dPlan('conv2dOutputShape', xShape, packed, opts).out;
}

function conv2dPlan(op: string, xShape: readonly number[], packed: PackedConv2d, opts: Conv2dIntoOptions) {
  const [n, h, w, cin] = checkShape4(op, 'x shape', xShape);
  const [kh, kw, cinG, cout] = packed.filterShape;
  if (cinG * packed.groups !== cin) {
    throw new Error(`${op}: x has ${cin} channels but the filter takes ${cinG} per group x ${packed.groups} groups = ${cinG * packed.groups}`);
  }
  const g = convGeometry(op, h, w, kh, kw, opts);
  return { g, out: [n, g.oh, g.ow, cout] as [number, number, number, number] };
}

/** Which fast kernel runs this layer. */
export function chooseConvKernel(packed: PackedConv2d, g: ConvGeometry): FastConvKernel {
  if (packed.layout === 'depthwise') return 'depthwise';
  if (packed.layout === 'winograd') {
    if (g.sh !== 1 || g.sw !== 1 || g.dh !== 1 || g.dw !== 1) {
      throw new Error(`conv2dInto: weights packed with layout 'winograd' run stride 1 and dilation 1 only, got stride [${g.sh}, ${g.sw}], dilation [${g.dh}, ${g.dw}]`);
    }
    return 'winograd';
  }
  const pointwise = g.kh === 1 && g.kw === 1 && g.sh === 1 && g.sw === 1 && g.padTop + g.padBottom + g.padLeft + g.padRight === 0;
  if (pointwise) return 'gemm1x1';
  return prefersIgemmRows(g.kw, packed.filterShape[2], packed.groups, g.dw) ? 'igemmRows' : 'igemm';
}

/**
 * out [n, oh, ow, cout] = act(conv(x [n, h, w, cin], packed) + bias), both in kernel memory.
 * Returns the output shape.
 */
export function conv2dInto(k: Kernels, packed: PackedConv2d, xPtr: number, xShape: readonly number[], outPtr: number, opts: Conv2dIntoOptions = {}): [number, number, number, number] {
  const op = 'conv2dInto';
  if (!(packed instanceof Packed)) throw new Error(`${op}: packed must come from packConv2d`);
  packed.check(op, k);
  const { g, out } = conv2dPlan(op, xShape, packed, opts);
  const relu = checkActivation(op, opts.activation);
  const [n, h, w, cin] = xShape;
  const [kh, kw, , cout] = packed.filterShape;
  checkBuffer(op, 'x', k, xPtr, n * h * w * cin * 4);
  checkBuffer(op, 'out', k, outPtr, n * g.oh * g.ow * cout * 4);
  const auto = chooseConvKernel(packed, g);
  const kernel = opts.kernel === undefined || opts.kernel === 'auto' ? auto : opts.kernel;
  const ex = k.exports;
  switch (kernel) {
    case 'gemm1x1':
      if (auto !== 'gemm1x1') throw new Error(`${op}: kernel 'gemm1x1' needs gemm-packed 1x1 weights, stride 1 and no padding`);
      // split by pixels, in whole 4-pixel tiles
      runRows(k, { fn: 'conv2d1x1Gemm', args: [xPtr, n * h * w, cin, packed.ptr, cout, packed.groups, relu, outPtr], rows: n * h * w, rowsArg: 1, perRow: [[0, cin * 4], [7, cout * 4]], align: 4 }, n * h * w * cin * cout / packed.groups);
      break;
    case 'igemm':
    case 'igemmRows': {
      if (packed.layout !== 'gemm') throw new Error(`${op}: kernel '${kernel}' needs weights packed with layout 'gemm'`);
      const rows = kernel === 'igemmRows';
      if (rows && !prefersIgemmRows(kw, cin, packed.groups, g.dw)) {
        throw new Error(`${op}: kernel 'igemmRows' needs gemm-packed weights, groups 1, a filter wider than 1, horizontal dilation 1 and at most ${IGEMM_ROWS_MAX_CIN} input channels`);
      }
      // split by output rows (one image): rows r0.. are the conv of the same input with the top
      // padding r0 * sh smaller; igemmRows is conv2dIgemm's rows mode (its last argument)
      runRows(k, {
        fn: 'conv2dIgemm',
        args: [xPtr, n, h, w, cin, packed.ptr, kh, kw, cout, packed.groups, g.sh, g.sw, g.padTop, g.padLeft, g.dh, g.dw, g.oh, g.ow, relu, outPtr, packed.scratch, rows ? 1 : 0],
        rows: n === 1 ? g.oh : 1, rowsArg: 16, perRow: [[12, -g.sh], [19, g.ow * cout * 4]],
        scratch: [20, scratchStride(gemmScratchBytes(k, kh, kw, cin / packed.groups, packed.groups))],
      }, n * g.oh * g.ow * cout * kh * kw * (cin / packed.groups));
      break;
    }
    case 'winograd': {
      if (auto !== 'winograd') throw new Error(`${op}: kernel 'winograd' needs weights packed with layout 'winograd'`);
      const blockTiles = winogradBlockTiles(cin);
      const panels = Math.ceil(cout / WINOGRAD_PANEL);
      const args = [xPtr, n, h, w, cin, packed.ptr, cout, g.padTop, g.padLeft, g.oh, g.ow, relu, outPtr, sharedScratch(k), blockTiles, 0, panels];
      const scratch: [number, number] = [13, scratchStride(ex.conv2dWinogradScratchBytes(cin, cout, blockTiles))];
      const work = n * g.oh * g.ow * cout * 4 * cin;
      if (winogradSplitsByPanels(n, g.oh, g.ow, cout)) {
        // few tiles, many channels (ResNet's last stage): each chunk takes a range of output
        // channels over every tile, so the weights (16 cin cout floats) stream once in all, where a
        // split by rows streams all of them once per chunk; the input transform it repeats per
        // chunk is 16 tiles cin floats, less than the weights when tiles < cout (yet it costs enough
        // that the chunks are fewer: WINOGRAD_PANEL_CHUNKS_PER_THREAD)
        runRows(k, { fn: 'conv2dWinograd', args, rows: panels, rowsArg: 16, perRow: [[15, 1]], scratch, chunksPerThread: WINOGRAD_PANEL_CHUNKS_PER_THREAD }, work);
      } else {
        // split by output rows in whole tile rows (rows r0.. are the conv of the same input with the
        // top padding r0 smaller). Chunks smaller than a block of tiles re-read the weights more often,
        // yet balance the threads better: centernet-resnet18 at 512 on 2 threads took 336 ms (median
        // of 10) this way against 366 with chunks of whole blocks (one process, alternating)
        runRows(k, { fn: 'conv2dWinograd', args, rows: n === 1 ? g.oh : 1, rowsArg: 9, perRow: [[7, -1], [12, g.ow * cout * 4]], align: 2, scratch }, work);
      }
      break;
    }
    case 'depthwise':
      if (packed.layout !== 'depthwise') throw new Error(`${op}: kernel 'depthwise' needs weights packed with layout 'depthwise'`);
      runRows(k, {
        fn: 'depthwiseConv2d',
        args: [xPtr, n, h, w, cin, packed.ptr, kh, kw, g.sh, g.sw, g.padTop, g.padLeft, g.dh, g.dw, g.oh, g.ow, relu, outPtr],
        rows: n === 1 ? g.oh : 1, rowsArg: 14, perRow: [[10, -g.sh], [17, g.ow * cin * 4]],
      }, n * g.oh * g.ow * cin * kh * kw);
      break;
    default:
      throw new Error(`${op}: kernel must be 'auto', 'gemm1x1', 'igemm', 'igemmRows', 'depthwise' or 'winograd', got ${JSON.stringify(kernel)}`);
  }
  return out;
}

// ---- transposed convolution ----

export interface PackedConv2dTranspose {
  /** [kh, kw, cout / groups, cin] (TF.js layout; PyTorch's grouped [cin, cout / groups, kh, kw] transposed (2, 3, 1, 0)). */
  readonly filterShape: readonly [number, number, number, number];
  readonly stride: readonly [number, number];
  readonly groups: number;
  /**
   * 'gemm': phase panels for the igemm kernel (groups 1); 'depthwise': [bias | taps x channels] for
   * the SIMD depthwise kernel (groups = cin = cout); 'grouped': the weights as given, for the
   * scalar grouped kernel (any other grouping).
   */
  readonly layout: 'gemm' | 'depthwise' | 'grouped';
  readonly ptr: number;
  release(): void;
}

export interface Conv2dTransposeIntoOptions {
  /** PyTorch ConvTranspose2d padding: one number, or [top, bottom, left, right]. */
  pad?: number | readonly [number, number, number, number];
  outputPadding?: Pair;
  activation?: Activation;
}

class PackedTranspose extends PackedMemory implements PackedConv2dTranspose {
  constructor(
    k: Kernels,
    readonly filterShape: readonly [number, number, number, number],
    readonly stride: readonly [number, number],
    readonly groups: number,
    readonly layout: 'gemm' | 'depthwise' | 'grouped',
    ptr: number,
    /** igemm's scratch (gemm layout); the grouped layout's bias (0 without one); else 0. */
    scratch: number,
  ) {
    super(k, ptr, scratch);
  }
}

/**
 * Packs transposed-conv weights w [kh, kw, cout / groups, cin] (and bias [cout]) for one stride.
 * groups = cin = cout (depthwise) runs a SIMD kernel; other groupings > 1 the scalar spec.
 *
 * `columnScale`: factors applied to w in kernel memory before packing, w viewed as rows of their
 * length (a batch-norm fold: one tap's [cout/groups, cin]); `staging`: kernel memory to copy w
 * into for packing where it fits (stage-weights.ts).
 */
export function packConv2dTranspose(
  k: Kernels, w: WeightData, shape: readonly number[],
  opts: { bias?: Float32Array; stride?: Pair; groups?: number; columnScale?: Float32Array; staging?: StagingArea } = {},
): PackedConv2dTranspose {
  const op = 'packConv2dTranspose';
  const [kh, kw, coutG, cin] = checkShape4(op, 'w shape', shape);
  checkWeightData(op, 'w', w);
  if (w.length !== kh * kw * coutG * cin) throw new Error(`${op}: w has ${w.length} values but shape [${shape}] needs ${kh * kw * coutG * cin}`);
  const groups = checkPositiveInt(op, 'groups', opts.groups ?? 1);
  if (cin % groups !== 0) throw new Error(`${op}: groups ${groups} does not divide the ${cin} input channels of w [${shape}]`);
  const cout = coutG * groups;
  const bias = checkBias(op, opts.bias, cout);
  const [sh, sw] = pair(op, 'stride', opts.stride, 1);
  const columnScale = checkColumnScale(op, opts.columnScale, w.length);
  const staging = checkStagingArea(op, k, opts.staging);
  const ex = k.exports;
  if (groups > 1) {
    if (coutG === 1 && groups === cin) {
      // [kh, kw, 1, c] is already taps x channels: the depthwise forward conv's packing
      const ptr = packStaged(k, cout + kh * kw * cout, w, bias, columnScale, staging, (wPtr, bPtr, hasBias, out) => ex.packDepthwiseWeights(wPtr, kh * kw, cout, bPtr, hasBias, out));
      return new PackedTranspose(k, [kh, kw, coutG, cin], [sh, sw], groups, 'depthwise', ptr, 0);
    }
    // the staged copy is the packed weights here: memory of its own, never the staging area
    const { ptr } = stageWeights(k, w, columnScale);
    const bPtr = bias ? k.heap.allocF32(bias) : 0;
    return new PackedTranspose(k, [kh, kw, coutG, cin], [sh, sw], groups, 'grouped', ptr, bPtr);
  }
  const ptr = packStaged(k, ex.deconvPackedFloats(kh, kw, sh, sw, cin, cout), w, bias, columnScale, staging, (wPtr, bPtr, hasBias, out) => ex.packDeconvWeights(wPtr, kh, kw, sh, sw, cin, cout, bPtr, hasBias, out));
  const scratch = k.heap.alloc(scratchStride(ex.conv2dTransposeScratchBytes(kh, kw, sh, sw, cin)) * poolThreads(k));
  return new PackedTranspose(k, [kh, kw, cout, cin], [sh, sw], 1, 'gemm', ptr, scratch);
}

/** Output shape [n, oh, ow, cout] of conv2dTransposeInto. */
export function conv2dTransposeOutputShape(xShape: readonly number[], packed: PackedConv2dTranspose, opts: Conv2dTransposeIntoOptions = {}): [number, number, number, number] {
  return transposePlan('conv2dTransposeOutputShape', xShape, packed, opts).out;
}

function transposePlan(op: string, xShape: readonly number[], packed: PackedConv2dTranspose, opts: Conv2dTransposeIntoOptions) {
  const [n, h, w, cin] = checkShape4(op, 'x shape', xShape);
  const [kh, kw, coutG, cinW] = packed.filterShape;
  if (cin !== cinW) throw new Error(`${op}: x has ${cin} channels but the filter [${packed.filterShape}] takes ${cinW}`);
  const g = convTransposeGeometry(op, h, w, kh, kw, { ...opts, stride: packed.stride });
  return { g, out: [n, g.oh, g.ow, coutG * packed.groups] as [number, number, number, number] };
}

/** out = act(convTranspose(x, packed) + bias) with PyTorch semantics; returns the output shape. */
export function conv2dTransposeInto(k: Kernels, packed: PackedConv2dTranspose, xPtr: number, xShape: readonly number[], outPtr: number, opts: Conv2dTransposeIntoOptions = {}): [number, number, number, number] {
  const op = 'conv2dTransposeInto';
  if (!(packed instanceof PackedTranspose)) throw new Error(`${op}: packed must come from packConv2dTranspose`);
  packed.check(op, k);
  const { g, out } = transposePlan(op, xShape, packed, opts);
  const relu = checkActivation(op, opts.activation);
  const [n, h, w, cin] = xShape;
  const [kh, kw] = packed.filterShape;
  const cout = out[3];
  checkBuffer(op, 'x', k, xPtr, n * h * w * cin * 4);
  checkBuffer(op, 'out', k, outPtr, n * g.oh * g.ow * cout * 4);
  if (packed.layout === 'depthwise') {
    // split by output rows: rows r0.. see the top padding r0 larger
    runRows(k, {
      fn: 'conv2dTransposeDepthwise',
      args: [xPtr, n, h, w, cin, packed.ptr, kh, kw, g.sh, g.sw, g.padTop, g.padLeft, g.oh, g.ow, relu, outPtr],
      rows: n === 1 ? g.oh : 1, rowsArg: 12, perRow: [[10, 1], [15, g.ow * cout * 4]],
    }, n * g.oh * g.ow * cout * kh * kw / (g.sh * g.sw));
    return out;
  }
  if (packed.layout === 'grouped') {
    const bias = packed.scratch;
    k.exports.conv2dTransposeGroupedScalar(xPtr, n, h, w, cin, packed.ptr, kh, kw, cout, packed.groups, bias, bias ? 1 : 0, g.sh, g.sw, g.padTop, g.padLeft, g.oh, g.ow, relu, outPtr);
    return out;
  }
  runRows(k, {
    fn: 'conv2dTransposeIgemm',
    args: [xPtr, n, h, w, cin, packed.ptr, kh, kw, cout, g.sh, g.sw, g.padTop, g.padLeft, g.oh, g.ow, relu, outPtr, packed.scratch],
    rows: n === 1 ? g.oh : 1, rowsArg: 13, perRow: [[11, 1], [16, g.ow * cout * 4]],
    scratch: [17, scratchStride(k.exports.conv2dTransposeScratchBytes(kh, kw, g.sh, g.sw, cin))],
  }, n * g.oh * g.ow * cout * cin * kh * kw / (g.sh * g.sw));
  return out;
}
