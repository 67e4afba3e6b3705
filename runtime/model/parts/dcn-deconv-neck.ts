// Up-sampling neck of CenterNet's ResNet-DCN models (resnet_dcn.py `_make_deconv_layer`): per stage
// a 3x3 DCNv2 (with bias) + BN + ReLU from the previous width to the stage's width p, then a 4x4
// stride-2 transposed conv p -> p (padding 1, no bias) + BN + ReLU.
// [h, w, c] -> [h * 2^n, w * 2^n, channels[n - 1]] for n stages, applied to every stack's map.
// Node names follow the official nn.Sequential indices (6 modules per stage: DCN, BN, ReLU, up,
// BN, ReLU): stage i's DCN is `deconv_layers.${6i}` and its transposed conv `deconv_layers.${6i + 3}`,
// so official `deconv_layers.${6i + 1}.*` is our `deconv_layers.${6i}.bn.*` and `${6i + 4}.*` is
// `deconv_layers.${6i + 3}.bn.*`.

import type { GraphBuilder } from '../graph.js';
import type { ParamReader } from './params.js';
import type { Features, NeckPart } from './types.js';

export interface DcnDeconvNeckParams {
  /** Output channels of each up-sampling stage (official resdcn: 256, 128, 64). */
  channels: number[];
}

/** Modules per stage in the official nn.Sequential: DCN, BN, ReLU, ConvTranspose2d, BN, ReLU. */
export const DCN_NECK_STAGE_MODULES = 6;

export const dcnDeconvNeck: NeckPart<DcnDeconvNeckParams> = {
  description: '3x3 DCNv2 + BN + ReLU, then 4x4 stride-2 transposed conv + BN + ReLU stages (CenterNet resnet_dcn)',
  parse(r: ParamReader): DcnDeconvNeckParams {
    return { channels: r.intArray('channels', { minLength: 1, maxLength: 5, default: [256, 128, 64] }) };
  },
  build(b: GraphBuilder, x: Features, p: DcnDeconvNeckParams): Features {
    const n = p.channels.length;
    const up = 2 ** n;
    if (x.stride % up !== 0) throw new Error(`dcn-deconv neck: ${n} up-sampling stages need an input stride divisible by ${up}, got ${x.stride}`);
    const features = x.features.map((f, s) => {
      const prefix = x.features.length === 1 ? 'deconv_layers' : `deconv_layers.${s}`;
      let y = f;
      p.channels.forEach((planes, i) => {
        const at = DCN_NECK_STAGE_MODULES * i;
        y = b.dcn(`${prefix}.${at}`, y, { cout: planes, kernel: 3, bias: true });
        y = b.deconv(`${prefix}.${at + 3}`, y, { cout: planes, kernel: 4, stride: 2, pad: 1 });
      });
      return y;
    });
    return { features, channels: p.channels[n - 1], stride: x.stride / up, sizeMultiple: x.sizeMultiple };
  },
};
