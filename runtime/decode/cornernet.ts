// CornerNet decode (official _decode): top-left and bottom-right heatmaps [H,W,C], embeddings
// [H,W,1], offsets [H,W,2] (either layout, batch 1) -> boxes from the k x k corner pairs that
// survive the pairing rules, score-descending, in feature-map coordinates x stride. As officially,
// when a heatmap has fewer than k peaks its remaining corners are score-0 cells, and they pair too.
import * as ops from '../ops/index.js';
import type { Tensor } from '../ops/tensor.js';
import type { Detection } from './boxes.js';
import type { Peaks } from './centernet.js';
import { at, checkLayout, checkSameGrid, headView, toNHWC, type HeadView, type Layout } from './layout.js';
import { optionsObject } from '../util/options.js';
import { boolean, checkPairScore, kWithinCells, nonNegativeNumber, oddKernel, positiveInt, positiveNumber, type PairScore } from './options.js';

export interface CornerNetHeads {
  tlHeatmap: Tensor;
  brHeatmap: Tensor;
  tlEmbedding: Tensor;
  brEmbedding: Tensor;
  tlOffset: Tensor;
  brOffset: Tensor;
}

export interface CornerNetDecodeOptions {
  k?: number;
  kernel?: number;
  aeThreshold?: number;
  numDets?: number;
  /** A pair's score: 'mean' (official, (tl + br) / 2) or 'geometric' (sqrt(tl * br)). */
  pairScore?: PairScore;
  stride?: number;
  layout?: Layout;
  logits?: boolean;
}

/** All tl x br pairs: score (tl + br) / 2 (or sqrt(tl * br)), or -1 where a rule rejects the pair; flat index = tl * nBr + br. */
export interface CornerPairs {
  scores: Float32Array;
  nBr: number;
  tlX: Float32Array;
  tlY: Float32Array;
  brX: Float32Array;
  brY: Float32Array;
  tlClass: ArrayLike<number>;
}

const FN = 'decodeCornerNet';
/** The score _decode gives a rejected pair. */
export const REJECTED = -1;

const OPTION_NAMES = ['k', 'kernel', 'aeThreshold', 'numDets', 'pairScore', 'stride', 'layout', 'logits'] as const;

export function decodeCornerNet(heads: CornerNetHeads, options: CornerNetDecodeOptions = {}): Detection[] {
  if (typeof heads !== 'object' || heads === null) throw new Error(`${FN}: heads must be an object { tlHeatmap, brHeatmap, tlEmbedding, brEmbedding, tlOffset, brOffset }`);
  const { k = 100, kernel = 3, aeThreshold = 0.5, numDets = 1000, pairScore = 'mean', stride = 4, layout = 'NHWC', logits = true } = optionsObject(FN, 'options', options, OPTION_NAMES);
  checkLayout(FN, layout);
  positiveInt(FN, 'k', k);
  oddKernel(FN, kernel);
  nonNegativeNumber(FN, 'aeThreshold', aeThreshold);
  positiveInt(FN, 'numDets', numDets);
  checkPairScore(`${FN}: options.pairScore`, pairScore, String(pairScore));
  positiveNumber(FN, 'stride', stride);
  boolean(FN, 'logits', logits);
  const tlHeat = headView(FN, 'heads.tlHeatmap', heads.tlHeatmap, layout);
  const brHeat = headView(FN, 'heads.brHeatmap', heads.brHeatmap, layout);
  checkSameGrid(FN, 'heads.brHeatmap', brHeat, tlHeat, 'heads.tlHeatmap', tlHeat.channels);
  const views = {
    tlEmbedding: headView(FN, 'heads.tlEmbedding', heads.tlEmbedding, layout),
    brEmbedding: headView(FN, 'heads.brEmbedding', heads.brEmbedding, layout),
    tlOffset: headView(FN, 'heads.tlOffset', heads.tlOffset, layout),
    brOffset: headView(FN, 'heads.brOffset', heads.brOffset, layout),
  };
  checkSameGrid(FN, 'heads.tlEmbedding', views.tlEmbedding, tlHeat, 'heads.tlHeatmap', 1);
  checkSameGrid(FN, 'heads.brEmbedding', views.brEmbedding, tlHeat, 'heads.tlHeatmap', 1);
  checkSameGrid(FN, 'heads.tlOffset', views.tlOffset, tlHeat, 'heads.tlHeatmap', 2);
  checkSameGrid(FN, 'heads.brOffset', views.brOffset, tlHeat, 'heads.tlHeatmap', 2);
  kWithinCells(FN, k, 'heads.tlHeatmap', tlHeat.height * tlHeat.width * tlHeat.channels);

  const peaksOf = (v: HeadView): Peaks => {
    const nhwc = toNHWC(v);
    return ops.heatmapPeaks(logits ? ops.sigmoid(nhwc) : nhwc, { k, kernel });
  };
  const pairs = pairCorners(peaksOf(tlHeat), peaksOf(brHeat), views, aeThreshold, pairScore);
  // torch.topk(scores, num_dets) needs num_dets <= k*k; we take what there is.
  const top = ops.topK(pairs.scores, Math.min(numDets, pairs.scores.length));
  return pairsToDetections(pairs, top.indices, stride);
}

