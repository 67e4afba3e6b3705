// Batch norm folded into the preceding conv at load time (inference only):
//   scale = gamma / sqrt(running_var + eps), w' = w * scale[cout], b' = (b - running_mean) * scale + beta.
import { BN_EPS, type ConvNode, type DcnNode, type DeconvNode } from '../model/graph.js';

export interface FoldedWeights {
  /** Conv and dcn: HWIO [kh, kw, cin/groups, cout]; deconv: [kh, kw, cout/groups, cin] (the graph's layouts). */
  weight: Float32Array;
  /** Always present after folding (zeros when the layer had neither bias nor batch norm). */
  bias: Float32Array;
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

export function foldBatchNorm(node: ConvNode | DeconvNode | DcnNode, param: (suffix: string) => Float32Array): FoldedWeights {
  const weight = param('weight').slice();
  const bias = node.bias ? param('bias').slice() : new Float32Array(node.cout);
  if (!node.bn) return { weight, bias };
  const { scale, shift } = bnScaleShift(param, 'bn.', node.cout);
  // Row by row with the sizes in locals, no division per element: this runs once per layer at
  // load, mostly before the JIT has warmed up, and was a quarter of a cold create().
  const cout = node.cout;
  if (node.op !== 'deconv') {
    // HWIO (conv and dcn): cout is the innermost axis
    for (let row = 0; row < weight.length; row += cout) for (let c = 0; c < cout; c++) weight[row + c] *= scale[c];
  } else {
    // [kh, kw, cout / groups, cin]: element (o, ci) feeds output channel (ci's group) * cout / groups + o
    const cin = node.cin;
    const coutG = cout / node.groups;
    const cinG = cin / node.groups;
    for (let row = 0, o = 0; row < weight.length; row += cin, o = o + 1 === coutG ? 0 : o + 1) {
      for (let ci = 0; ci < cin; ci++) weight[row + ci] *= scale[Math.floor(ci / cinG) * coutG + o];
    }
  }
  for (let c = 0; c < cout; c++) bias[c] = bias[c] * scale[c] + shift[c];
  return { weight, bias };
}
