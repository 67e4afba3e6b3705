// Modulated deformable convolution (DCNv2, torchvision.ops.deform_conv2d with a mask, one offset
// group): the public op and the pointer-level entry points of the execution plan.
//   ops.deformConv2d(x, offset, mask, w, { bias, stride, pad, dilation, activation })
// x [n, h, w, cin] NHWC, offset [n, oh, ow, 2*kh*kw] (channel 2k = dy, 2k+1 = dx of tap k = i*kw + j),
// mask [n, oh, ow, kh*kw] (in [0, 1]), w HWIO [kh, kw, cin, cout] -> y [n, oh, ow, cout].
// The plan packs the weights once and passes the raw conv_offset_mask output (offsets, then mask
// logits, 3*kh*kw channels a pixel) straight to the kernel, which applies the sigmoid itself:
//   const p = packDeformConv2d(k, w, [kh, kw, cin, cout], { bias });
//   const outShape = deformConv2dOutputShape(xShape, p, { stride, pad, dilation });
//   deformConv2dInto(k, p, xPtr, xShape, offsetMaskPtr, outPtr, { stride, pad, dilation, activation: 'relu' });
//   p.release();
import { kernels, type Kernels } from '../wasm/loader.js';
import { checkBuffer, withScope } from './heap-scope.js';
import { PackedMemory } from './packed-memory.js';
import { checkColumnScale, checkStagingArea, checkWeightData, packStaged, type StagingArea } from './stage-weights.js';
import type { WeightData } from '../weights/half-floats.js';
import { checkActivation, checkBias, checkShape4, convGeometry, type Activation, type ConvGeometry, type Pair } from './conv-params.js';
import { checkTensor, type Tensor } from './tensor.js';

export interface DeformConv2dOptions {
  /** [cout] values added before the activation. */
  bias?: Float32Array | Tensor;
  stride?: Pair;
  /** Zero padding: one number or [top, bottom, left, right]. */
  pad?: number | readonly [number, number, number, number];
  dilation?: Pair;
  activation?: Activation;
  /** For tests and benchmarks: 'scalar' runs the spec kernel. Default 'auto'. */
  kernel?: 'auto' | 'scalar';
}

/** Window options of the pointer-level call (defaults: stride 1, pad 0, dilation 1, no activation). */
export interface DeformConv2dIntoOptions {
  stride?: Pair;
  pad?: number | readonly [number, number, number, number];
  dilation?: Pair;
  activation?: Activation;
}

export interface PackedDeformConv2d {
  /** HWIO [kh, kw, cin, cout]. */
  readonly filterShape: readonly [number, number, number, number];
  /** Packed weights (GEMM panels, pack.ts) in kernel memory. */
  readonly ptr: number;
  /** Frees the packed weights and scratch; the object is unusable afterwards. */
  release(): void;
}

const OPTION_NAMES = ['bias', 'stride', 'pad', 'dilation', 'activation', 'kernel'];
const INTO_OPTION_NAMES = ['stride', 'pad', 'dilation', 'activation'];

/** Throws on a non-object or on an option name outside `valid`, listing the valid ones. */
function checkOptionNames(op: string, opts: unknown, valid: readonly string[]): void {
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) throw new Error(`${op}: options must be an object`);
  for (const name of Object.keys(opts)) {
    if (!valid.includes(name)) throw new Error(`${op}: unknown option '${name}' (valid: ${valid.join(', ')})`);
  }
}

/** Window geometry; 'same' padding is refused (the offsets' grid is torchvision's). */
function geometry(op: string, h: number, w: number, kh: number, kw: number, opts: DeformConv2dIntoOptions): ConvGeometry {
  if (typeof opts.pad === 'string') throw new Error(`${op}: pad must be a non-negative integer or [top, bottom, left, right], got ${JSON.stringify(opts.pad)}`);
  return convGeometry(op, h, w, kh, kw, opts);
}

