// CornerNet-Squeeze's hourglass backbone (official core/models/CornerNet_Squeeze.py): the stacked
// hourglass of hourglass.ts with every block inside the hourglass modules a fire module, a 4x4
// stride-2 transposed conv (with bias, no BN) for up-sampling, a stem with one more stride-2
// residual (output stride 8) and order 4. The stem, the `cnvs` convs and the inter-stack
// residuals stay ordinary residual / conv-BN-ReLU modules, as in the official code.
// [H, W, 3] -> per stack [H / 8, W / 8, cnvChannels].

import { fire } from './blocks.js';
import { buildHourglass, parseHourglass, type HourglassParams, type HourglassStyle } from './hourglass.js';
import type { BackbonePart } from './types.js';

const fireStyle: HourglassStyle = {
  block: fire,
  unpool: (b, name, x) => {
    const c = b.channelsOf(x);
    return b.deconv(name, x, { cout: c, kernel: 4, stride: 2, pad: 1, bias: true, bn: false, act: 'none' });
  },
};

/** The official CornerNet-Squeeze backbone: 2 stacks, order 4, stride 8. */
export const SQUEEZE_HOURGLASS: HourglassParams = {
  stacks: 2,
  stemChannels: 128,
  stemResiduals: 2,
  channels: [256, 256, 384, 384, 512],
  modules: [2, 2, 2, 2, 4],
  cnvChannels: 256,
};

export const squeezeHourglass: BackbonePart<HourglassParams> = {
  description: 'CornerNet-Squeeze hourglass: fire modules, 4x4 transposed-conv up-sampling, stride-8 stem',
  parse(r) {
    const p = parseHourglass(r, SQUEEZE_HOURGLASS);
    // A fire module splits its output evenly between the 1x1 and the 3x3 depthwise expand convs.
    const odd = p.channels.findIndex((c) => c % 2 !== 0);
    if (odd >= 0) r.fail(`channels[${odd}] is ${p.channels[odd]}: fire modules need even channel counts`);
    return p;
  },
  build: (b, input, p) => buildHourglass(b, input, p, fireStyle),
};
