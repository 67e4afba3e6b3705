// The public convolution ops (DESIGN.md): conv2d (NHWC, HWIO weights, stride, padding incl. TF
// 'same', dilation, groups, bias, ReLU) and conv2dTranspose (PyTorch ConvTranspose2d semantics,
// TF.js weight layout [kh, kw, cout, cin]). Each call packs the weights, runs the best kernel and
// frees everything; the execution plan uses the pointer-level API in conv-packed.ts instead.
import { kernels } from '../wasm/loader.js';
import { withScope } from './heap-scope.js';
import {
  chooseConvKernel, conv2dInto, conv2dTransposeInto, IGEMM_ROWS_MAX_CIN, packConv2d, prefersIgemmRows, packConv2dTranspose, winogradFits, type FastConvKernel,
} from './conv-packed.js';
import {
  checkActivation, checkBias, convGeometry, convTransposeGeometry,
  type Activation, type ConvPad, type Pair,
} from './conv-params.js';
import { checkPositiveInt, checkTensor, type Tensor } from './tensor.js';
import { checkOptionNames } from '../util/options.js';

const CONV2D_OPTIONS = ['bias', 'stride', 'pad', 'dilation', 'groups', 'activation', 'kernel'] as const;
const CONV2D_TRANSPOSE_OPTIONS = ['bias', 'stride', 'pad', 'outputPadding', 'groups', 'activation', 'kernel'] as const;

export interface Conv2dOptions {
  /** [cout] values added before the activation. */
  bias?: Float32Array | Tensor;
  stride?: Pair;
  /** Zero padding: one number, [top, bottom, left, right], or 'same' (TF SAME: out = ceil(in / stride)). */
  pad?: ConvPad;
  dilation?: Pair;
  groups?: number;
  activation?: Activation;
  /**
   * For tests and benchmarks: 'scalar' runs the spec kernel, 'gemm1x1' | 'igemm' | 'igemmRows' |
   * 'depthwise' | 'winograd' force one fast kernel (an Error if it cannot run this layer). Default 'auto' (the
   * execution plan's choice: Winograd for 3x3 stride-1 convs that winogradFits).
   */
  kernel?: 'auto' | 'scalar' | FastConvKernel;
}

export interface Conv2dTransposeOptions {
  bias?: Float32Array | Tensor;
  stride?: Pair;
  /** PyTorch ConvTranspose2d padding (cropped from the full output): one number or [top, bottom, left, right]. */
  pad?: number | readonly [number, number, number, number];
  /** Extra rows/columns at the bottom/right (PyTorch output_padding), smaller than the stride. */
  outputPadding?: Pair;
  /**
   * Grouped (PyTorch ConvTranspose2d groups): input group g feeds only output group g; w is then
   * [kh, kw, cout / groups, cin]. groups = cin = cout (depthwise) has a SIMD kernel. Default 1.
   */
  groups?: number;
  activation?: Activation;
  /** For tests and benchmarks: 'scalar' runs the spec kernel. Default 'auto'. */
  kernel?: 'auto' | 'scalar';
}

/** y [n, oh, ow, cout] = act(conv(x [n, h, w, cin], w [kh, kw, cin/groups, cout]) + bias). */
export function conv2d(x: Tensor, w: Tensor, opts: Conv2dOptions = {}): Tensor {
  const op = 'conv2d';
  checkTensor(op, 'x', x, 4);
  checkTensor(op, 'w', w, 4);
  if (typeof opts !== 'object' || opts === null) throw new Error(`${op}: options must be an object`);
  checkOptionNames(op, 'options', opts, CONV2D_OPTIONS);
  const [n, h, wd, cin] = x.shape;
  const [kh, kw, cinG, cout] = w.shape;
  if (x.data.length === 0) throw new Error(`${op}: x must not be empty, got shape [${x.shape}]`);
  if (w.data.length === 0) throw new Error(`${op}: w must not be empty, got shape [${w.shape}]`);
  const groups = checkPositiveInt(op, 'groups', opts.groups ?? 1);
  if (cin % groups !== 0) throw new Error(`${op}: groups ${groups} does not divide the ${cin} input channels of x`);
  if (cout % groups !== 0) throw new Error(`${op}: groups ${groups} does not divide the ${cout} output channels of w`);
  if (cinG * groups !== cin) {
    throw new Error(`${op}: x has ${cin} channels but w [${w.shape}] takes ${cinG} per group x ${groups} groups = ${cinG * groups}`);
  }
  const bias = checkBias(op, opts.bias, cout);
  const relu = checkActivation(op, opts.activation);
  const g = convGeometry(op, h, wd, kh, kw, opts);
  const kernel = opts.kernel ?? 'auto';
  const k = kernels();
  const outSize = n * g.oh * g.ow * cout;
  return withScope(k, (s) => {
    const px = s.f32(x.data);
    const pout = s.alloc(outSize * 4);
    if (kernel === 'scalar') {
      const pw = s.f32(w.data);
      const pb = bias ? s.f32(bias) : 0;
      k.exports.conv2dScalar(px, n, h, wd, cin, pw, kh, kw, cout, groups, pb, bias ? 1 : 0, g.sh, g.sw, g.padTop, g.padLeft, g.dh, g.dw, g.oh, g.ow, relu, pout);
    } else {
      if (kernel !== 'auto' && kernel !== 'gemm1x1' && kernel !== 'igemm' && kernel !== 'igemmRows' && kernel !== 'depthwise' && kernel !== 'winograd') {
        throw new Error(`${op}: kernel must be 'auto', 'scalar', 'gemm1x1', 'igemm', 'igemmRows', 'depthwise' or 'winograd', got ${JSON.stringify(kernel)}`);
      }
      if (kernel === 'igemmRows' && !prefersIgemmRows(kw, cinG, groups, g.dw)) {
        throw new Error(`${op}: kernel 'igemmRows' cannot run this layer (w [${w.shape}], groups ${groups}, dilation [${g.dh}, ${g.dw}]): it needs groups 1, a filter wider than 1, horizontal dilation 1 and at most ${IGEMM_ROWS_MAX_CIN} input channels`);
      }
      const fits = winogradFits(kh, kw, cinG, cout, groups, [g.sh, g.sw], [g.dh, g.dw]);
      if (kernel === 'winograd' && !fits) {
        throw new Error(`${op}: kernel 'winograd' cannot run this layer (w [${w.shape}], groups ${groups}, stride [${g.sh}, ${g.sw}], dilation [${g.dh}, ${g.dw}]): it needs 3x3, stride 1, dilation 1, groups 1 and 8 or more channels in multiples of 4`);
      }
      const layout = kernel === 'igemm' || kernel === 'igemmRows' || kernel === 'gemm1x1' ? 'gemm' : (kernel === 'winograd' || (kernel === 'auto' && fits)) ? 'winograd' : undefined;
      const packed = packConv2d(k, w.data, w.shape, { bias, groups, layout });
      try {
        if (kernel !== 'auto' && kernel !== chooseConvKernel(packed, g) && kernel !== 'igemm' && kernel !== 'igemmRows') {
          throw new Error(`${op}: kernel '${kernel}' cannot run this layer (w [${w.shape}], groups ${groups}, stride [${g.sh}, ${g.sw}], pad [${g.padTop}, ${g.padBottom}, ${g.padLeft}, ${g.padRight}])`);
        }
        conv2dInto(k, packed, px, x.shape, pout, { ...opts, pad: [g.padTop, g.padBottom, g.padLeft, g.padRight], kernel });
      } finally {
        packed.release();
      }
    }
    return { data: s.readF32(pout, outSize), shape: [n, g.oh, g.ow, cout] };
  });
}