/** y [n, oh, ow, cout] = act(deformConv(x, offset, mask, w) + bias). */
export function deformConv2d(x: Tensor, offset: Tensor, mask: Tensor, w: Tensor, opts: DeformConv2dOptions = {}): Tensor {
  const op = 'deformConv2d';
  checkTensor(op, 'x', x, 4);
  checkTensor(op, 'offset', offset, 4);
  checkTensor(op, 'mask', mask, 4);
  checkTensor(op, 'w', w, 4);
  checkOptionNames(op, opts, OPTION_NAMES);
  const [n, h, wd, cin] = x.shape;
  const [kh, kw, cinW, cout] = w.shape;
  if (x.data.length === 0) throw new Error(`${op}: x must not be empty, got shape [${x.shape}]`);
  if (w.data.length === 0) throw new Error(`${op}: w must not be empty, got shape [${w.shape}]`);
  if (cinW !== cin) throw new Error(`${op}: x has ${cin} channels but w [${w.shape}] ([kh, kw, cin, cout]) takes ${cinW}`);
  const bias = checkBias(op, opts.bias, cout);
  const relu = checkActivation(op, opts.activation);
  const g = geometry(op, h, wd, kh, kw, opts);
  const kk = kh * kw;
  const want = (c: number) => `[${n}, ${g.oh}, ${g.ow}, ${c}]`;
  if (offset.shape.join() !== [n, g.oh, g.ow, 2 * kk].join()) {
    throw new Error(`${op}: offset must have shape ${want(2 * kk)} (2*kh*kw = ${2 * kk} channels on the ${g.oh}x${g.ow} output grid), got [${offset.shape}]`);
  }
  if (mask.shape.join() !== [n, g.oh, g.ow, kk].join()) {
    throw new Error(`${op}: mask must have shape ${want(kk)} (kh*kw = ${kk} channels on the ${g.oh}x${g.ow} output grid), got [${mask.shape}]`);
  }
  const kernel = opts.kernel ?? 'auto';
  if (kernel !== 'auto' && kernel !== 'scalar') throw new Error(`${op}: kernel must be 'auto' or 'scalar', got ${JSON.stringify(kernel)}`);
  const k = kernels();
  const outSize = n * g.oh * g.ow * cout;
  return withScope(k, (s) => {
    const px = s.f32(x.data);
    const po = s.f32(offset.data);
    const pm = s.f32(mask.data);
    const pout = s.alloc(outSize * 4);
    if (kernel === 'scalar') {
      const pw = s.f32(w.data);
      const pb = bias ? s.f32(bias) : 0;
      k.exports.deformConv2dScalar(px, n, h, wd, cin, pw, kh, kw, cout, pb, bias ? 1 : 0, g.sh, g.sw, g.padTop, g.padLeft, g.dh, g.dw, g.oh, g.ow, po, 2 * kk, pm, kk, 0, relu, pout);
    } else {
      const packed = packDeformConv2d(k, w.data, w.shape, { bias });
      try {
        runGemm(k, packed as Packed, px, [n, h, wd, cin], g, po, 2 * kk, pm, kk, 0, relu, pout);
      } finally {
        packed.release();
      }
    }
    return { data: s.readF32(pout, outSize), shape: [n, g.oh, g.ow, cout] };
  });
}

class Packed extends PackedMemory implements PackedDeformConv2d {
  constructor(
    k: Kernels,
    readonly filterShape: readonly [number, number, number, number],
    ptr: number,
    /** Zero row + one block's column buffer of deformConv2dGemm. */
    scratch: number,
  ) {
    super(k, ptr, scratch);
  }
}

/**
 * Packs HWIO weights [kh, kw, cin, cout] (and bias [cout]) and the kernel's scratch into kernel memory.
 * `columnScale`: per-output-channel factors applied in kernel memory before packing (a batch-norm
 * fold); `staging`: kernel memory to copy the weight into for packing where it fits (stage-weights.ts).
 */
