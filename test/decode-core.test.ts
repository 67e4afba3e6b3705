// The decoders' own logic (gathering, offsets, boxes, corner pairing) on peaks from the plain-TS
// reference, against the PyTorch contract cases: no wasm involved.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { centerNetBoxes } from '../runtime/decode/centernet.js';
import { pairCorners, pairsToDetections } from '../runtime/decode/cornernet.js';
import { headView } from '../runtime/decode/layout.js';
import { loadCases, rowsOf, tensorOf } from './helpers/decode-fixtures.js';
import { matchRows } from './helpers/detections.js';
import { heatmapPeaksRef, sigmoidRef, topKRef } from './helpers/peaks-reference.js';

const F = 'test';

for (const [n, c] of loadCases('decodeCenterNet').entries()) {
  test(`centerNetBoxes on reference peaks matches PyTorch ctdet_decode, case ${n}`, () => {
    const heat = sigmoidRef(tensorOf(c.heatmapLogits));
    const peaks = heatmapPeaksRef(heat, c.k as number);
    const dets = centerNetBoxes(peaks, headView(F, 'wh', tensorOf(c.wh), 'NHWC'), headView(F, 'reg', tensorOf(c.reg), 'NHWC'), 1);
    const err = matchRows(dets, rowsOf(c.dets));
    assert.is(err, undefined, err);
  });
}

for (const [n, c] of loadCases('decodeCornerNet').entries()) {
  test(`pairCorners on reference peaks matches PyTorch CornerNet _decode, case ${n}`, () => {
    const k = c.k as number;
    const tl = heatmapPeaksRef(sigmoidRef(tensorOf(c.tlLogits)), k);
    const br = heatmapPeaksRef(sigmoidRef(tensorOf(c.brLogits)), k);
    const v = (name: string) => headView(F, name, tensorOf(c[name]), 'NHWC');
    const pairs = pairCorners(tl, br, { tlEmbedding: v('tlEmbedding'), brEmbedding: v('brEmbedding'), tlOffset: v('tlOffset'), brOffset: v('brOffset') }, c.aeThreshold as number);
    const top = topKRef(pairs.scores, Math.min(1000, k * k));
    const err = matchRows(pairsToDetections(pairs, top.indices, 1), rowsOf(c.dets));
    assert.is(err, undefined, err);
  });
}

test.run();
