// decodeCenterNet end to end (wasm peaks): the PyTorch contract cases, layouts, the no-offset
// centre (+0.5), per-class wh, probabilities in, and the argument errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeCenterNet } from '../runtime/decode/centernet.js';
import { loadCases, rowsOf, tensorOf } from './helpers/decode-fixtures.js';
import { matchRows } from './helpers/detections.js';
import { loadKernels } from './helpers/kernels.js';
import { map } from './helpers/maps.js';
import { toNCHW } from './helpers/peaks-reference.js';

const cases = loadCases('decodeCenterNet');
const headsOf = (c: Record<string, unknown>) => ({ heatmap: tensorOf(c.heatmapLogits), wh: tensorOf(c.wh), offset: tensorOf(c.reg) });

test.before(async () => {
  await loadKernels();
});

for (const [n, c] of cases.entries()) {
  test(`contract case ${n}: same detections as PyTorch ctdet_decode (stride 1 and 4)`, () => {
    const k = c.k as number;
    let err = matchRows(decodeCenterNet(headsOf(c), { k, stride: 1 }), rowsOf(c.dets));
    assert.is(err, undefined, err);
    err = matchRows(decodeCenterNet(headsOf(c), { k }), rowsOf(c.dets), 4);
    assert.is(err, undefined, err);
  });
}

test('NCHW (with or without the batch axis) gives exactly the NHWC result', () => {
  const c = cases[0];
  const nhwc = headsOf(c);
  const want = decodeCenterNet(nhwc, { k: 30 });
  const nchw = { heatmap: toNCHW(nhwc.heatmap), wh: toNCHW(nhwc.wh), offset: toNCHW(nhwc.offset) };
  assert.equal(decodeCenterNet(nchw, { k: 30, layout: 'NCHW' }), want);
  const drop = (t: { data: Float32Array; shape: number[] }) => ({ data: t.data, shape: t.shape.slice(1) });
  assert.equal(decodeCenterNet({ heatmap: drop(nchw.heatmap), wh: drop(nchw.wh), offset: drop(nchw.offset) }, { k: 30, layout: 'NCHW' }), want);
  assert.equal(decodeCenterNet({ heatmap: drop(nhwc.heatmap), wh: drop(nhwc.wh), offset: drop(nhwc.offset) }, { k: 30 }), want);
});

// A 6 x 5 probability map, 2 classes: peaks 0.9 (class 1 at y 1, x 3) and 0.6 (class 0 at y 4, x 1);
// 0.5 next to the first peak is not a peak (3 x 3 window).
const heatmap = map(6, 5, 2, [[1, 3, 1, 0.9], [1, 2, 1, 0.5], [4, 1, 0, 0.6]]);
const wh = map(6, 5, 2, [[1, 3, 0, 4], [1, 3, 1, 2], [4, 1, 0, 1], [4, 1, 1, 3]]);
const offset = map(6, 5, 2, [[1, 3, 0, 0.25], [1, 3, 1, 0.75], [4, 1, 0, 0.5], [4, 1, 1, 0.125]]);

test('probabilities in (logits: false): centre = cell + offset, box = centre -+ wh / 2, times stride', () => {
  const dets = decodeCenterNet({ heatmap, wh, offset }, { k: 2, logits: false, stride: 4 });
  // Peak 1: centre (3.25, 1.75), wh (4, 2) -> [1.25, 0.75, 5.25, 2.75] x 4. Peak 2: centre (1.5, 4.125), wh (1, 3).
  assert.equal(dets, [
    { box: { xmin: 5, ymin: 3, xmax: 21, ymax: 11 }, score: Math.fround(0.9), classId: 1 },
    { box: { xmin: 4, ymin: 10.5, xmax: 8, ymax: 22.5 }, score: Math.fround(0.6), classId: 0 },
  ]);
});

test('without an offset head the centre is the middle of the cell (+0.5), as officially', () => {
  const dets = decodeCenterNet({ heatmap, wh }, { k: 2, logits: false, stride: 1 });
  assert.equal(dets.map((d) => d.box), [
    { xmin: 1.5, ymin: 0.5, xmax: 5.5, ymax: 2.5 },
    { xmin: 1, ymin: 3, xmax: 2, ymax: 6 },
  ]);
});