export function packDeformConv2d(k: Kernels, weight: WeightData, shape: readonly number[], opts: { bias?: Float32Array; columnScale?: Float32Array; staging?: StagingArea } = {}): PackedDeformConv2d {
  const op = 'packDeformConv2d';
  const [kh, kw, cin, cout] = checkShape4(op, 'weight shape', shape);
  checkWeightData(op, 'weight', weight);
  if (weight.length !== kh * kw * cin * cout) throw new Error(`${op}: weight has ${weight.length} values but shape [${shape}] needs ${kh * kw * cin * cout}`);
  checkOptionNames(op, opts, ['bias', 'columnScale', 'staging']);
  const bias = checkBias(op, opts.bias, cout);
  const columnScale = checkColumnScale(op, opts.columnScale, weight.length);
  const staging = checkStagingArea(op, k, opts.staging);
  const ex = k.exports;
  const ks = kh * kw;
  const ptr = packStaged(k, ex.gemmPackedFloats(ks, cin, cout, 1), weight, bias, columnScale, staging, (wPtr, bPtr, hasBias, out) => ex.packGemmWeights(wPtr, ks, cin, cout, 1, bPtr, hasBias, out));
  const scratch = k.heap.alloc(ex.deformConv2dGemmScratchBytes(cin, ks));
  return new Packed(k, [kh, kw, cin, cout], ptr, scratch);
}

/** Output shape [n, oh, ow, cout] of deformConv2dInto; throws on a channel mismatch or an empty output. */
export function deformConv2dOutputShape(xShape: readonly number[], packed: PackedDeformConv2d, opts: DeformConv2dIntoOptions = {}): [number, number, number, number] {
  return intoPlan('deformConv2dOutputShape', xShape, packed, opts).out;
}

function intoPlan(op: string, xShape: readonly number[], packed: PackedDeformConv2d, opts: DeformConv2dIntoOptions) {
  checkOptionNames(op, opts, INTO_OPTION_NAMES);
  const [n, h, w, cin] = checkShape4(op, 'x shape', xShape);
  const [kh, kw, cinW, cout] = packed.filterShape;
  if (cin !== cinW) throw new Error(`${op}: x has ${cin} channels but the filter [${packed.filterShape}] takes ${cinW}`);
  const g = geometry(op, h, w, kh, kw, opts);
  return { g, out: [n, g.oh, g.ow, cout] as [number, number, number, number] };
}

/**
 * out [n, oh, ow, cout] = act(deformConv(x, offsets, sigmoid(logits), packed) + bias), all in kernel
 * memory. offsetMask [n, oh, ow, 3*kh*kw] is the conv_offset_mask output as is: channels [0, 2kk)
 * the offsets (2k = dy, 2k+1 = dx), [2kk, 3kk) the mask logits. Returns the output shape.
 */
export function deformConv2dInto(
  k: Kernels, packed: PackedDeformConv2d, x: number, xShape: readonly number[], offsetMask: number, out: number,
  opts: DeformConv2dIntoOptions = {},
): [number, number, number, number] {
  const op = 'deformConv2dInto';
  if (!(packed instanceof Packed)) throw new Error(`${op}: packed must come from packDeformConv2d`);
  packed.check(op, k);
  const { g, out: outShape } = intoPlan(op, xShape, packed, opts);
  const relu = checkActivation(op, opts.activation);
  const [n, h, w, cin] = xShape;
  const [kh, kw, , cout] = packed.filterShape;
  const kk = kh * kw;
  checkBuffer(op, 'x', k, x, n * h * w * cin * 4);
  checkBuffer(op, 'offsetMask', k, offsetMask, n * g.oh * g.ow * 3 * kk * 4);
  checkBuffer(op, 'out', k, out, n * g.oh * g.ow * cout * 4);
  runGemm(k, packed, x, [n, h, w, cin], g, offsetMask, 3 * kk, offsetMask + 2 * kk * 4, 3 * kk, 1, relu, out);
  return outShape;
}

function runGemm(
  k: Kernels, packed: Packed, x: number, [n, h, w, cin]: readonly number[], g: ConvGeometry,
  offset: number, offsetStride: number, mask: number, maskStride: number, maskLogits: 0 | 1, relu: 0 | 1, out: number,
): void {
  const [kh, kw, , cout] = packed.filterShape;
  k.exports.deformConv2dGemm(
    x, n, h, w, cin, packed.ptr, kh, kw, cout, g.sh, g.sw, g.padTop, g.padLeft, g.dh, g.dw, g.oh, g.ow,
    offset, offsetStride, mask, maskStride, maskLogits, relu, out, packed.scratch,
  );
}
