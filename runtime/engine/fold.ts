// Batch norm folded into the preceding conv at load time (inference only):
//   scale = gamma / sqrt(running_var + eps), w' = w * scale[cout], b' = (b - running_mean) * scale + beta.
import { BN_EPS, type ConvNode, type DcnNode, type DeconvNode } from '../model/graph.js';
import type { Kernels } from '../wasm/loader.js';
import { withScope } from '../ops/heap-scope.js';
import { scaleColumnsInPlace } from '../ops/stage-weights.js';
import type { WeightData } from '../weights/half-floats.js';

export interface FoldedWeights<W extends WeightData = Float32Array> {
  /** Conv and dcn: HWIO [kh, kw, cin/groups, cout]; deconv: [kh, kw, cout/groups, cin] (the graph's layouts). */
  weight: W;
  /** Always present after folding (zeros when the layer had neither bias nor batch norm). */
  bias: Float32Array;
  /**
   * Where present, the folded weight is `weight`'s columns times these factors (stage-weights.ts):
   * the fold left to the packer, which applies it in kernel memory (foldBatchNormForPacking).
   */
  columnScale?: Float32Array;
}

/**
 * Per-channel scale and shift of a batch norm whose parameters are `${prefix}{weight,bias,running_mean,running_var}`.
 * With the kernels, on their bnFoldF32 (the same f64 arithmetic, bit for bit: a cold create() runs
 * this loop in the interpreter, which boxes every intermediate double; assembly/elementwise/bn-fold.ts).
 */
export function bnScaleShift(param: (suffix: string) => Float32Array, prefix: string, channels: number, kn?: Kernels): { scale: Float32Array; shift: Float32Array } {
  if (kn) {
    const { scale, shift } = bnFoldInKernels(kn, param, prefix, channels);
    return { scale, shift };
  }
  const gamma = param(`${prefix}weight`);
  const beta = param(`${prefix}bias`);
  const mean = param(`${prefix}running_mean`);
  const variance = param(`${prefix}running_var`);
  const scale = new Float32Array(channels);
  const shift = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    scale[c] = gamma[c] / Math.sqrt(variance[c] + BN_EPS);
    shift[c] = beta[c] - mean[c] * scale[c];
  }
  return { scale, shift };
}

/** bnFoldF32 on the batch norm `${prefix}*`: its scale, its shift, and bias * scale + shift (bias 0 where none is given). */
function bnFoldInKernels(
  kn: Kernels, param: (suffix: string) => Float32Array, prefix: string, channels: number, bias?: Float32Array,
): { scale: Float32Array; shift: Float32Array; bias: Float32Array } {
  const inputs = [`${prefix}weight`, `${prefix}bias`, `${prefix}running_mean`, `${prefix}running_var`].map((name) => {
    const t = param(name);
    if (t.length !== channels) throw new Error(`batch norm fold: ${name} has ${t.length} values, expected ${channels}`);
    return t;
  });
  if (bias && bias.length !== channels) throw new Error(`batch norm fold: the bias has ${bias.length} values, expected ${channels}`);
  return withScope(kn, (scope) => {
    // (zeros: the spec's bias of a layer without one)
    const [gamma, beta, mean, variance, biasIn] = [...inputs, bias ?? new Float32Array(channels)].map((t) => scope.f32(t));
    const [scale, shift, folded] = [0, 1, 2].map(() => scope.alloc(channels * 4));
    kn.exports.bnFoldF32(gamma, beta, mean, variance, biasIn, channels, BN_EPS, scale, shift, folded);
    return { scale: scope.readF32(scale, channels), shift: scope.readF32(shift, channels), bias: scope.readF32(folded, channels) };
  });
}

/**
 * The fold without its weight product: `weight` is the stored tensor itself (not copied; an F16
 * file's half bits, for the plan), and `columnScale` (with batch norm) the factors its columns take.
 * The execution plan hands both to the packers, which copy the weights into kernel memory anyway and
 * scale them there.
 */
export function foldBatchNormForPacking<W extends WeightData>(
  node: ConvNode | DeconvNode | DcnNode, param: (suffix: string) => Float32Array, weight: W, kn?: Kernels,
): FoldedWeights<W> {
  const cout = node.cout;
  if (!node.bn) return { weight, bias: node.bias ? param('bias').slice() : new Float32Array(cout) };
  let bias: Float32Array;
  let scale: Float32Array;
  if (kn) ({ scale, bias } = bnFoldInKernels(kn, param, 'bn.', cout, node.bias ? param('bias') : undefined));
  else {
    bias = node.bias ? param('bias').slice() : new Float32Array(cout);
    const { scale: s, shift } = bnScaleShift(param, 'bn.', cout);
    scale = s;
    for (let c = 0; c < cout; c++) bias[c] = bias[c] * scale[c] + shift[c];
  }
  // The weights times a per-column factor: conv and dcn (HWIO) scale column c by scale[c]; a deconv
  // [kh, kw, cout / groups, cin] scales element (o, ci) by the scale of the output channel it feeds,
  // (ci's group) * cout / groups + o, the same for every tap, so its factors span one tap.
  if (node.op !== 'deconv') return { weight, bias, columnScale: scale };
  const cin = node.cin;
  const coutG = cout / node.groups;
  const cinG = cin / node.groups;
  const factors = new Float32Array(coutG * cin);
  // copied as their bits: integers, which the interpreter does not box as it does doubles
  const to = new Int32Array(factors.buffer);
  const from = new Int32Array(scale.buffer, scale.byteOffset, scale.length);
  for (let o = 0; o < coutG; o++) {
    for (let g = 0; g < node.groups; g++) {
      const bits = from[g * coutG + o];
      for (let ci = g * cinG; ci < (g + 1) * cinG; ci++) to[o * cin + ci] = bits;
    }
  }
  return { weight, bias, columnScale: factors };
}

/** The folded weights as arrays of their own (ONNX export, quantisation): foldBatchNormForPacking's product applied. */
export function foldBatchNorm(node: ConvNode | DeconvNode | DcnNode, param: (suffix: string) => Float32Array, kn?: Kernels): FoldedWeights {
  const { weight, bias, columnScale } = foldBatchNormForPacking(node, param, param('weight'), kn);
  return { weight: columnScale ? scaleColumns(weight, columnScale, kn) : weight.slice(), bias };
}

/**
 * `w` viewed as rows of factors.length columns, each column times its factor (exact f32 products).
 * With the kernels, on their per-channel affine kernel (stage-weights.ts): the quantiser's fold; the
 * loop stays for kernel-less callers (ONNX export). The detector's plans fold as they pack instead.
 */
function scaleColumns(w: Float32Array, factors: Float32Array, kn?: Kernels): Float32Array {
  const cols = factors.length;
  if (!kn) {
    const out = w.slice();
    for (let row = 0; row < out.length; row += cols) for (let c = 0; c < cols; c++) out[row + c] *= factors[c];
    return out;
  }
  return withScope(kn, (scope) => {
    const ptr = scope.f32(w);
    scaleColumnsInPlace(kn, ptr, w.length, factors);
    return scope.readF32(ptr, w.length);
  });
}
