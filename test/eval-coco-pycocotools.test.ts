// evaluateCoco against the real pycocotools COCOeval: 20 random problems (crowds, custom area
// values, score ties, several images and categories, annotation id 0, maxDets [1, 2, 4] that truncate)
// scored by pycocotools 2.0.11 with numpy 2 (fixture made by test/fixtures/data/make-coco-eval-reference.py).
// The twelve numbers and the recall array must agree bit for bit.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { evaluateCoco } from '../trainer/eval/coco-eval.js';
import type { CocoJson, CocoResult } from '../trainer/data/types.js';

interface RefCase {
  gt: CocoJson;
  dets: CocoResult[];
  maxDets: number[];
  stats: number[];
  recall: number[];
}

const { cases } = JSON.parse(readFileSync(new URL('./fixtures/data/coco-eval-pycocotools.json', import.meta.url), 'utf8')) as { cases: RefCase[] };

test('fixture has cases that exercise crowds, id 0 and truncation', () => {
  assert.ok(cases.length >= 20);
  assert.ok(cases.some((c) => c.gt.annotations.some((a) => a.iscrowd)));
  assert.ok(cases.some((c) => c.gt.annotations.some((a) => a.id === 0)));
  assert.ok(cases.some((c) => c.maxDets[2] === 4));
});

cases.forEach((c, n) => {
  test(`case ${n}: stats and recall equal pycocotools exactly`, () => {
    const r = evaluateCoco(c.gt, c.dets, { maxDets: c.maxDets });
    assert.equal(r.statsArray, c.stats);
    assert.equal(Array.from(r.recall), c.recall);
  });
});

test.run();
