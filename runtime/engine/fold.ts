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

/** Per-channel scale and shift of a batch norm whose parameters are `${prefix}{weight,bias,running_mean,running_var}`. */
export function bnScaleShift(param: (suffix: string) => Float32Array, prefix: string, channels: number): { scale: Float32Array; shift: Float32Array } {
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

/**
 * The fold without its weight product: `weight` is the stored tensor itself (not copied; an F16
 * file's half bits, for the plan), and `columnScale` (with batch norm) the factors its columns take.
 * The execution plan hands both to the packers, which copy the weights into kernel memory anyway and
 * scale them there.
 */
export function foldBatchNormForPacking<W extends WeightData>(node: ConvNode | DeconvNode | DcnNode, param: (suffix: string) => Float32Array, weight: W): FoldedWeights<W> {
  const bias = node.bias ? param('bias').slice() : new Float32Array(node.cout);
  if (!node.bn) return { weight, bias };
  const { scale, shift } = bnScaleShift(param, 'bn.', node.cout);
  const cout = node.cout;
  for (let c = 0; c < cout; c++) bias[c] = bias[c] * scale[c] + shift[c];
  // The weights times a per-column factor: conv and dcn (HWIO) scale column c by scale[c]; a deconv
  // [kh, kw, cout / groups, cin] scales element (o, ci) by the scale of the output channel it feeds,
  // (ci's group) * cout / groups + o, the same for every tap, so its factors span one tap.
  if (node.op !== 'deconv') return { weight, bias, columnScale: scale };
  const cin = node.cin;
  const coutG = cout / node.groups;
  const cinG = cin / node.groups;
  const factors = new Float32Array(coutG * cin);
  for (let o = 0; o < coutG; o++) for (let ci = 0; ci < cin; ci++) factors[o * cin + ci] = scale[Math.floor(ci / cinG) * coutG + o];
  return { weight, bias, columnScale: factors };
}

/** The folded weights as arrays of their own (ONNX export, quantisation): foldBatchNormForPacking's product applied. */
export function foldBatchNorm(node: ConvNode | DeconvNode | DcnNode, param: (suffix: string) => Float32Array, kn?: Kernels): FoldedWeights {
  const { weight, bias, columnScale } = foldBatchNormForPacking(node, param, param('weight'));
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
