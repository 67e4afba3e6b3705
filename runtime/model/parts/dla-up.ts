// DLA-up neck of CenterNet's DLA models (pose_dla_dcn.py `DLASeg`: `dla_up` = DLAUp, then
// `ida_up` = IDAUp): iterative deep aggregation of the backbone's maps from the stride `downRatio`
// level (first_level = log2(downRatio)) to the deepest, back up to stride downRatio.
// One IDA step (IDAUp.forward) merges a list of maps, finest first, into its first map's stride
// and width o: for each later map k, layers[k] = node_k(up_k(proj_k(layers[k])) + layers[k - 1]),
// proj and node a DeformConv (3x3 DCNv2 with bias + BN + ReLU), up a depthwise transposed conv
// (kernel 2f, stride f, padding f / 2, no bias) by the map's stride ratio f.
// [deepest map, stride S] + backbone levels -> [H / downRatio, W / downRatio, width of that level].
// Node names are the official module paths: `dla_up.ida_${i}.proj_${m}.conv` (the DCN; its BN is
// the official `actf.0`), `dla_up.ida_${i}.up_${m}`, `dla_up.ida_${i}.node_${m}.conv`, and the same
// under `ida_up.`.

import type { GraphBuilder } from '../graph.js';
import type { ParamReader } from './params.js';
import type { Features, NeckPart } from './types.js';

export interface DlaUpParams {
  /** Output stride (official down_ratio: 2, 4, 8 or 16); the backbone must have a level of that stride. */
  downRatio: number;
}

/** A feature map and its stride. */
interface Level {
  node: string;
  stride: number;
}

export const dlaUpNeck: NeckPart<DlaUpParams> = {
  description: 'DLA-up (CenterNet DLASeg dla_up + ida_up): iterative deep aggregation with DCNv2 units and depthwise transposed-conv up-sampling',
  parse(r: ParamReader): DlaUpParams {
    const downRatio = r.int('downRatio', { min: 2, max: 16, default: 4 });
    if (![2, 4, 8, 16].includes(downRatio)) r.fail(`downRatio must be 2, 4, 8 or 16, got ${downRatio}`);
    return { downRatio };
  },
  build(b: GraphBuilder, x: Features, p: DlaUpParams): Features {
    if (x.features.length !== 1 || !x.levels) throw new Error('dla-up neck needs a single-stack backbone that exposes its levels (dla, resnet)');
    // every level from the finest to the deepest map; each must halve the previous one's size
    const all: Level[] = [...x.levels, { node: x.features[0], stride: x.stride }].sort((l, m) => l.stride - m.stride);
    const first = all.findIndex((l) => l.stride === p.downRatio);
    if (first < 0 || first === all.length - 1) {
      throw new Error(`dla-up neck: downRatio ${p.downRatio} needs a backbone level of that stride below the deepest (levels at strides ${all.map((l) => l.stride).join(', ')})`);
    }
    const layers = all.slice(first);
    layers.forEach((l, i) => {
      if (i > 0 && l.stride !== 2 * layers[i - 1].stride) throw new Error(`dla-up neck: backbone level strides must double from one to the next, got ${layers.map((m) => m.stride).join(', ')}`);
    });

    // DLAUp.forward: ida_i merges layers[n - 2 - i ..]; its result, the last map at the stride of
    // layers[n - 2 - i], is collected finest first (out[0] = the last ida's)
    const n = layers.length;
    const out: Level[] = [];
    for (let i = 0; i < n - 1; i++) {
      const start = n - 2 - i;
      idaUp(b, `dla_up.ida_${i}`, layers, start, b.channelsOf(layers[start].node));
      out.unshift(layers[n - 1]);
    }
    // DLASeg.forward: ida_up merges out[0 .. n - 2] (all but the untouched deepest map) at the
    // first level's width; the heads read the last
    const y = out.slice();
    const width = b.channelsOf(y[0].node);
    idaUp(b, 'ida_up', y, 0, width);
    const head = y[y.length - 1];
    return { features: [head.node], channels: width, stride: head.stride, sizeMultiple: x.sizeMultiple };
  },
};

/** IDAUp.forward(layers, start, len): updates layers[start + 1 ..] in place, each to layers[start]'s stride and width o. */
function idaUp(b: GraphBuilder, name: string, layers: Level[], start: number, o: number): void {
  for (let k = start + 1; k < layers.length; k++) {
    const m = k - start;
    const f = layers[k].stride / layers[start].stride;
    const proj = deformConv(b, `${name}.proj_${m}`, layers[k].node, o);
    const up = b.deconv(`${name}.up_${m}`, proj, { cout: o, kernel: 2 * f, stride: f, pad: f / 2, groups: o, bias: false, bn: false, act: 'none' });
    const sum = b.sum(`${name}.add_${m}`, up, layers[k - 1].node);
    layers[k] = { node: deformConv(b, `${name}.node_${m}`, sum, o), stride: layers[start].stride };
  }
}

/** The official DeformConv: 3x3 DCNv2 (with bias), BN, ReLU; the DCN is the module's `conv`. */
function deformConv(b: GraphBuilder, name: string, x: string, cout: number): string {
  return b.dcn(`${name}.conv`, x, { cout, kernel: 3, bias: true, bn: true, act: 'relu' });
}
