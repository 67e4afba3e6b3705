// Corner decode of one view with the saccade's rules (official _decode with no_border=True), and
// the mapping of its boxes back to image pixels (rescale_dets_ then remap_dets_).
import type { Detection } from '../decode/boxes.js';
import { pairCorners, pairsToDetections, REJECTED, type CornerNetHeads } from '../decode/cornernet.js';
import { headView } from '../decode/layout.js';
import type { PairScore } from '../decode/options.js';
import * as ops from '../ops/index.js';
import type { ViewGeometry } from './attention.js';

export interface ViewDecodeOptions {
  k: number;
  kernel: number;
  aeThreshold: number;
  numDets: number;
  /** A pair's score: the official mean (default) or 'geometric' (decodeCornerNet's pairScore). */
  pairScore?: PairScore;
}

const FN = 'saccade decode';

/**
 * CornerNet decode (NHWC heads, logits) in feature-map cells, where a pair is also rejected when
 * its top-left corner lies on the map's top row or left column, or its bottom-right corner on the
 * bottom row or right column (before the offsets: a corner there may belong to an object the
 * crop cuts). Returns the pairs the official code keeps (score > -1), best first.
 */
export function decodeView(heads: CornerNetHeads, o: ViewDecodeOptions): Detection[] {
  const tlHeat = headView(FN, 'tlHeatmap', heads.tlHeatmap, 'NHWC');
  const views = {
    tlEmbedding: headView(FN, 'tlEmbedding', heads.tlEmbedding, 'NHWC'),
    brEmbedding: headView(FN, 'brEmbedding', heads.brEmbedding, 'NHWC'),
    tlOffset: headView(FN, 'tlOffset', heads.tlOffset, 'NHWC'),
    brOffset: headView(FN, 'brOffset', heads.brOffset, 'NHWC'),
  };
  const { height, width } = tlHeat;
  const k = Math.min(o.k, height * width * tlHeat.channels);
  const tl = ops.heatmapPeaks(ops.sigmoid(heads.tlHeatmap), { k, kernel: o.kernel });
  const br = ops.heatmapPeaks(ops.sigmoid(heads.brHeatmap), { k, kernel: o.kernel });
  const pairs = pairCorners(tl, br, views, o.aeThreshold, o.pairScore);
  for (let i = 0; i < tl.scores.length; i++) {
    for (let j = 0; j < br.scores.length; j++) {
      if (tl.ys[i] === 0 || tl.xs[i] === 0 || br.ys[j] === height - 1 || br.xs[j] === width - 1) pairs.scores[i * pairs.nBr + j] = REJECTED;
    }
  }
  const top = ops.topK(pairs.scores, Math.min(o.numDets, pairs.scores.length));
  return pairsToDetections(pairs, top.indices, 1);
}

/**
 * Boxes in feature-map cells -> image pixels: / (outputSide / cropSize) into canvas pixels
 * (official rescale_dets_, output_sizes / input_size = 64 / 255), then / view scale + offset.
 */
export function viewToImage(dets: readonly Detection[], cellsPerCanvasPixel: number, view: ViewGeometry): Detection[] {
  const f = (v: number, offset: number) => v / cellsPerCanvasPixel / view.scale + offset;
  return dets.map((d) => ({
    ...d,
    box: { xmin: f(d.box.xmin, view.offsetX), ymin: f(d.box.ymin, view.offsetY), xmax: f(d.box.xmax, view.offsetX), ymax: f(d.box.ymax, view.offsetY) },
  }));
}
