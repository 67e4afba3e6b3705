// decodeCornerNet end to end (wasm peaks and top-K): the PyTorch contract cases, each pairing
// rule on maps built so that exactly the expected pairs survive, layouts, and the argument errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeCornerNet, type CornerNetHeads } from '../runtime/decode/cornernet.js';
import { loadCases, rowsOf, tensorOf } from './helpers/decode-fixtures.js';
import { matchRows } from './helpers/detections.js';
import { loadKernels } from './helpers/kernels.js';
import { map, type Cell } from './helpers/maps.js';
import { toNCHW } from './helpers/peaks-reference.js';

const cases = loadCases('decodeCornerNet');
const headsOf = (c: Record<string, unknown>): CornerNetHeads => ({
  tlHeatmap: tensorOf(c.tlLogits),
  brHeatmap: tensorOf(c.brLogits),
  tlEmbedding: tensorOf(c.tlEmbedding),
  brEmbedding: tensorOf(c.brEmbedding),
  tlOffset: tensorOf(c.tlOffset),
  brOffset: tensorOf(c.brOffset),
});

test.before(async () => {
  await loadKernels();
});

for (const [n, c] of cases.entries()) {
  test(`contract case ${n}: same detections as PyTorch CornerNet _decode (stride 1 and 4)`, () => {
    const opts = { k: c.k as number, aeThreshold: c.aeThreshold as number };
    let err = matchRows(decodeCornerNet(headsOf(c), { ...opts, stride: 1 }), rowsOf(c.dets));
    assert.is(err, undefined, err);
    err = matchRows(decodeCornerNet(headsOf(c), opts), rowsOf(c.dets), 4);
    assert.is(err, undefined, err);
  });
}

test('NCHW (with or without the batch axis) gives exactly the NHWC result', () => {
  const c = cases[1];
  const nhwc = headsOf(c);
  const want = decodeCornerNet(nhwc, { k: 30 });
  assert.ok(want.length > 0);
  const nchw = Object.fromEntries(Object.entries(nhwc).map(([key, t]) => [key, toNCHW(t)])) as unknown as CornerNetHeads;
  assert.equal(decodeCornerNet(nchw, { k: 30, layout: 'NCHW' }), want);
  const unbatched = Object.fromEntries(Object.entries(nchw).map(([key, t]) => [key, { data: t.data, shape: t.shape.slice(1) }])) as unknown as CornerNetHeads;
  assert.equal(decodeCornerNet(unbatched, { k: 30, layout: 'NCHW' }), want);
});

// One top-left and one bottom-right corner on an 8 x 8 grid with 2 classes (probabilities):
// tl 0.8 at (y 1, x 2), br 0.6 at (y 5, x 6) unless moved; k = 1, so one candidate pair.
interface Corner {
  y: number;
  x: number;
  c?: number;
  score: number;
  tag: number;
  off: [number, number];
}
function heads(tl: Corner, br: Corner): CornerNetHeads {
  const heat = (p: Corner): Cell[] => [[p.y, p.x, p.c ?? 0, p.score]];
  const one = (p: Corner, v: number): Cell[] => [[p.y, p.x, 0, v]];
  const off = (p: Corner): Cell[] => [[p.y, p.x, 0, p.off[0]], [p.y, p.x, 1, p.off[1]]];
  return {
    tlHeatmap: map(8, 8, 2, heat(tl)),
    brHeatmap: map(8, 8, 2, heat(br)),
    tlEmbedding: map(8, 8, 1, one(tl, tl.tag)),
    brEmbedding: map(8, 8, 1, one(br, br.tag)),
    tlOffset: map(8, 8, 2, off(tl)),
    brOffset: map(8, 8, 2, off(br)),
  };
}
const tl: Corner = { y: 1, x: 2, score: 0.8, tag: 0.25, off: [0.25, 0.5] };
const br: Corner = { y: 5, x: 6, score: 0.6, tag: 0.5, off: [0.75, 0.125] };
const decode1 = (h: CornerNetHeads, opts = {}) => decodeCornerNet(h, { k: 1, logits: false, stride: 1, ...opts });

test('kept pair: box from the offset corners, score = mean of the corner scores, class = tl class', () => {
  assert.equal(decode1(heads(tl, br)), [{ box: { xmin: 2.25, ymin: 1.5, xmax: 6.75, ymax: 5.125 }, score: Math.fround((Math.fround(0.8) + Math.fround(0.6)) / 2), classId: 0 }]);
  assert.equal(decode1(heads(tl, br), { stride: 4 })[0].box, { xmin: 9, ymin: 6, xmax: 27, ymax: 20.5 });
});

