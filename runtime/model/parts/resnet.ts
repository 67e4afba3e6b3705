// ResNet backbone (torchvision layout, node names as torchvision's module paths): 7x7/2 conv-BN-ReLU,
// 3x3/2 max-pool (pad 1), one to four stages of BasicBlocks (ResNet-18/34) or Bottlenecks (ResNet-50+,
// stride on the 3x3 as torchvision v1.5), a 1x1/stride conv-BN down-sample where the shape changes.
// [H, W, 3] -> [H / s, W / s, last channels (x4 for bottleneck)], s = 4 * 2^(stages - 1); no classifier.

import type { GraphBuilder } from '../graph.js';
import type { ParamReader } from './params.js';
import type { BackbonePart } from './types.js';

export interface ResNetParams {
  block: 'basic' | 'bottleneck';
  /** Blocks per stage: [2,2,2,2] is ResNet-18, [3,4,6,3] ResNet-34 (basic) or ResNet-50 (bottleneck). */
  layers: number[];
  /** Width of each stage (a bottleneck stage outputs 4x this). */
  channels: number[];
  stemChannels: number;
}

export const resnet: BackbonePart<ResNetParams> = {
  description: 'ResNet (torchvision): 7x7/2 stem, 3x3/2 max-pool, 1-4 stages of basic or bottleneck blocks (4: stride 32)',
  parse(r: ParamReader): ResNetParams {
    const block = r.oneOf('block', ['basic', 'bottleneck'] as const, 'basic');
    const layers = r.intArray('layers', { minLength: 1, maxLength: 4, max: 256, default: [2, 2, 2, 2] });
    const channels = r.intArray('channels', { minLength: layers.length, maxLength: layers.length, default: [64, 128, 256, 512].slice(0, layers.length) });
    const stemChannels = r.int('stemChannels', { default: 64 });
    return { block, layers, channels, stemChannels };
  },
  build(b: GraphBuilder, input: string, p: ResNetParams) {
    let x = b.conv('conv1', input, { cout: p.stemChannels, kernel: 7, stride: 2, pad: 3 });
    x = b.maxpool('maxpool', x, 3, 2, 1);
    // fewer stages keep a larger bottleneck map: small inputs still localise well (centernet-tiny)
    const levels: { node: string; channels: number; stride: number }[] = [];
    for (let stage = 0; stage < p.layers.length; stage++) {
      for (let i = 0; i < p.layers[stage]; i++) {
        const stride = stage > 0 && i === 0 ? 2 : 1;
        const name = `layer${stage + 1}.${i}`;
        x = p.block === 'basic' ? basicBlock(b, name, x, p.channels[stage], stride) : bottleneck(b, name, x, p.channels[stage], stride);
      }
      levels.push({ node: x, channels: b.channelsOf(x), stride: 4 * 2 ** stage });
    }
    const stride = 4 * 2 ** (p.layers.length - 1);
    return { features: [x], channels: b.channelsOf(x), stride, sizeMultiple: stride, levels: levels.slice(0, -1) };
  },
};

/** ReLU(BN(conv3x3(ReLU(BN(conv3x3/stride(x))))) + downsample(x)). */
function basicBlock(b: GraphBuilder, name: string, x: string, planes: number, stride: number): string {
  const c1 = b.conv(`${name}.conv1`, x, { cout: planes, kernel: 3, stride });
  const c2 = b.conv(`${name}.conv2`, c1, { cout: planes, kernel: 3, act: 'none' });
  return b.sum(name, c2, downsample(b, name, x, planes, stride), 'relu');
}

/** ReLU(BN(conv1x1(ReLU(BN(conv3x3/stride(ReLU(BN(conv1x1(x))))))) + downsample(x)), 4x expansion. */
function bottleneck(b: GraphBuilder, name: string, x: string, planes: number, stride: number): string {
  const c1 = b.conv(`${name}.conv1`, x, { cout: planes, kernel: 1 });
  const c2 = b.conv(`${name}.conv2`, c1, { cout: planes, kernel: 3, stride });
  const c3 = b.conv(`${name}.conv3`, c2, { cout: planes * 4, kernel: 1, act: 'none' });
  return b.sum(name, c3, downsample(b, name, x, planes * 4, stride), 'relu');
}

function downsample(b: GraphBuilder, name: string, x: string, cout: number, stride: number): string {
  if (stride === 1 && b.channelsOf(x) === cout) return x;
  return b.conv(`${name}.downsample`, x, { cout, kernel: 1, stride, act: 'none' });
}
