// Int8 transposed convolution (PyTorch ConvTranspose2d semantics, groups 1), for the up-sampling
// necks (centernet-resnet18's three 4x4 stride-2 deconvs are 72 of the int8 model's 265 ms at 512
// when they stay f32). As the f32 kernel (assembly/conv/conv2d-transpose.ts), each output phase
// (qy, qx) = ((oy + padTop) mod sh, (ox + padLeft) mod sw) receives exactly the taps
// ky = qy + ty sh, kx = qx + tx sw from input pixel (by - ty, bx - tx), by = (oy + padTop - qy) / sh;
// so a phase is a stride-1 conv of x with those taps, flipped (tap t = tY - 1 - ty), top padding
// tY - 1 - cy where cy = (oy0 + padTop - qy) / sh for the phase's first row oy0. Each phase's taps
// are packed as an ordinary int8 filter (assembly/conv/int8-pack.ts, 'c2' layout, or 'c4' for 'u7'
// codes as conv-int8.ts) and run on the int8 conv driver with its output pixels spread sh rows and
// sw columns apart (conv2dInt8IgemmPhase / conv2dInt8IgemmPhaseC4): the same integer sums and f32 epilogue as the int8 conv, no zero
// products for the holes, no copy.
//   const p = packConv2dTransposeInt8(k8, quantizeDeconvWeights(w, [kh, kw, cout, cin]), [kh, kw, cout, cin], { bias, stride: 2 });
//   quantizeActivationsInto(k8, xPtr, xShape, quant, codesPtr);
//   conv2dTransposeInt8Into(k8, p, codesPtr, xShape, quant, outPtr, { pad: 1, activation: 'relu' });
import { checkInt8Kernels, type Int8Kernels } from '../wasm/int8-loader.js';
import type { Kernels } from '../wasm/loader.js';
import { PackedMemory } from './packed-memory.js';
import { poolThreads, runInt8Rows, scratchStride } from '../threads/run-rows.js';
import { checkBuffer } from './heap-scope.js';
import { optionsObject } from '../util/options.js';
import { checkActivation, checkBias, checkShape4, convTransposeGeometry, pair, type Pair } from './conv-params.js';
import { checkInt8Layout, checkInt8Weights, checkLayoutCodes, layoutTakes, packInt8Weights, type Int8ConvLayout } from './conv-int8.js';
import {
  MAX_INT8_REDUCTION, activationCodeBytes, checkActivationQuant, f32Bits, int8ChannelStride, int8TransposeFits, transposePhaseTaps,
  type ActivationQuant, type Int8ConvWeights,
} from './int8-quant.js';

export { int8TransposeFits };

export interface PackConv2dTransposeInt8Options {
  bias?: Float32Array;
  /** The transposed conv's stride (default 1): the phases are packed for it. */
  stride?: Pair;
  /** Default 'c2' ('u8' / 's8' codes); 'c4' takes 'u7' codes (the relaxed dot product), as packConv2dInt8. */
  layout?: Int8ConvLayout;
}

export interface Conv2dTransposeInt8IntoOptions {
  /** PyTorch ConvTranspose2d padding: one number, or [top, bottom, left, right]. */
  pad?: number | readonly [number, number, number, number];
  outputPadding?: Pair;
  activation?: 'none' | 'relu';
}

export interface PackedConv2dTransposeInt8 {
  /** [kh, kw, cout, cin] (the transposed conv's weight layout). */
  readonly filterShape: readonly [number, number, number, number];
  readonly stride: readonly [number, number];
  /** 'c2' takes 'u8' / 's8' activation codes, 'c4' takes 'u7'. */
  readonly layout: Int8ConvLayout;
  /** Frees the packed weights and scratch; the object is unusable afterwards. */
  release(): void;
}

interface Phase {
  qy: number;
  qx: number;
  tY: number;
  tX: number;
  /** Offset of the phase's packed panels from the packed weights' start. */
  offset: number;
}

class PackedTransposeInt8 extends PackedMemory implements PackedConv2dTransposeInt8 {
  constructor(
    k: Kernels,
    readonly filterShape: readonly [number, number, number, number],
    readonly stride: readonly [number, number],
    readonly layout: Int8ConvLayout,
    readonly phases: readonly Phase[],
    ptr: number,
    /** Zero row + indirection buffer, one per pool thread, scratchBytes apart. */
    scratch: number,
    readonly scratchBytes: number,
  ) {
    super(k, ptr, scratch);
  }
}