test('rejected: the corners are of different classes', () => {
  assert.equal(decode1(heads(tl, { ...br, c: 1 })), []);
  assert.equal(decode1(heads({ ...tl, c: 1 }, { ...br, c: 1 })).map((d) => d.classId), [1]);
});

test('rejected: embedding distance over aeThreshold (equal to it is kept)', () => {
  assert.equal(decode1(heads(tl, { ...br, tag: 0.875 })), [], 'distance 0.625 > 0.5');
  assert.is(decode1(heads(tl, { ...br, tag: 0.75 })).length, 1, 'distance exactly 0.5 is kept');
  assert.is(decode1(heads(tl, { ...br, tag: 0.875 }), { aeThreshold: 0.625 }).length, 1, 'threshold option');
  assert.is(decode1(heads(tl, { ...br, tag: -0.375 })).length, 0, 'distance 0.625 the other way');
});

test('rejected: bottom-right left of top-left, compared after the offsets are added', () => {
  assert.equal(decode1(heads(tl, { ...br, x: 1 })), [], 'br column left of tl column');
  // Same column 2: tl x = 2.25; br x = 2 + 0.125 < 2.25 is rejected, 2 + 0.25 = 2.25 (a zero-width box) is kept.
  assert.equal(decode1(heads(tl, { ...br, x: 2, off: [0.125, 0.125] })), []);
  assert.equal(decode1(heads(tl, { ...br, x: 2, off: [0.25, 0.125] })).map((d) => [d.box.xmin, d.box.xmax]), [[2.25, 2.25]]);
});

test('rejected: bottom-right above top-left, compared after the offsets are added', () => {
  assert.equal(decode1(heads(tl, { ...br, y: 0 })), [], 'br row above tl row');
  // Same row 1: tl y = 1.5; br y = 1 + 0.375 is rejected, 1 + 0.75 is kept.
  assert.equal(decode1(heads(tl, { ...br, y: 1, off: [0.75, 0.375] })), []);
  assert.equal(decode1(heads(tl, { ...br, y: 1, off: [0.75, 0.75] })).map((d) => [d.box.ymin, d.box.ymax]), [[1.5, 1.75]]);
});

/**
 * Two objects of one class on an 8 x 8 grid (probabilities): A with tl (1,1), br (3,3) and tags 0;
 * B with tl (4,4), br (6,6) and tags 2. Scores [A tl, A br, B tl, B br].
 */
function twoObjects([aTl, aBr, bTl, bBr]: [number, number, number, number]): CornerNetHeads {
  return {
    tlHeatmap: map(8, 8, 1, [[1, 1, 0, aTl], [4, 4, 0, bTl]]),
    brHeatmap: map(8, 8, 1, [[3, 3, 0, aBr], [6, 6, 0, bBr]]),
    tlEmbedding: map(8, 8, 1, [[4, 4, 0, 2]]),
    brEmbedding: map(8, 8, 1, [[6, 6, 0, 2]]),
    tlOffset: map(8, 8, 2),
    brOffset: map(8, 8, 2),
  };
}

test('two objects of one class: the embeddings keep the cross pairs apart; numDets caps the result', () => {
  // A: tl 0.9, br 0.7; B: tl 0.8, br 0.8. Pairs: A-A kept (0.8), B-B kept (0.8 but computed from
  // 0.8 + 0.8), A.tl-B.br rejected by tags (a box over both objects), B.tl-A.br rejected by tags and geometry.
  const h = twoObjects([0.9, 0.7, 0.8, 0.8]);
  const boxes = (opts: object) => decodeCornerNet(h, { k: 2, logits: false, stride: 1, ...opts }).map((d) => [d.box.xmin, d.box.ymin, d.box.xmax, d.box.ymax, d.score]);
  const f = Math.fround;
  const sAA = f(f(f(0.9) + f(0.7)) / 2);
  const sBB = f(f(f(0.8) + f(0.8)) / 2);
  const sAB = f(f(f(0.9) + f(0.8)) / 2);
  // sBB (0.8) vs sAA (0.8): equal in float32? They are computed differently; order them as topK would.
  const kept = [[1, 1, 3, 3, sAA], [4, 4, 6, 6, sBB]].sort((a, b) => b[4] - a[4]);
  assert.equal(boxes({}), kept);
  assert.equal(boxes({ aeThreshold: 2 }), [[1, 1, 6, 6, sAB], ...kept], 'tags ignored: the cross box (score 0.85) appears first');
  assert.equal(boxes({ numDets: 1 }), [kept[0]]);
});

