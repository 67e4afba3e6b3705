// Issue 10, defect 1: model classes are scored against dataset categories by label name (or a
// --class-map), never by position, and a mismatch is refused before any image runs. The bundled
// model is trained on the synthetic shapes, so its AP on a synthetic split is a real number that
// a wrong pairing would change.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadCocoDataset } from '../trainer/data/coco.js';
import { synthDataset } from '../trainer/data/synth.js';
import type { CocoJson } from '../trainer/data/types.js';
import { evaluateModel } from '../trainer/evaluate.js';
import { mapClasses } from '../trainer/eval/class-map.js';
import { loadKernels } from './helpers/kernels.js';

const dir = mkdtempSync(path.join(tmpdir(), 'anchorless-classmap-'));
const MODEL = path.resolve('models/centernet-tiny-synth.safetensors');
let valDir = '';

/** A copy of the val split whose annotations.json is `edit` of the original. */
function variant(name: string, edit: (json: CocoJson) => void): string {
  const json = JSON.parse(readFileSync(path.join(valDir, 'annotations.json'), 'utf8')) as CocoJson;
  edit(json);
  const file = path.join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(json));
  return file;
}

test.before(async () => {
  await loadKernels();
  await synthDataset({ out: path.join(dir, 'synth'), train: 0, val: 12, size: 128, seed: 7 });
  valDir = path.join(dir, 'synth', 'val');
});

test('detectors: 2 and 3 detectors (one on this thread, the others in workers) give the same results as 1', async () => {
  const ds = await loadCocoDataset(valDir);
  const one = await evaluateModel(MODEL, ds);
  let progressed = 0;
  for (const detectors of [2, 3]) {
    const many = await evaluateModel(MODEL, ds, { detectors, onProgress: () => progressed++ });
    assert.equal(many.results, one.results, `${detectors} detectors: the same detections in the same order`);
    assert.equal(many.coco.stats, one.coco.stats);
    assert.is(many.voc07, one.voc07);
  }
  assert.is(progressed, 2 * ds.images.length, 'progress once per image');
  for (const bad of [0, 1.5, NaN]) {
    const error = await evaluateModel(MODEL, ds, { detectors: bad }).then(() => undefined, (e: Error) => e);
    assert.match(error?.message ?? '', /^evaluateModel: detectors must be an integer from 1 to 64, got /);
  }
});

test('an extra unused category (id 0 "background") does not change the AP, and results carry the named ids', async () => {
  const plain = await evaluateModel(MODEL, await loadCocoDataset(valDir));
  assert.ok(plain.coco.stats.AP > 0.2, `the bundled model detects the shapes (AP ${plain.coco.stats.AP})`);
  const annotationsFile = variant('background', (j) => j.categories.unshift({ id: 0, name: 'background' }));
  const ds = await loadCocoDataset(valDir, { annotationsFile, imagesDir: path.join(valDir, 'images') });
  const shifted = await evaluateModel(MODEL, ds);
  assert.is(shifted.coco.stats.AP, plain.coco.stats.AP);
  assert.is(shifted.voc07, plain.voc07);
  const circleId = ds.categories.find((c) => c.name === 'circle')!.id;
  assert.ok(shifted.results.some((r) => r.category_id === circleId));
  assert.ok(shifted.results.every((r) => r.category_id !== 0), 'no detection is scored as "background"');
});

test('categories renamed or missing are refused before the first image runs; a class map fixes it', async () => {
  const renamedFile = variant('renamed', (j) => j.categories.forEach((c) => (c.name = c.name.toUpperCase())));
  const renamed = await loadCocoDataset(valDir, { annotationsFile: renamedFile, imagesDir: path.join(valDir, 'images') });
  let progressed = 0;
  try {
    await evaluateModel(MODEL, renamed, { onProgress: () => progressed++ });
    assert.unreachable('renamed categories must be refused');
  } catch (e) {
    assert.match((e as Error).message, /model class 0 "circle": the dataset has no category named "circle"/);
    assert.match((e as Error).message, /--class-map/);
  }
  assert.is(progressed, 0, 'no image ran');
  const classMap = Object.fromEntries(renamed.labels.map((l) => [l.toLowerCase(), l]));
  const mapped = await evaluateModel(MODEL, renamed, { classMap });
  const plain = await evaluateModel(MODEL, await loadCocoDataset(valDir));
  assert.is(mapped.coco.stats.AP, plain.coco.stats.AP);

  // fewer categories than classes: the model's "star" has none, and its objects are gone too
  const fewerFile = variant('fewer', (j) => {
    const star = j.categories.find((c) => c.name === 'star')!.id;
    j.categories = j.categories.filter((c) => c.id !== star);
    j.annotations = j.annotations.filter((a) => a.category_id !== star);
  });
  const fewer = await loadCocoDataset(valDir, { annotationsFile: fewerFile, imagesDir: path.join(valDir, 'images') });
  await evaluateModel(MODEL, fewer).then(
    () => assert.unreachable('a class without a category must be refused'),
    (e: Error) => assert.match(e.message, /model class 5 "star": the dataset has no category named "star"/),
  );
  // leaving the class out on purpose is allowed
  const without = await evaluateModel(MODEL, fewer, { classMap: { star: null } });
  assert.ok(without.results.every((r) => fewer.categories.some((c) => c.id === r.category_id)));
});

test('mapClasses: an annotated category no class maps to, two classes on one category, unknown map keys', async () => {
  const ds = await loadCocoDataset(valDir);
  const labels = ds.labels;
  assert.throws(() => mapClasses(labels.slice(0, 5), ds), /category \d+ "star" has \d+ object\(s\) but no model class maps to it/);
  assert.throws(() => mapClasses(labels, ds, { circle: 'square' }), /both map to category/);
  assert.throws(() => mapClasses(labels, ds, { circel: 1 }), /names "circel", which is not a model class/);
  assert.throws(() => mapClasses(labels, ds, { circle: 99 }), /category id 99, which the dataset does not have/);
  assert.throws(() => mapClasses(labels, ds, { circle: true as never }), /class map entry "circle" must be/);
  const m = mapClasses(labels, ds);
  assert.equal(m.categoryOfClass, ds.categories.map((c) => c.id));
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
