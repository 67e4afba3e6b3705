// Weighted boxes fusion (runtime/decode/box-fusion.ts) on cases whose answers are worked out by hand
// from the paper's definition (arXiv:1910.13302: clusters per class against the fused box, the box
// a score-weighted mean) and this project's score (the mean over the runs of each run's best member).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fuseDetections } from '../runtime/decode/box-fusion.js';
import type { Detection } from '../runtime/decode/boxes.js';

const det = (xmin: number, ymin: number, xmax: number, ymax: number, score: number, classId = 0): Detection => ({ box: { xmin, ymin, xmax, ymax }, score, classId });

/** Every number to 1e-12: the fused coordinates are sums of products, not exact in binary. */
function near(got: Detection[], expected: Detection[]): void {
  assert.is(got.length, expected.length, JSON.stringify(got));
  got.forEach((g, i) => {
    const e = expected[i];
    assert.is(g.classId, e.classId);
    for (const [a, b] of [[g.score, e.score], [g.box.xmin, e.box.xmin], [g.box.ymin, e.box.ymin], [g.box.xmax, e.box.xmax], [g.box.ymax, e.box.ymax]]) {
      assert.ok(Math.abs(a - b) < 1e-12, `detection ${i}: ${JSON.stringify(g)} against ${JSON.stringify(e)}`);
    }
  });
}

test('two runs that agree: the score-weighted mean box, the mean of the two scores', () => {
  // IoU of [0,0,10,10] and [1,1,11,11]: 81 / 119 = 0.68 > 0.55
  const fused = fuseDetections([[det(0, 0, 10, 10, 0.8)], [det(1, 1, 11, 11, 0.4)]]);
  // (0.8 * 0 + 0.4 * 1) / 1.2 = 1/3; (0.8 * 10 + 0.4 * 11) / 1.2 = 31/3
  near(fused, [det(1 / 3, 1 / 3, 31 / 3, 31 / 3, 0.6)]);
});

test('a box one run of two finds keeps half its score; classes never fuse; best first', () => {
  const fused = fuseDetections([[det(0, 0, 10, 10, 0.9, 0), det(50, 50, 60, 60, 0.7, 1)], [det(0, 0, 10, 10, 0.5, 1)]]);
  near(fused, [det(0, 0, 10, 10, 0.45, 0), det(50, 50, 60, 60, 0.35, 1), det(0, 0, 10, 10, 0.25, 1)]);
});

test("two boxes of one run in a cluster: the run counts once, by its best (the paper's 'avg' would give 0.7)", () => {
  // IoU of [0,0,10,10] and [0,0,10,9]: 90 / 100 = 0.9
  const fused = fuseDetections([[det(0, 0, 10, 10, 0.8), det(0, 0, 10, 9, 0.6)], []]);
  // ymax (0.8 * 10 + 0.6 * 9) / 1.4 = 13.4 / 1.4
  near(fused, [det(0, 0, 10, 13.4 / 1.4, 0.4)]);
});

test('iouThreshold: the overlap a box needs to join a cluster (strictly more)', () => {
  // IoU of [0,0,10,10] and [4,0,14,10]: 60 / 140 = 0.4286
  const runs = [[det(0, 0, 10, 10, 0.9)], [det(4, 0, 14, 10, 0.5)]];
  near(fuseDetections(runs), [det(0, 0, 10, 10, 0.45), det(4, 0, 14, 10, 0.25)]);
  // (0.5 * 4) / 1.4 and (0.9 * 10 + 0.5 * 14) / 1.4
  near(fuseDetections(runs, { iouThreshold: 0.4 }), [det(2 / 1.4, 0, 16 / 1.4, 10, 0.7)]);
  // [0,0,10,10] and [0,0,10,5]: IoU 50 / 100, exactly the threshold: not more, so two clusters
  near(fuseDetections([[det(0, 0, 10, 10, 0.9)], [det(0, 0, 10, 5, 0.5)]], { iouThreshold: 0.5 }), [det(0, 0, 10, 10, 0.45), det(0, 0, 10, 5, 0.25)]);
});

test('a box joins the cluster whose fused box it overlaps most, and the fused box moves', () => {
  // clusters A [0,0,10,10] (0.9) and B [6,0,16,10] (0.8) do not overlap enough (IoU 40 / 160); the
  // third box [5,0,15,10] overlaps A by 50 / 150 and B by 90 / 110: it joins B
  const fused = fuseDetections([[det(0, 0, 10, 10, 0.9), det(6, 0, 16, 10, 0.8)], [det(5, 0, 15, 10, 0.4)]], { iouThreshold: 0.3 });
  // B: xmin (0.8 * 6 + 0.4 * 5) / 1.2 = 6.8 / 1.2, xmax (0.8 * 16 + 0.4 * 15) / 1.2 = 18.8 / 1.2
  near(fused, [det(6.8 / 1.2, 0, 18.8 / 1.2, 10, 0.6), det(0, 0, 10, 10, 0.45)]);
});

test('maxResults keeps the best; one run alone keeps its scores; zero scores keep their box', () => {
  const runs = [[det(0, 0, 4, 4, 0.2), det(10, 10, 14, 14, 0.9), det(20, 20, 24, 24, 0.5)]];
  near(fuseDetections(runs, { maxResults: 2 }), [det(10, 10, 14, 14, 0.9), det(20, 20, 24, 24, 0.5)]);
  near(fuseDetections([[det(0, 0, 4, 4, 0)], [det(0, 0, 4, 4, 0)]]), [det(0, 0, 4, 4, 0)]);
  assert.equal(fuseDetections([[], []]), []);
});

test('bad runs and options are Errors naming them', () => {
  assert.throws(() => fuseDetections([]), /fuseDetections: runs must be a non-empty array of detection arrays/);
  assert.throws(() => fuseDetections([det(0, 0, 1, 1, 1)] as unknown as Detection[][]), /runs must be a non-empty array of detection arrays/);
  for (const iouThreshold of [1, -0.1, Number.NaN]) assert.throws(() => fuseDetections([[]], { iouThreshold }), /options\.iouThreshold must be a number in \[0, 1\)/);
  assert.throws(() => fuseDetections([[]], { maxResults: 0 }), /options\.maxResults must be a positive integer, got 0/);
});

test.run();
