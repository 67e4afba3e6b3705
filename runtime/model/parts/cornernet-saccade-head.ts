// CornerNet-Saccade's heads (official core/models/CornerNet_Saccade.py): the CornerNet corner
// modules and heads of cornernet-head.ts on every stack's feature map (the offsets, which the
// official code calls tl_offs / br_offs, under the usual tl_regr / br_regr names), plus per stack
// one attention head per hourglass level: `convolution(3, level channels, attChannels, with_bn=False)`
// (3x3 conv with bias + ReLU) then a 1x1 conv with bias to 1 channel, its bias the focal-loss prior
// (-2.19, as the official init). The attention heads read the merged output of each hourglass level
// (the backbone's `ups`), deepest first: head `atts.i` of an order-n hourglass runs at stride
// stem * 2^(n - 1 - i) (official: 16, 8, 4). Per stack [h_i, w_i, c_i] -> atts.i [h_i, w_i, 1] logits.

import { predictionHead } from './blocks.js';
import { cornernetHead, type CornerNetHeadParams } from './cornernet-head.js';
import type { ParamReader } from './params.js';
import type { HeadPart } from './types.js';

export interface CornerNetSaccadeHeadParams extends CornerNetHeadParams {
  /** Hidden channels of each attention head's 3x3 conv (256 officially). */
  attChannels: number;
}

/** Graph head name of the attention map of hourglass level i (0 = deepest), as the official outputs. */
export function attentionHead(level: number): string {
  return `atts.${level}`;
}

/** The attention heads' names among a graph's heads or a run's outputs (by name), deepest level first. */
export function attentionHeads(heads: Readonly<Record<string, unknown>> | ReadonlyMap<string, unknown>): string[] {
  const has = heads instanceof Map ? (name: string) => heads.has(name) : (name: string) => Object.prototype.hasOwnProperty.call(heads, name);
  const names: string[] = [];
  while (has(attentionHead(names.length))) names.push(attentionHead(names.length));
  return names;
}

export const cornernetSaccadeHead: HeadPart<CornerNetSaccadeHeadParams> = {
  description: 'CornerNet-Saccade: CornerNet corner modules and heads per stack, plus an attention head (3x3 conv + ReLU, 1x1 conv to 1) on every hourglass level',
  detector: 'cornernet',
  parse(r: ParamReader): CornerNetSaccadeHeadParams {
    const corner = cornernetHead.parse(r);
    return { ...corner, attChannels: r.int('attChannels', { default: 256 }) };
  },
  build(b, x, p, numClasses) {
    if (!x.ups || x.ups.length !== x.features.length) {
      throw new Error('cornernet-saccade heads need a backbone that exposes its hourglass levels (type "hourglass")');
    }
    const { attChannels, ...corner } = p;
    const heads = cornernetHead.build(b, x, corner, numClasses);
    x.ups.forEach((levels, s) => {
      levels.forEach((level, i) => {
        const name = attentionHead(i);
        // Module names as the official ModuleList of ModuleLists: att_modules.<stack>.<level>.{0,1}
        (heads[name] ??= []).push(predictionHead(b, `att_modules.${s}.${i}`, level.node, attChannels, 3, 1));
      });
    });
    return heads;
  },
};
