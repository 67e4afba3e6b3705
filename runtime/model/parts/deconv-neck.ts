// Up-sampling neck of CenterNet's ResNet models (msra_resnet `_make_deconv_layer`): per stage a
// transposed conv (no bias, stride 2) + BN + ReLU. No 3x3 conv before each stage: that is the DCN
// variant (resdcn), the `dcn-deconv` neck (dcn-deconv-neck.ts).
// [h, w, c] -> [h * 2^n, w * 2^n, channels[n - 1]] for n stages, applied to every stack's map.
// With `skips` (not in the official models; centernet-tiny uses it), each stage's output is
// summed with the backbone's map of the same stride through a 1x1 conv-BN, then ReLU: the
// U-Net / FPN lateral connection, which brings back the fine detail that small objects need.

import type { GraphBuilder } from '../graph.js';
import type { ParamReader } from './params.js';
import type { Features, NeckPart } from './types.js';

export interface DeconvNeckParams {
  /** Output channels of each up-sampling stage. */
  channels: number[];
  /** Transposed-conv kernel: 4 (pad 1), 3 (pad 1, output padding 1) or 2 (pad 0), as `_get_deconv_cfg`. */
  kernel: 2 | 3 | 4;
  /** Lateral 1x1 conv-BN connections from the backbone's maps of the same stride. */
  skips: boolean;
}

const PADDING: Record<2 | 3 | 4, { pad: number; outputPadding: number }> = {
  4: { pad: 1, outputPadding: 0 },
  3: { pad: 1, outputPadding: 1 },
  2: { pad: 0, outputPadding: 0 },
};

export const deconvNeck: NeckPart<DeconvNeckParams> = {
  description: 'stride-2 transposed conv + BN + ReLU stages (CenterNet msra_resnet deconv layers)',
  parse(r: ParamReader): DeconvNeckParams {
    const channels = r.intArray('channels', { minLength: 1, maxLength: 5, default: [256, 128, 64] });
    const kernel = r.int('kernel', { min: 2, max: 4, default: 4 }) as 2 | 3 | 4;
    const skips = r.bool('skips', false);
    return { channels, kernel, skips };
  },
  build(b: GraphBuilder, x: Features, p: DeconvNeckParams): Features {
    const n = p.channels.length;
    const up = 2 ** n;
    if (x.stride % up !== 0) throw new Error(`deconv neck: ${n} up-sampling stages need an input stride divisible by ${up}, got ${x.stride}`);
    if (p.skips && (x.features.length !== 1 || !x.levels)) throw new Error('deconv neck: skips need a single-stack backbone that exposes its levels (resnet)');
    const features = x.features.map((f, s) => {
      const prefix = x.features.length === 1 ? 'deconv_layers' : `deconv_layers.${s}`;
      let y = f;
      p.channels.forEach((cout, i) => {
        y = b.deconv(`${prefix}.${i}`, y, { cout, kernel: p.kernel, stride: 2, ...PADDING[p.kernel] });
        const level = p.skips ? x.levels!.find((l) => l.stride === x.stride / 2 ** (i + 1)) : undefined;
        if (level) {
          const lateral = b.conv(`skips.${i}`, level.node, { cout, kernel: 1, act: 'none' });
          y = b.sum(`skips.${i}.sum`, y, lateral, 'relu');
        }
      });
      return y;
    });
    return { features, channels: p.channels[n - 1], stride: x.stride / up, sizeMultiple: x.sizeMultiple };
  },
};
