// CenterNet decode ("Objects as Points", official ctdet_decode): heatmap [H,W,C] + wh [H,W,2|2C]
// + optional offset [H,W,2] (either layout, batch 1) -> the k best centre peaks as boxes,
// score-descending, in feature-map coordinates x stride. Always k: when the map has fewer peaks,
// the rest are score-0 cells (non-peaks), as the official top-K over the masked map returns them.
import * as ops from '../ops/index.js';
import { heatmapPeaksOfLogits } from '../ops/select.js';
import type { Tensor } from '../ops/tensor.js';
import type { Detection } from './boxes.js';
import { at, checkLayout, checkSameGrid, headView, toNHWC, type HeadView, type Layout } from './layout.js';
import { optionsObject } from '../util/options.js';
import { boolean, kWithinCells, oddKernel, positiveInt, positiveNumber } from './options.js';

export interface CenterNetHeads {
  /** C class channels: logits (default) or probabilities (options.logits = false). */
  heatmap: Tensor;
  /** Box width and height in feature-map cells: 2 channels, or 2C (CenterNet's cat_spec_wh: a pair per class). */
  wh: Tensor;
  /** Sub-cell centre offset (x, y), 2 channels. Without it the centre is the cell's middle (+0.5), as officially. */
  offset?: Tensor;
}

export interface CenterNetDecodeOptions {
  k?: number;
  kernel?: number;
  stride?: number;
  layout?: Layout;
  logits?: boolean;
}

/** Peaks in the form ops.heatmapPeaks returns them: score-descending, with class, row and column. */
export interface Peaks {
  scores: ArrayLike<number>;
  classes: ArrayLike<number>;
  ys: ArrayLike<number>;
  xs: ArrayLike<number>;
}

const FN = 'decodeCenterNet';
const OPTION_NAMES = ['k', 'kernel', 'stride', 'layout', 'logits'] as const;

export function decodeCenterNet(heads: CenterNetHeads, options: CenterNetDecodeOptions = {}): Detection[] {
  if (typeof heads !== 'object' || heads === null) throw new Error(`${FN}: heads must be an object { heatmap, wh, offset? }`);
  const { k = 100, kernel = 3, stride = 4, layout = 'NHWC', logits = true } = optionsObject(FN, 'options', options, OPTION_NAMES);
  checkLayout(FN, layout);
  positiveInt(FN, 'k', k);
  oddKernel(FN, kernel);
  positiveNumber(FN, 'stride', stride);
  boolean(FN, 'logits', logits);
  const heat = headView(FN, 'heads.heatmap', heads.heatmap, layout);
  const wh = headView(FN, 'heads.wh', heads.wh, layout);
  checkSameGrid(FN, 'heads.wh', wh, heat, 'heads.heatmap', heat.channels === 1 ? 2 : [2, 2 * heat.channels]);
  let offset: HeadView | undefined;
  if (heads.offset !== undefined) {
    offset = headView(FN, 'heads.offset', heads.offset, layout);
    checkSameGrid(FN, 'heads.offset', offset, heat, 'heads.heatmap', 2);
  }
  kWithinCells(FN, k, 'heads.heatmap', heat.height * heat.width * heat.channels);

  const nhwc = toNHWC(heat);
  // from logits: the probabilities of the candidates only, the same peaks as sigmoid first
  const peaks = logits ? heatmapPeaksOfLogits(nhwc, { k, kernel }) : ops.heatmapPeaks(nhwc, { k, kernel });
  return centerNetBoxes(peaks, wh, offset, stride);
}

/**
 * Boxes from peaks, as ctdet_decode forms them: centre = cell + offset (or + 0.5 without one),
 * box = centre -+ wh / 2, computed in float32 like the official code, then scaled by stride.
 */
export function centerNetBoxes(peaks: Peaks, wh: HeadView, offset: HeadView | undefined, stride: number): Detection[] {
  const perClassWh = wh.channels !== 2;
  const f = Math.fround;
  const dets: Detection[] = [];
  for (let i = 0; i < peaks.scores.length; i++) {
    const y = peaks.ys[i];
    const x = peaks.xs[i];
    const classId = peaks.classes[i];
    const cx = offset ? f(x + at(offset, 0, y, x)) : x + 0.5;
    const cy = offset ? f(y + at(offset, 1, y, x)) : y + 0.5;
    const wc = perClassWh ? 2 * classId : 0;
    const halfW = f(at(wh, wc, y, x) / 2);
    const halfH = f(at(wh, wc + 1, y, x) / 2);
    dets.push({
      box: { xmin: f(cx - halfW) * stride, ymin: f(cy - halfH) * stride, xmax: f(cx + halfW) * stride, ymax: f(cy + halfH) * stride },
      score: peaks.scores[i],
      classId,
    });
  }
  return dets;
}
