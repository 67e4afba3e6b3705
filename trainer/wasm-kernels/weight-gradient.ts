// The weight gradient of conv2d (TF's Conv2DBackpropFilter) on our kernels, for the trainer's wasm
// backend: dW [kh, kw, cin/groups, cout] = sum over batch and output pixels of x-patch^T * dy, with
// conv2d's stride / padding / dilation. SIMD kernels for groups = 1 (3x3 stride 1 as Winograd
// F(2x2, 3x3), assembly/conv/winograd.ts; few input channels with filter rows as taps) and for
// depthwise (groups = cin = cout); other group counts run the scalar spec (correct, slower). The kernels are the training module's
// (assembly/train.ts), on the main module's memory `k`.
import type { Kernels } from '../../runtime/wasm/loader.js';
import { checkBuffer, withScope } from '../../runtime/ops/heap-scope.js';
import { checkShape4, convGeometry, type ConvPad, type Pair } from '../../runtime/ops/conv-params.js';
import { checkPositiveInt, checkTensor, type Tensor } from '../../runtime/ops/tensor.js';
import { igemmRowsFits, winogradBlockTiles, winogradFits } from '../../runtime/ops/conv-packed.js';
import type { TrainExports } from './train-module.js';

/**
 * Input channels up to which the weight gradient takes whole filter rows as taps: below the direct
 * kernel's 4-channel register tile. Measured here (batch 4, direct / rows time): the 7x7 stride 2
 * stem 3 -> 16 at 128 1.79x; 3x3 with cin 8, 16 and 32 0.93-0.96x (the direct tiles are full there).
 */
export const ROWS_MAX_CIN = 3;

/** Where a kernel's scratch comes from: a pointer to at least `bytes` bytes in `k`'s memory. */
export type ScratchSource = (bytes: number) => number;

export interface Conv2dBackpropFilterOptions {
  stride?: Pair;
  pad?: ConvPad;
  dilation?: Pair;
  groups?: number;
  /**
   * For tests and benchmarks: 'scalar' runs the spec kernel, 'direct' the SIMD direct kernel,
   * 'rows' the direct kernel with whole filter rows as taps, 'winograd' the Winograd F(2x2, 3x3)
   * kernel (an Error where one cannot run). Default 'auto': Winograd where winogradFits (3x3,
   * stride 1, dilation 1, groups 1, channels in multiples of 4), rows for up to ROWS_MAX_CIN input
   * channels, else direct.
   */
  kernel?: 'auto' | 'scalar' | 'direct' | 'rows' | 'winograd';
}

/**
 * Pointer level: x [n, h, w, cin] and dy [n, oh, ow, cout] in kernel memory -> dW (HWIO filterShape
 * [kh, kw, cin/groups, cout]) written at dwPtr (overwritten, not accumulated).
 */
export function conv2dBackpropFilterInto(
  k: Kernels, train: TrainExports, xPtr: number, xShape: readonly number[], dyPtr: number, dyShape: readonly number[],
  dwPtr: number, filterShape: readonly number[], opts: Conv2dBackpropFilterOptions = {}, scratch?: ScratchSource,
): void {
  backpropFilter('conv2dBackpropFilterInto', k, train, xPtr, xShape, dyPtr, dyShape, dwPtr, filterShape, opts, scratch);
}

/**
 * `scratch` (the Winograd kernel's): the trainer passes its grow-only buffers, so that a training
 * step allocates nothing after the first; without it the scratch is allocated and freed per call.
 */