test('wh with 2C channels (cat_spec_wh) takes the pair of the peak class', () => {
  const perClass = map(6, 5, 4, [[1, 3, 2, 6], [1, 3, 3, 8], [1, 3, 0, 100], [4, 1, 0, 2], [4, 1, 1, 2], [4, 1, 2, 100]]);
  const dets = decodeCenterNet({ heatmap, wh: perClass }, { k: 2, logits: false, stride: 1 });
  assert.equal(dets.map((d) => d.box), [
    { xmin: 0.5, ymin: -2.5, xmax: 6.5, ymax: 5.5 },
    { xmin: 0.5, ymin: 3.5, xmax: 2.5, ymax: 5.5 },
  ]);
});

test('logits: sigmoid first, same peaks and order as the probabilities; k beyond the peaks pads with score-0 cells', () => {
  const logit = (p: number) => Math.log(p / (1 - p));
  const logits = { data: heatmap.data.map((p) => (p === 0 ? -30 : logit(p))), shape: heatmap.shape };
  const dets = decodeCenterNet({ heatmap: logits, wh, offset }, { k: 2 });
  assert.equal(dets.map((d) => d.classId), [1, 0]);
  assert.ok(Math.abs(dets[0].score - 0.9) < 1e-6 && Math.abs(dets[1].score - 0.6) < 1e-6);
  // As ctdet_decode's topk over heat * (hmax == heat): non-peaks are zeros, ranked by flat index.
  const more = decodeCenterNet({ heatmap, wh, offset }, { k: 5, logits: false, stride: 1 });
  assert.equal(more.map((d) => d.score), [Math.fround(0.9), Math.fround(0.6), 0, 0, 0]);
  assert.equal(more.slice(2).map((d) => [d.box.xmin, d.box.ymin, d.classId]), [[0, 0, 0], [0, 0, 1], [1, 0, 0]], 'cells (0,0) c0, (0,0) c1, (0,1) c0 with wh 0, offset 0');
});

test('kernel 5 widens the peak window: a lower maximum within 2 cells is suppressed', () => {
  const two = map(6, 6, 1, [[1, 1, 0, 0.9], [3, 3, 0, 0.8]]);
  const wh1 = map(6, 6, 2);
  assert.equal(decodeCenterNet({ heatmap: two, wh: wh1 }, { k: 2, logits: false }).map((d) => d.score), [Math.fround(0.9), Math.fround(0.8)]);
  assert.equal(decodeCenterNet({ heatmap: two, wh: wh1 }, { k: 2, logits: false, kernel: 5 }).map((d) => d.score), [Math.fround(0.9), 0]);
});

test('bad arguments are Errors naming the argument', () => {
  const ok = { heatmap, wh, offset };
  assert.throws(() => decodeCenterNet(ok, { k: 61 }), /options\.k = 61 exceeds the 60 cells \(H\*W\*C\) of heads\.heatmap/);
  assert.throws(() => decodeCenterNet({ heatmap, wh: map(6, 5, 3) }), /heads\.wh must have 2 or 4 channels, got 3/);
  assert.throws(() => decodeCenterNet({ heatmap, wh: map(6, 4, 2) }), /heads\.wh is 6x4 \(HxW\) but heads\.heatmap is 6x5/);
  assert.throws(() => decodeCenterNet({ heatmap, wh, offset: map(6, 5, 1) }), /heads\.offset must have 2 channels, got 1/);
  assert.throws(() => decodeCenterNet({ heatmap: { data: new Float32Array(120), shape: [2, 6, 5, 2] }, wh }), /heads\.heatmap has batch 2; decode one image at a time/);
  assert.throws(() => decodeCenterNet({ heatmap: { data: new Float32Array(10), shape: [10] }, wh }), /heads\.heatmap must have rank 4/);
  assert.throws(() => decodeCenterNet({ heatmap: { data: new Float32Array(3), shape: [1, 2, 2, 1] }, wh }), /heads\.heatmap\.data has 3 elements but shape \[1,2,2,1\] needs 4/);
  assert.throws(() => decodeCenterNet({ heatmap, wh: undefined as never }), /heads\.wh must be a tensor/);
  assert.throws(() => decodeCenterNet(ok, { layout: 'nchw' as 'NCHW' }), /options\.layout must be 'NHWC' or 'NCHW', got 'nchw'/);
  assert.throws(() => decodeCenterNet(ok, { kernel: 4 }), /options\.kernel must be odd/);
  assert.throws(() => decodeCenterNet(ok, { k: 0 }), /options\.k must be a positive integer, got 0/);
  assert.throws(() => decodeCenterNet(ok, { stride: -4 }), /options\.stride must be a positive finite number/);
  assert.throws(() => decodeCenterNet(ok, { logits: 1 as unknown as boolean }), /options\.logits must be true or false/);
  assert.throws(() => decodeCenterNet(null as never), /heads must be an object/);
});

test.run();
