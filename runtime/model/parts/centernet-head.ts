// CenterNet's heads (official ctdet): on every stack's feature map, hm (C), wh (2) and reg (2),
// each a 3x3 conv with bias + ReLU (head_conv channels) then a 1x1 conv with bias.
// Per stack [h, w, c] -> hm [h, w, C], wh [h, w, 2], reg [h, w, 2]. Node names `${head}.${stack}.{0,1}`.

import { CENTERNET_HEADS, headChannels } from '../names.js';
import { predictionHead } from './blocks.js';
import type { ParamReader } from './params.js';
import type { HeadPart } from './types.js';

export interface CenterNetHeadParams {
  /** Hidden channels (official head_conv: 64 for ResNet, 256 for DLA / Hourglass); 0: a single 1x1 conv. */
  headChannels: number;
  /** Kernel of the hidden conv (3 officially). */
  headKernel: 1 | 3;
}

export const centernetHead: HeadPart<CenterNetHeadParams> = {
  description: 'CenterNet heads hm / wh / reg: 3x3 conv + ReLU + 1x1 conv per head and stack',
  detector: 'centernet',
  parse(r: ParamReader): CenterNetHeadParams {
    const mid = r.int('headChannels', { min: 0, default: 64 });
    const kernel = r.int('headKernel', { max: 3, default: 3 });
    if (kernel !== 1 && kernel !== 3) r.fail(`headKernel must be 1 or 3, got ${kernel}`);
    return { headChannels: mid, headKernel: kernel as 1 | 3 };
  },
  build(b, x, p, numClasses) {
    const channels = headChannels('centernet', numClasses);
    const heads: Record<string, string[]> = {};
    for (const head of [CENTERNET_HEADS.heatmap, CENTERNET_HEADS.size, CENTERNET_HEADS.offset]) {
      heads[head] = x.features.map((f, s) => predictionHead(b, `${head}.${s}`, f, p.headChannels, p.headKernel, channels[head]));
    }
    return heads;
  },
};