function backpropFilter(
  op: string, k: Kernels, train: TrainExports, xPtr: number, xShape: readonly number[], dyPtr: number, dyShape: readonly number[],
  dwPtr: number, filterShape: readonly number[], opts: Conv2dBackpropFilterOptions, scratch?: ScratchSource,
): void {
  if (typeof opts !== 'object' || opts === null) throw new Error(`${op}: options must be an object`);
  const [n, h, w, cin] = checkShape4(op, 'x shape', xShape);
  const [dn, doh, dow, dcout] = checkShape4(op, 'dy shape', dyShape);
  const [kh, kw, cinG, cout] = checkShape4(op, 'filterShape', filterShape);
  const groups = checkPositiveInt(op, 'groups', opts.groups ?? 1);
  if (cinG * groups !== cin) throw new Error(`${op}: x has ${cin} channels but filterShape [${filterShape}] takes ${cinG} per group x ${groups} groups`);
  if (cout % groups !== 0) throw new Error(`${op}: groups ${groups} does not divide the ${cout} output channels`);
  const g = convGeometry(op, h, w, kh, kw, opts);
  if (dn !== n || doh !== g.oh || dow !== g.ow || dcout !== cout) {
    throw new Error(`${op}: dy shape [${dyShape}] must be the conv output shape [${n}, ${g.oh}, ${g.ow}, ${cout}]`);
  }
  checkBuffer(op, 'x', k, xPtr, n * h * w * cin * 4);
  checkBuffer(op, 'dy', k, dyPtr, n * g.oh * g.ow * cout * 4);
  checkBuffer(op, 'dW', k, dwPtr, kh * kw * cinG * cout * 4);
  const kernel = opts.kernel ?? 'auto';
  if (kernel !== 'auto' && kernel !== 'scalar' && kernel !== 'direct' && kernel !== 'rows' && kernel !== 'winograd') {
    throw new Error(`${op}: kernel must be 'auto', 'scalar', 'direct', 'rows' or 'winograd', got ${JSON.stringify(kernel)}`);
  }
  const fits = winogradFits(kh, kw, cin, cout, groups, [g.sh, g.sw], [g.dh, g.dw]);
  if (kernel === 'winograd' && !fits) {
    throw new Error(`${op}: kernel 'winograd' cannot run this layer (filterShape [${filterShape}], groups ${groups}, stride [${g.sh}, ${g.sw}], dilation [${g.dh}, ${g.dw}])`);
  }
  if (kernel === 'direct' && groups !== 1) throw new Error(`${op}: kernel 'direct' needs groups 1, got ${groups}`);
  if (kernel === 'rows' && !igemmRowsFits(kw, groups, g.dw)) {
    throw new Error(`${op}: kernel 'rows' needs groups 1, a filter wider than 1 and horizontal dilation 1 (filterShape [${filterShape}], groups ${groups}, dilation [${g.dh}, ${g.dw}])`);
  }
  if (kernel === 'winograd' || (kernel === 'auto' && fits)) {
    const blockTiles = winogradBlockTiles(cin);
    const bytes = train.conv2dBackpropFilterWinogradScratchBytes(cin, cout, blockTiles);
    const run = (at: number) => train.conv2dBackpropFilterWinograd(xPtr, n, h, w, cin, dyPtr, g.oh, g.ow, cout, g.padTop, g.padLeft, dwPtr, at, blockTiles);
    if (scratch) run(scratch(bytes));
    else withScope(k, (s) => run(s.alloc(bytes)));
  } else if (kernel === 'rows' || (kernel === 'auto' && cinG <= ROWS_MAX_CIN && igemmRowsFits(kw, groups, g.dw))) {
    train.conv2dBackpropFilterRows(xPtr, n, h, w, cin, dyPtr, g.oh, g.ow, cout, kh, kw, g.sh, g.sw, g.padTop, g.padLeft, g.dh, dwPtr);
  } else if ((kernel === 'auto' || kernel === 'direct') && groups === 1) {
    train.conv2dBackpropFilter(xPtr, n, h, w, cin, dyPtr, g.oh, g.ow, cout, kh, kw, g.sh, g.sw, g.padTop, g.padLeft, g.dh, g.dw, dwPtr);
  } else if (kernel === 'auto' && cinG === 1 && groups === cout) {
    train.depthwiseBackpropFilter(xPtr, n, h, w, cin, dyPtr, g.oh, g.ow, kh, kw, g.sh, g.sw, g.padTop, g.padLeft, g.dh, g.dw, dwPtr);
  } else {
    train.conv2dBackpropFilterScalar(xPtr, n, h, w, cin, dyPtr, g.oh, g.ow, cout, kh, kw, groups, g.sh, g.sw, g.padTop, g.padLeft, g.dh, g.dw, dwPtr);
  }
}

/** dW [kh, kw, cin/groups, cout] of conv2d(x, w, opts) given the output gradient dy (tensors in, tensor out). */
export function conv2dBackpropFilter(k: Kernels, train: TrainExports, x: Tensor, dy: Tensor, filterShape: readonly number[], opts: Conv2dBackpropFilterOptions = {}): Tensor {
  const op = 'conv2dBackpropFilter';
  checkTensor(op, 'x', x, 4);
  checkTensor(op, 'dy', dy, 4);
  const [kh, kw, cinG, cout] = checkShape4(op, 'filterShape', filterShape);
  const size = kh * kw * cinG * cout;
  return withScope(k, (s) => {
    const px = s.f32(x.data);
    const pdy = s.f32(dy.data);
    const pdw = s.alloc(size * 4);
    backpropFilter(op, k, train, px, x.shape, pdy, dy.shape, pdw, filterShape, opts);
    return { data: s.readF32(pdw, size), shape: [kh, kw, cinG, cout] };
  });
}