test("pairScore 'geometric': sqrt(tl * br) ranks a pair of two moderate corners above a strong corner with a weak partner", () => {
  // A: tl 0.95, br 0.15 (one weak corner); B: tl 0.5, br 0.5. Mean: A 0.55 > B 0.5;
  // geometric: A sqrt(0.1425) ~ 0.377 < B 0.5. Tags keep the cross pairs apart.
  const h = twoObjects([0.95, 0.15, 0.5, 0.5]);
  const f = Math.fround;
  const ranked = (pairScore?: 'mean' | 'geometric') =>
    decodeCornerNet(h, { k: 2, logits: false, stride: 1, ...(pairScore ? { pairScore } : {}) }).map((d) => [d.box.xmin, d.score]);
  assert.equal(ranked(), [[1, f(f(f(0.95) + f(0.15)) / 2)], [4, f(f(f(0.5) + f(0.5)) / 2)]], 'default: the official mean');
  assert.equal(ranked('mean'), ranked());
  assert.equal(ranked('geometric'), [[4, f(Math.sqrt(f(f(0.5) * f(0.5))))], [1, f(Math.sqrt(f(f(0.95) * f(0.15))))]]);
  assert.ok(Math.abs(ranked('geometric')[1][1] - Math.sqrt(0.95 * 0.15)) < 1e-6);
});

test('k x k below numDets: all pairs are ranked (official topk would need numDets <= k*k)', () => {
  assert.is(decodeCornerNet(headsOf(cases[1]), { k: 5, numDets: 1000 }).length <= 25, true);
});

test('as officially, a score-0 corner (no peak left) still pairs when the rules allow it', () => {
  // No bottom-right peak at all: the k = 1 br corner is cell (0, 0) class 0 with score 0, tag 0, offset 0.
  const origin: Corner = { y: 0, x: 0, score: 0.8, tag: 0, off: [0, 0] };
  assert.equal(decode1({ ...heads(origin, br), brHeatmap: map(8, 8, 2), brEmbedding: map(8, 8, 1) }), [
    { box: { xmin: 0, ymin: 0, xmax: 0, ymax: 0 }, score: Math.fround(Math.fround(0.8) / 2), classId: 0 },
  ]);
  assert.equal(decode1({ ...heads(tl, br), brHeatmap: map(8, 8, 2) }), [], 'cell (0, 0) is left of and above tl (1, 2)');
});

test('bad arguments are Errors naming the argument', () => {
  const ok = heads(tl, br);
  assert.throws(() => decodeCornerNet(ok, { k: 129 }), /options\.k = 129 exceeds the 128 cells \(H\*W\*C\) of heads\.tlHeatmap/);
  assert.throws(() => decodeCornerNet({ ...ok, brHeatmap: map(8, 8, 3) }), /heads\.brHeatmap must have 2 channels, got 3/);
  assert.throws(() => decodeCornerNet({ ...ok, brHeatmap: map(8, 7, 2) }), /heads\.brHeatmap is 8x7 \(HxW\) but heads\.tlHeatmap is 8x8/);
  assert.throws(() => decodeCornerNet({ ...ok, tlEmbedding: map(8, 8, 2) }), /heads\.tlEmbedding must have 1 channels, got 2/);
  assert.throws(() => decodeCornerNet({ ...ok, brOffset: map(8, 8, 1) }), /heads\.brOffset must have 2 channels, got 1/);
  assert.throws(() => decodeCornerNet({ ...ok, tlOffset: map(4, 8, 2) }), /heads\.tlOffset is 4x8 \(HxW\)/);
  assert.throws(() => decodeCornerNet({ ...ok, tlHeatmap: { data: new Float32Array(256), shape: [2, 8, 8, 2] } }), /heads\.tlHeatmap has batch 2/);
  assert.throws(() => decodeCornerNet({ ...ok, brEmbedding: undefined as never }), /heads\.brEmbedding must be a tensor/);
  assert.throws(() => decodeCornerNet(ok, { aeThreshold: -1 }), /options\.aeThreshold must be a finite number >= 0/);
  assert.throws(() => decodeCornerNet(ok, { numDets: 0 }), /options\.numDets must be a positive integer/);
  assert.throws(() => decodeCornerNet(ok, { layout: 'CHW' as 'NCHW' }), /options\.layout must be 'NHWC' or 'NCHW'/);
  assert.throws(() => decodeCornerNet(ok, { kernel: 2 }), /options\.kernel must be odd/);
  assert.throws(() => decodeCornerNet(ok, { pairScore: 'max' as 'mean' }), /options\.pairScore must be one of 'mean', 'geometric', got max/);
  assert.throws(() => decodeCornerNet(undefined as never), /heads must be an object/);
});

test.run();