const PACK_OPTIONS = ['bias', 'stride', 'layout'];
const INTO_OPTIONS = ['pad', 'outputPadding', 'activation'];

/**
 * Packs int8 transposed-conv weights: codes [kh, kw, cout, cin] in -127..127 (the layer's weight
 * layout), scales [cout] per output channel, and bias [cout], phase by phase for `stride`.
 */
export function packConv2dTransposeInt8(k8: Int8Kernels, weights: Int8ConvWeights, shape: readonly number[], options?: PackConv2dTransposeInt8Options): PackedConv2dTransposeInt8 {
  const op = 'packConv2dTransposeInt8';
  const k = checkInt8Kernels(op, k8).base;
  const opts = optionsObject(op, 'option', options, PACK_OPTIONS);
  const [kh, kw, cout, cin] = checkShape4(op, 'w shape', shape);
  const [sh, sw] = pair(op, 'stride', opts.stride, 1);
  const { codes, scales } = checkInt8Weights(op, weights, [kh, kw, cout, cin], cout);
  const bias = checkBias(op, opts.bias, cout);
  const layout = checkInt8Layout(op, opts.layout);
  const c4 = layout === 'c4';
  if (!int8TransposeFits(kh, kw, cin, [sh, sw])) {
    throw new Error(`${op}: needs a kernel at least the stride (every phase a tap) and a phase reduction of at most ${MAX_INT8_REDUCTION}, got w shape [${shape}], stride [${sh}, ${sw}]`);
  }
  const ex = k8.exports;
  const phases: Phase[] = [];
  let bytes = 0;
  for (let qy = 0; qy < sh; qy++) {
    for (let qx = 0; qx < sw; qx++) {
      const tY = transposePhaseTaps(qy, kh, sh);
      const tX = transposePhaseTaps(qx, kw, sw);
      phases.push({ qy, qx, tY, tX, offset: bytes });
      bytes += c4 ? ex.int8GemmPackedBytesC4(tY * tX, cin, cout) : ex.int8GemmPackedBytes(tY * tX, cin, cout);
    }
  }
  const ptr = k.heap.alloc(bytes);
  try {
    for (const p of phases) {
      // the phase's taps as an HWIO filter [tY, tX, cin, cout], flipped: tap (t, u) is ky = qy + (tY - 1 - t) sh
      const sub = new Int8Array(p.tY * p.tX * cin * cout);
      for (let t = 0; t < p.tY; t++) {
        const ky = p.qy + (p.tY - 1 - t) * sh;
        for (let u = 0; u < p.tX; u++) {
          const kx = p.qx + (p.tX - 1 - u) * sw;
          const src = (ky * kw + kx) * cout * cin;
          const dst = (t * p.tX + u) * cin * cout;
          for (let o = 0; o < cout; o++) for (let i = 0; i < cin; i++) sub[dst + i * cout + o] = codes[src + o * cin + i];
        }
      }
      const ks = p.tY * p.tX;
      packInt8Weights(k, sub, scales, bias, (c, s, b, hasBias) =>
        c4 ? ex.packInt8GemmWeightsC4(c, ks, cin, cout, s, b, hasBias, ptr + p.offset) : ex.packInt8GemmWeights(c, ks, cin, cout, s, b, hasBias, ptr + p.offset),
      );
    }
  } catch (e) {
    k.heap.release(ptr);
    throw e;
  }
  const maxTaps = Math.max(...phases.map((p) => p.tY * p.tX));
  const codes0 = layoutTakes(layout)[0];
  const scratchBytes = scratchStride(ex.conv2dInt8IgemmScratchBytes(int8ChannelStride(cin, codes0), maxTaps, activationCodeBytes(codes0)));
  const scratch = k.heap.alloc(scratchBytes * poolThreads(k));
  return new PackedTransposeInt8(k, [kh, kw, cout, cin], [sh, sw], layout, phases, ptr, scratch, scratchBytes);
}