/**
 * Every tl x br pair, as _decode scores it: corners moved by their offsets first, then the pair
 * rejected (score -1) when the classes differ, |tl_tag - br_tag| > aeThreshold, br_x < tl_x or
 * br_y < tl_y. Arithmetic in float32, as the official code does it, so comparisons agree.
 * pairScore 'geometric' scores sqrt(tl * br) instead of the official mean.
 */
export function pairCorners(
  tl: Peaks,
  br: Peaks,
  v: { tlEmbedding: HeadView; brEmbedding: HeadView; tlOffset: HeadView; brOffset: HeadView },
  aeThreshold: number,
  pairScore: PairScore = 'mean',
): CornerPairs {
  const f = Math.fround;
  const nTl = tl.scores.length;
  const nBr = br.scores.length;
  const corners = (p: Peaks, off: HeadView, emb: HeadView) => {
    const n = p.scores.length;
    const xs = new Float32Array(n);
    const ys = new Float32Array(n);
    const tags = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      xs[i] = p.xs[i] + at(off, 0, p.ys[i], p.xs[i]);
      ys[i] = p.ys[i] + at(off, 1, p.ys[i], p.xs[i]);
      tags[i] = at(emb, 0, p.ys[i], p.xs[i]);
    }
    return { xs, ys, tags };
  };
  const a = corners(tl, v.tlOffset, v.tlEmbedding);
  const b = corners(br, v.brOffset, v.brEmbedding);
  const threshold = f(aeThreshold); // torch compares a float32 tensor with the threshold cast to float32
  const scores = new Float32Array(nTl * nBr);
  const geometric = pairScore === 'geometric';
  for (let i = 0; i < nTl; i++) {
    for (let j = 0; j < nBr; j++) {
      const rejected =
        tl.classes[i] !== br.classes[j] ||
        Math.abs(f(a.tags[i] - b.tags[j])) > threshold ||
        b.xs[j] < a.xs[i] ||
        b.ys[j] < a.ys[i];
      scores[i * nBr + j] = rejected ? REJECTED : geometric ? f(Math.sqrt(f(tl.scores[i] * br.scores[j]))) : f(f(tl.scores[i] + br.scores[j]) / 2);
    }
  }
  return { scores, nBr, tlX: a.xs, tlY: a.ys, brX: b.xs, brY: b.ys, tlClass: tl.classes };
}

/** The selected pairs (flat indices, best first) as detections, rejected ones dropped; class = tl class. */
export function pairsToDetections(pairs: CornerPairs, indices: ArrayLike<number>, stride: number): Detection[] {
  const dets: Detection[] = [];
  for (let n = 0; n < indices.length; n++) {
    const idx = indices[n];
    const score = pairs.scores[idx];
    if (score === REJECTED) continue;
    const i = Math.floor(idx / pairs.nBr);
    const j = idx - i * pairs.nBr;
    dets.push({
      box: { xmin: pairs.tlX[i] * stride, ymin: pairs.tlY[i] * stride, xmax: pairs.brX[j] * stride, ymax: pairs.brY[j] * stride },
      score,
      classId: pairs.tlClass[i],
    });
  }
  return dets;
}
