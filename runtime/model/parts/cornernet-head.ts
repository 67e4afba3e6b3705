// CornerNet's prediction modules and heads (official corner_pool and _pred_mod), on every stack's
// feature map. Corner module (top-left: Top + Left pooling; bottom-right: Bottom + Right):
// two 3x3 conv-BN-ReLU branches to poolChannels, each corner-pooled, summed, 3x3 conv-BN back to
// the input channels, + 1x1 conv-BN of the input, ReLU, 3x3 conv-BN-ReLU. Then per corner three
// heads (heat C, tag 1, regr 2): a conv (headKernel) with bias + ReLU, a 1x1 conv with bias.
// Per stack [h, w, c] -> {tl,br}_heat [h, w, C], {tl,br}_tag [h, w, 1], {tl,br}_regr [h, w, 2].

import type { CornerDirection, GraphBuilder } from '../graph.js';
import { CORNERNET_HEADS, headChannels } from '../names.js';
import { convolution, predictionHead } from './blocks.js';
import type { ParamReader } from './params.js';
import type { HeadPart } from './types.js';

export interface CornerNetHeadParams {
  /** Channels of the two pooled branches (128 officially). */
  poolChannels: number;
  /** Hidden channels of each head's first conv (256 officially). */
  headChannels: number;
  /** Kernel of each head's first conv: 3 in CornerNet, 1 in CornerNet-Squeeze. */
  headKernel: 1 | 3;
}

export const cornernetHead: HeadPart<CornerNetHeadParams> = {
  description: 'CornerNet corner-pooling modules (TL: top+left, BR: bottom+right) and heat / tag / regr heads per stack',
  detector: 'cornernet',
  parse(r: ParamReader): CornerNetHeadParams {
    const poolChannels = r.int('poolChannels', { default: 128 });
    const mid = r.int('headChannels', { default: 256 });
    const kernel = r.int('headKernel', { max: 3, default: 3 });
    if (kernel !== 1 && kernel !== 3) r.fail(`headKernel must be 1 or 3, got ${kernel}`);
    return { poolChannels, headChannels: mid, headKernel: kernel as 1 | 3 };
  },
  build(b, x, p, numClasses) {
    const channels = headChannels('cornernet', numClasses);
    const H = CORNERNET_HEADS;
    const heads: Record<string, string[]> = {
      [H.tlHeatmap]: [], [H.brHeatmap]: [], [H.tlEmbedding]: [], [H.brEmbedding]: [], [H.tlOffset]: [], [H.brOffset]: [],
    };
    x.features.forEach((f, s) => {
      const tl = cornerModule(b, `tl_modules.${s}`, f, p.poolChannels, 'top', 'left');
      const br = cornerModule(b, `br_modules.${s}`, f, p.poolChannels, 'bottom', 'right');
      for (const [head, from] of [
        [H.tlHeatmap, tl], [H.brHeatmap, br], [H.tlEmbedding, tl], [H.brEmbedding, br], [H.tlOffset, tl], [H.brOffset, br],
      ] as const) {
        // Module names as the official ModuleLists: tl_heats.0, tl_tags.0, tl_regrs.0, ...
        heads[head].push(predictionHead(b, `${head}s.${s}`, from, p.headChannels, p.headKernel, channels[head]));
      }
    });
    return heads;
  },
};

/** `corner_pool(dim, pool1, pool2)`. [h, w, dim] -> [h, w, dim] */
function cornerModule(b: GraphBuilder, name: string, x: string, pool: number, dir1: CornerDirection, dir2: CornerDirection): string {
  const dim = b.channelsOf(x);
  const pool1 = b.cornerpool(`${name}.pool1`, convolution(b, `${name}.p1_conv1`, x, 3, pool), dir1);
  const pool2 = b.cornerpool(`${name}.pool2`, convolution(b, `${name}.p2_conv1`, x, 3, pool), dir2);
  const pooled = b.conv(`${name}.p_conv1`, b.sum(`${name}.pool_sum`, pool1, pool2), { cout: dim, kernel: 3, act: 'none' });
  const shortcut = b.conv(`${name}.conv1`, x, { cout: dim, kernel: 1, act: 'none' });
  return convolution(b, `${name}.conv2`, b.sum(`${name}.relu1`, pooled, shortcut, 'relu'), 3, dim);
}