/** y [n, oh, ow, cout] = act(convTranspose(x [n, h, w, cin], w [kh, kw, cout / groups, cin]) + bias), PyTorch semantics. */
export function conv2dTranspose(x: Tensor, w: Tensor, opts: Conv2dTransposeOptions = {}): Tensor {
  const op = 'conv2dTranspose';
  checkTensor(op, 'x', x, 4);
  checkTensor(op, 'w', w, 4);
  if (typeof opts !== 'object' || opts === null) throw new Error(`${op}: options must be an object`);
  checkOptionNames(op, 'options', opts, CONV2D_TRANSPOSE_OPTIONS);
  const [n, h, wd, cin] = x.shape;
  const [kh, kw, coutG, cinW] = w.shape;
  if (x.data.length === 0) throw new Error(`${op}: x must not be empty, got shape [${x.shape}]`);
  if (w.data.length === 0) throw new Error(`${op}: w must not be empty, got shape [${w.shape}]`);
  if (cinW !== cin) throw new Error(`${op}: x has ${cin} channels but w [${w.shape}] ([kh, kw, cout, cin]) takes ${cinW}`);
  const groups = checkPositiveInt(op, 'groups', opts.groups ?? 1);
  if (cin % groups !== 0) throw new Error(`${op}: groups ${groups} does not divide the ${cin} input channels of x`);
  const cout = coutG * groups;
  const bias = checkBias(op, opts.bias, cout);
  const relu = checkActivation(op, opts.activation);
  const g = convTransposeGeometry(op, h, wd, kh, kw, opts);
  const kernel = opts.kernel ?? 'auto';
  if (kernel !== 'auto' && kernel !== 'scalar') throw new Error(`${op}: kernel must be 'auto' or 'scalar', got ${JSON.stringify(kernel)}`);
  const k = kernels();
  const outSize = n * g.oh * g.ow * cout;
  return withScope(k, (s) => {
    const px = s.f32(x.data);
    const pout = s.alloc(outSize * 4);
    if (kernel === 'scalar') {
      const pw = s.f32(w.data);
      const pb = bias ? s.f32(bias) : 0;
      if (groups === 1) k.exports.conv2dTransposeScalar(px, n, h, wd, cin, pw, kh, kw, cout, pb, bias ? 1 : 0, g.sh, g.sw, g.padTop, g.padLeft, g.oh, g.ow, relu, pout);
      else k.exports.conv2dTransposeGroupedScalar(px, n, h, wd, cin, pw, kh, kw, cout, groups, pb, bias ? 1 : 0, g.sh, g.sw, g.padTop, g.padLeft, g.oh, g.ow, relu, pout);
    } else {
      const packed = packConv2dTranspose(k, w.data, w.shape, { bias, stride: [g.sh, g.sw], groups });
      try {
        conv2dTransposeInto(k, packed, px, x.shape, pout, { pad: [g.padTop, g.padBottom, g.padLeft, g.padRight], outputPadding: opts.outputPadding, activation: opts.activation });
      } finally {
        packed.release();
      }
    }
    return { data: s.readF32(pout, outSize), shape: [n, g.oh, g.ow, cout] };
  });
}