/** Output shape [n, oh, ow, cout] of conv2dTransposeInt8Into. */
export function conv2dTransposeInt8OutputShape(xShape: readonly number[], packed: PackedConv2dTransposeInt8, options?: Conv2dTransposeInt8IntoOptions): [number, number, number, number] {
  return plan('conv2dTransposeInt8OutputShape', xShape, packed, options).out;
}

function plan(op: string, xShape: readonly number[], packed: PackedConv2dTransposeInt8, options: Conv2dTransposeInt8IntoOptions | undefined) {
  const opts = optionsObject(op, 'option', options, INTO_OPTIONS);
  const [n, h, w, cin] = checkShape4(op, 'x shape', xShape);
  const [kh, kw, cout, cinW] = packed.filterShape;
  if (cin !== cinW) throw new Error(`${op}: x has ${cin} channels but the filter [${packed.filterShape}] takes ${cinW}`);
  const g = convTransposeGeometry(op, h, w, kh, kw, { ...opts, stride: packed.stride });
  return { opts, g, out: [n, g.oh, g.ow, cout] as [number, number, number, number] };
}

/**
 * out [n, oh, ow, cout] f32 = act(convTranspose(x, packed) + bias) where x [n, h, w, cin] is held
 * as the codes of quant (quantizeActivationsInto; 'u8' or 's8' for the 'c2' layout, 'u7' for 'c4').
 * Returns the output shape.
 */
export function conv2dTransposeInt8Into(
  k8: Int8Kernels, packed: PackedConv2dTransposeInt8, xPtr: number, xShape: readonly number[], quant: ActivationQuant, outPtr: number,
  options?: Conv2dTransposeInt8IntoOptions,
): [number, number, number, number] {
  const op = 'conv2dTransposeInt8Into';
  const k = checkInt8Kernels(op, k8).base;
  if (!(packed instanceof PackedTransposeInt8)) throw new Error(`${op}: packed must come from packConv2dTransposeInt8`);
  packed.check(op, k);
  const { opts, g, out } = plan(op, xShape, packed, options);
  const q = checkActivationQuant(op, 'quant', quant);
  checkLayoutCodes(op, packed.layout, q.codes);
  const relu = checkActivation(op, opts.activation);
  const [n, h, w, cin] = xShape;
  const cout = out[3];
  const cs = int8ChannelStride(cin, q.codes);
  const imageBytes = h * w * cs * activationCodeBytes(q.codes);
  checkBuffer(op, 'x', k, xPtr, n * imageBytes);
  checkBuffer(op, 'out', k, outPtr, n * g.oh * g.ow * cout * 4);
  const { sh, sw } = g;
  const pixelBytes = cout * 4;
  for (let b = 0; b < n; b++) {
    const x = xPtr + b * imageBytes;
    const image = outPtr + b * g.oh * g.ow * pixelBytes;
    for (const p of packed.phases) {
      // the phase's first output row and column, how many it has, and its conv's padding
      const oy0 = (((p.qy - g.padTop) % sh) + sh) % sh;
      const ox0 = (((p.qx - g.padLeft) % sw) + sw) % sw;
      const ny = oy0 < g.oh ? Math.ceil((g.oh - oy0) / sh) : 0;
      const nx = ox0 < g.ow ? Math.ceil((g.ow - ox0) / sw) : 0;
      if (ny === 0 || nx === 0) continue;
      const padTop = p.tY - 1 - (oy0 + g.padTop - p.qy) / sh;
      const padLeft = p.tX - 1 - (ox0 + g.padLeft - p.qx) / sw;
      // split by the phase's rows: rows r0.. are the same conv with the top padding r0 smaller, written r0 sh output rows further
      runInt8Rows(k8, {
        fn: packed.layout === 'c4' ? 'conv2dInt8IgemmPhaseC4' : 'conv2dInt8IgemmPhase',
        args: [x, h, w, cs, packed.ptr + p.offset, p.tY, p.tX, cout, padTop, padLeft, ny, nx, f32Bits(q.scale), relu, image + (oy0 * g.ow + ox0) * pixelBytes, packed.scratch, g.ow, sh, sw],
        rows: ny, rowsArg: 10, perRow: [[8, -1], [14, sh * g.ow * pixelBytes]],
        scratch: [15, packed.scratchBytes],
      }, ny * nx * cout * p.tY * p.tX * cs);
    }
  }
  return out;
}
