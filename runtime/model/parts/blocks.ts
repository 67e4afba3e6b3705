// Building blocks shared by the backbones and heads, named after the official CornerNet code
// (core/models/py_utils/utils.py, CornerNet_Squeeze.py) so node names read like its module paths.
// Each takes an NHWC feature map node and returns the output node's name.

import type { GraphBuilder } from '../graph.js';

/** `convolution(k, in, out, stride, with_bn)`: k x k conv (pad (k-1)/2) + BN + ReLU; without BN the conv has a bias. */
export function convolution(b: GraphBuilder, name: string, x: string, kernel: number, cout: number, o: { stride?: number; bn?: boolean } = {}): string {
  return b.conv(name, x, { cout, kernel, stride: o.stride ?? 1, bn: o.bn ?? true, act: 'relu' });
}

/**
 * `residual(in, out, stride)`: ReLU(BN(conv3x3(ReLU(BN(conv3x3/stride(x))))) + skip(x)), the skip a
 * 1x1/stride conv + BN when the stride or channel count changes, else the identity.
 * [h, w, cin] -> [h / stride, w / stride, cout]
 */
export function residual(b: GraphBuilder, name: string, x: string, cout: number, stride = 1): string {
  const cin = b.channelsOf(x);
  const c1 = b.conv(`${name}.conv1`, x, { cout, kernel: 3, stride });
  const c2 = b.conv(`${name}.conv2`, c1, { cout, kernel: 3, act: 'none' });
  const skip = stride !== 1 || cin !== cout ? b.conv(`${name}.skip`, x, { cout, kernel: 1, stride, act: 'none' }) : x;
  return b.sum(name, c2, skip, 'relu');
}

/**
 * CornerNet-Squeeze's `fire_module(in, out, sr=2, stride)`: 1x1 squeeze to out/2 + BN (no ReLU),
 * then concat(1x1 conv, 3x3 depthwise conv) to out channels (the stride is on these two), BN,
 * + x when stride 1 and in == out, ReLU. [h, w, cin] -> [h / stride, w / stride, cout]
 */
export function fire(b: GraphBuilder, name: string, x: string, cout: number, stride = 1): string {
  if (cout % 2 !== 0) throw new Error(`fire module ${name}: output channels must be even, got ${cout}`);
  const cin = b.channelsOf(x);
  const half = cout / 2;
  const squeeze = b.conv(`${name}.conv1`, x, { cout: half, kernel: 1, act: 'none' });
  const e1 = b.conv(`${name}.conv_1x1`, squeeze, { cout: half, kernel: 1, stride, bn: false, bias: false, act: 'none' });
  const e3 = b.conv(`${name}.conv_3x3`, squeeze, { cout: half, kernel: 3, stride, groups: half, bn: false, bias: false, act: 'none' });
  const cat = b.concat(`${name}.cat`, [e1, e3]);
  if (stride === 1 && cin === cout) {
    return b.sum(name, b.batchnorm(`${name}.bn2`, cat, 'none'), x, 'relu');
  }
  return b.batchnorm(`${name}.bn2`, cat, 'relu');
}

/**
 * A prediction head: `convolution(k, in, mid, with_bn=False)` (conv with bias + ReLU) then a 1x1
 * conv with bias to `cout`; mid = 0 gives the single 1x1 conv of CenterNet's head_conv = 0.
 * Returns the final conv (its bias is the heatmap prior when the head is a heatmap).
 */
export function predictionHead(b: GraphBuilder, name: string, x: string, mid: number, kernel: number, cout: number): string {
  if (mid === 0) return b.conv(`${name}.0`, x, { cout, kernel: 1, bn: false, act: 'none' });
  const hidden = convolution(b, `${name}.0`, x, kernel, mid, { bn: false });
  return b.conv(`${name}.1`, hidden, { cout, kernel: 1, bn: false, act: 'none' });
}
