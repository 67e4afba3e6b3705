// Stacked hourglass backbone of CornerNet / CenterNet (Hourglass-104: core/models/CornerNet.py and
// py_utils/modules.py of the official code). Stem: 7x7/2 conv-BN-ReLU then stride-2 residuals.
// Each stack: a recursive hourglass (stride-2 residuals down instead of max-pool, nearest x2 up,
// skip branch added), then a 3x3 conv-BN-ReLU (`cnvs`); between stacks 1x1 conv-BN of the stack's
// input and of its output are added, ReLU, residual. Every stack's `cnvs` output is a feature map
// (intermediate supervision). [H, W, 3] -> per stack [H / s, W / s, cnvChannels], s = 2^(1 + stemResiduals).

import type { GraphBuilder } from '../graph.js';
import { convolution, residual } from './blocks.js';
import type { ParamReader } from './params.js';
import type { BackbonePart, Features } from './types.js';

export interface HourglassParams {
  stacks: number;
  /** Output channels of the 7x7 stem conv. */
  stemChannels: number;
  /** Stride-2 residuals after the 7x7 conv: 1 gives stride 4 (CornerNet), 2 stride 8 (CornerNet-Squeeze). */
  stemResiduals: number;
  /** Channels per hourglass level, outermost first: the hourglass order is channels.length - 1. */
  channels: number[];
  /** Blocks per level (same length as channels); the last entry is the count at the bottom. */
  modules: number[];
  /** Output channels of each stack's 3x3 `cnvs` conv (the heads' input). */
  cnvChannels: number;
}

/** A block `(name, x, cout, stride)` and the x2 up-sampling of one hourglass flavour. */
export interface HourglassStyle {
  block(b: GraphBuilder, name: string, x: string, cout: number, stride: number): string;
  unpool(b: GraphBuilder, name: string, x: string): string;
}

/** CornerNet: residual blocks, nearest-neighbour up-sampling (F.interpolate's default mode). */
const residualStyle: HourglassStyle = {
  block: residual,
  unpool: (b, name, x) => b.upsample(name, x, 2),
};

/** Hourglass-104 as in the official code: 2 stacks, order 5. */
export const HOURGLASS_104: HourglassParams = {
  stacks: 2,
  stemChannels: 128,
  stemResiduals: 1,
  channels: [256, 256, 384, 384, 384, 512],
  modules: [2, 2, 2, 2, 2, 4],
  cnvChannels: 256,
};

export function parseHourglass(r: ParamReader, defaults: HourglassParams): HourglassParams {
  const stacks = r.int('stacks', { max: 16, default: defaults.stacks });
  const stemChannels = r.int('stemChannels', { default: defaults.stemChannels });
  const stemResiduals = r.int('stemResiduals', { max: 4, default: defaults.stemResiduals });
  const channels = r.intArray('channels', { minLength: 2, maxLength: 8, default: defaults.channels });
  const modules = r.intArray('modules', { minLength: 2, maxLength: 8, max: 64, default: defaults.modules });
  const cnvChannels = r.int('cnvChannels', { default: defaults.cnvChannels });
  if (modules.length !== channels.length) {
    r.fail(`modules has ${modules.length} entries but channels has ${channels.length}: one block count per level is needed`);
  }
  return { stacks, stemChannels, stemResiduals, channels, modules, cnvChannels };
}

export function buildHourglass(b: GraphBuilder, input: string, p: HourglassParams, style: HourglassStyle): Features {
  const dim = p.channels[0];
  let x = convolution(b, 'hg.pre.0', input, 7, p.stemChannels, { stride: 2 });
  for (let i = 0; i < p.stemResiduals; i++) x = residual(b, `hg.pre.${i + 1}`, x, dim, 2);
  let inter = x;
  const features: string[] = [];
  const stemStride = 2 ** (1 + p.stemResiduals);
  const ups: NonNullable<Features['ups']> = [];
  for (let s = 0; s < p.stacks; s++) {
    const mergs: string[] = [];
    const hg = hourglassModule(b, `hg.hgs.${s}`, inter, p.channels, p.modules, style, mergs);
    // mergs is deepest level first: level d (0 = outermost) runs at stemStride * 2^d
    ups.push(mergs.map((node, i) => ({ node, channels: b.channelsOf(node), stride: stemStride * 2 ** (mergs.length - 1 - i) })));
    const cnv = convolution(b, `hg.cnvs.${s}`, hg, 3, p.cnvChannels);
    features.push(cnv);
    if (s < p.stacks - 1) {
      const a = b.conv(`hg.inters_.${s}`, inter, { cout: dim, kernel: 1, act: 'none' });
      const c = b.conv(`hg.cnvs_.${s}`, cnv, { cout: dim, kernel: 1, act: 'none' });
      inter = residual(b, `hg.inters.${s}`, b.sum(`hg.inters_sum.${s}`, a, c, 'relu'), dim, 1);
    }
  }
  const stride = stemStride;
  return { features, channels: p.cnvChannels, stride, sizeMultiple: stride * 2 ** (p.channels.length - 1), ups };
}

/**
 * `hg_module(n, dims, modules)`: up1 (blocks at full resolution) + up2(low3(low2(low1(x)))), low1
 * starting with a stride-2 block, low2 the next level (or the bottom blocks), low3 ending with the
 * block back to this level's channels. [h, w, dims[0]] -> [h, w, dims[0]], h divisible by 2^n.
 * Appends every level's merged output to `mergs`, deepest first (the official saccade_module's).
 */
function hourglassModule(b: GraphBuilder, name: string, x: string, dims: number[], modules: number[], style: HourglassStyle, mergs: string[]): string {
  const [curr, next] = dims;
  const [currMod, nextMod] = modules;
  let up1 = x;
  for (let i = 0; i < currMod; i++) up1 = style.block(b, `${name}.up1.${i}`, up1, curr, 1);
  // max1 is the identity: low1's first block down-samples with stride 2 instead of max-pooling.
  let low = x;
  for (let i = 0; i < currMod; i++) low = style.block(b, `${name}.low1.${i}`, low, next, i === 0 ? 2 : 1);
  if (dims.length > 2) {
    low = hourglassModule(b, `${name}.low2`, low, dims.slice(1), modules.slice(1), style, mergs);
  } else {
    for (let i = 0; i < nextMod; i++) low = style.block(b, `${name}.low2.${i}`, low, next, 1);
  }
  for (let i = 0; i < currMod; i++) low = style.block(b, `${name}.low3.${i}`, low, i === currMod - 1 ? curr : next, 1);
  const up2 = style.unpool(b, `${name}.up2`, low);
  const merg = b.sum(`${name}.merg`, up1, up2);
  mergs.push(merg);
  return merg;
}

export const hourglass: BackbonePart<HourglassParams> = {
  description: 'stacked hourglass (CornerNet Hourglass-104 by default): residual blocks, nearest up-sampling, one feature map per stack',
  parse: (r) => parseHourglass(r, HOURGLASS_104),
  build: (b, input, p) => buildHourglass(b, input, p, residualStyle),
};
