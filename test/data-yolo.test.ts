// YOLO-format datasets: the data.yaml subset (ultralytics' and Roboflow's files, comments, block
// scalars, names as list or map), the layouts (data.yaml, images/<split> + labels/<split> +
// classes.txt, flat), label lines (boxes, polygons, errors naming file:line); a YOLO copy written
// by `synth --format yolo` holds the same images and boxes as the COCO original and gives the
// bundled model the same eval numbers; boxes round-trip COCO -> YOLO -> COCO within 1e-4 px.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rejects } from './helpers/rejects.js';
import { loadCocoDataset } from '../trainer/data/coco.js';
import { loadDataset } from '../trainer/data/load.js';
import { synthDataset } from '../trainer/data/synth.js';
import type { CocoJson } from '../trainer/data/types.js';
import { parseYamlSubset } from '../trainer/data/yaml-subset.js';
import { loadYoloDataset } from '../trainer/data/yolo.js';
import { formatNormalised, writeYoloDataset } from '../trainer/data/yolo-write.js';
import { datasetToCocoGt } from '../trainer/eval/results.js';
import { evaluateModel } from '../trainer/evaluate.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MODEL = path.join(root, 'models', 'centernet-tiny-synth.safetensors');
let dir = '';

const png = (w: number, h: number) => sharp({ create: { width: w, height: h, channels: 3, background: { r: 90, g: 120, b: 150 } } }).png().toBuffer();

test.before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'anchorless-yolo-'));
});
test.after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('data.yaml subset: ultralytics coco8-style file with comments, a names map and a download script', () => {
  const yaml = parseYamlSubset(
    [
      '# Ultralytics YOLO, AGPL-3.0 license',
      'path: ../datasets/coco8 # dataset root dir',
      'train: images/train # train images (relative to path) 4 images',
      'val: images/val',
      'test: # test images (optional)',
      '',
      '# Classes',
      'names:',
      '  0: person',
      "  1: 'traffic light'",
      '  2: "hair drier"',
      '',
      'download: |',
      '  from pathlib import Path',
      '  names: [this, is, not, read]',
      'nc: 3',
    ].join('\n'),
    'coco8.yaml',
  );
  assert.is(yaml.get('path')!.value, '../datasets/coco8');
  assert.is(yaml.get('train')!.value, 'images/train');
  assert.is(yaml.get('test')!.value, '');
  assert.equal(yaml.get('names')!.value, { 0: 'person', 1: 'traffic light', 2: 'hair drier' });
  assert.is(yaml.get('download')!.value, undefined);
  assert.is(yaml.get('nc')!.value, 3);
  // Roboflow: flow list over two lines, list of split paths
  const rf = parseYamlSubset("train: ../train/images\nval: [../valid/images, 'extra/images']\nnames: ['a b', \"c\",\n  'it''s']\n", 'rf.yaml');
  assert.equal(rf.get('val')!.value, ['../valid/images', 'extra/images']);
  assert.equal(rf.get('names')!.value, ['a b', 'c', "it's"]);
  // a block list without indentation
  assert.equal(parseYamlSubset('names:\n- cat\n- dog\nnc: 2\n', 'x').get('names')!.value, ['cat', 'dog']);
  assert.throws(() => parseYamlSubset('names: [a, b\n', 'bad.yaml'), /bad\.yaml: line 1: unterminated \[/);
  assert.throws(() => parseYamlSubset('just text\n', 'bad.yaml'), /bad\.yaml: line 1: expected "key: value"/);
});

test('formatNormalised: fixed decimals, no exponent', () => {
  assert.is(formatNormalised(0.5), '0.5');
  assert.is(formatNormalised(1), '1');
  assert.is(formatNormalised(0), '0');
  assert.is(formatNormalised(1e-12), '0');
  assert.is(formatNormalised(1 / 3), '0.3333333333');
});

test('layouts: images/<split> + labels/<split> + classes.txt; flat folder; polygons; missing labels', async () => {
  const d = path.join(dir, 'split-layout');
  for (const s of ['train', 'val']) {
    await mkdir(path.join(d, 'images', s), { recursive: true });
    await mkdir(path.join(d, 'labels', s), { recursive: true });
  }
  await writeFile(path.join(d, 'classes.txt'), 'cat\ndog\n');
  await writeFile(path.join(d, 'images', 'train', 'a.png'), await png(200, 100));
  await writeFile(path.join(d, 'images', 'train', 'b.jpg'), await sharp(await png(50, 40)).jpeg().toBuffer());
  await writeFile(path.join(d, 'images', 'val', 'c.png'), await png(100, 100));
  // a: one box and one polygon; b: no label file; c: a box
  await writeFile(path.join(d, 'labels', 'train', 'a.txt'), '1 0.5 0.5 0.2 0.4\n0 0.1 0.1 0.3 0.1 0.2 0.6\n');
  await writeFile(path.join(d, 'labels', 'val', 'c.txt'), '0 0.25 0.75 0.5 0.5\n');
  const train = await loadDataset(d);
  assert.equal(train.labels, ['cat', 'dog']);
  assert.equal(train.images.map((i) => i.id), ['a', 'b']);
  // cx 0.5 w 0.2 of 200 px -> x 80..120; cy 0.5 h 0.4 of 100 px -> y 30..70
  assert.equal(train.images[0].boxes[0], [80, 30, 120, 70]);
  // polygon (0.1,0.1) (0.3,0.1) (0.2,0.6) -> x 20..60, y 10..60
  const poly = train.images[0].boxes[1];
  [20, 10, 60, 60].forEach((v, k) => assert.ok(Math.abs(poly[k] - v) < 1e-9, `polygon box ${poly}`));
  assert.equal(train.images[0].classIds, [1, 0]);
  assert.equal(train.images[1].boxes, []);
  assert.match(train.warnings.join('\n'), /1 image\(s\) have no label file .*b\.jpg/);
  const val = await loadDataset(d, { role: 'eval' });
  assert.equal(val.images.map((i) => [i.id, i.boxes]), [['c', [[0, 50, 50, 100]]]]);
  assert.match(val.description!, /images\/val: 1 images; 2 classes from .*classes\.txt: cat, dog/);
  await rejects(() => loadDataset(d, { split: 'test' }), /no split "test" .*splits found: train, val/);
  await rejects(() => loadDataset(d, { classes: ['cat', 'bird'] }), /classes\.txt: names \[cat, dog\] differ from the classes given \[cat, bird\]/);

  // flat: images and labels side by side, names from --classes
  const flat = path.join(dir, 'flat');
  await mkdir(flat);
  await writeFile(path.join(flat, 'x.png'), await png(10, 20));
  await writeFile(path.join(flat, 'x.txt'), '2 0.5 0.5 1 1\n');
  await rejects(() => loadYoloDataset(flat), /needs its class names: a data\.yaml with names:, a classes\.txt .* or --classes FILE/);
  await rejects(() => loadYoloDataset(flat, { classes: ['a', 'b'] }), /x\.txt:1: class 2 is not one of 0\.\.1/);
  const ds = await loadYoloDataset(flat, { classes: ['a', 'b', 'c'] });
  assert.equal(ds.images[0].boxes, [[0, 0, 10, 20]]);
});

test('label errors name file:line', async () => {
  const d = path.join(dir, 'bad');
  await mkdir(path.join(d, 'images'), { recursive: true });
  await mkdir(path.join(d, 'labels'));
  await writeFile(path.join(d, 'classes.txt'), 'a\n');
  await writeFile(path.join(d, 'images', 'i.png'), await png(10, 10));
  const cases: [string, RegExp][] = [
    ['0 0.5 0.5 0.2\n', /i\.txt:1: expected 5 values "class cx cy w h"/],
    ['\n0 0.5 x 0.2 0.2\n', /i\.txt:2: expected numbers/],
    ['0.5 0.5 0.5 0.2 0.2\n', /i\.txt:1: class 0\.5 is not one of 0\.\.0/],
    ['0 5 5 2 2\n', /i\.txt:1: box extends outside the 10x10 image .*normalised/],
    ['0 0.5 0.5 -0.1 0.2\n', /i\.txt:1: negative width or height/],
  ];
  for (const [text, re] of cases) {
    await writeFile(path.join(d, 'labels', 'i.txt'), text);
    await rejects(() => loadDataset(d), re);
  }
  await writeFile(path.join(d, 'data.yaml'), 'train: images\nnames: [a]\nnc: 2\n');
  await rejects(() => loadDataset(d), /data\.yaml: nc is 2 but names lists 1 classes/);
  await writeFile(path.join(d, 'data.yaml'), 'train: nowhere\nnames: [a]\n');
  await rejects(() => loadDataset(d), /data\.yaml: train: nowhere: .*nowhere not found/);
  await writeFile(path.join(d, 'data.yaml'), 'val: images\nnames: [a]\n');
  await rejects(() => loadDataset(d), /data\.yaml: no "train" split \(it has: val\): name one with --split NAME/);
  await rejects(() => loadDataset(d, { split: 'test' }), /data\.yaml: no "test" split \(it has: val\)/);
});

test('boxes round-trip COCO -> YOLO -> COCO within 1e-4 px (fractional boxes, non-square images)', async () => {
  const coco = path.join(dir, 'coco-rt');
  await mkdir(path.join(coco, 'images'), { recursive: true });
  const sizes: [number, number][] = [[97, 61], [640, 427], [33, 1000]];
  const json: CocoJson = { images: [], annotations: [], categories: [{ id: 1, name: 'p' }, { id: 2, name: 'q' }] };
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (const [k, [w, h]] of sizes.entries()) {
    await writeFile(path.join(coco, 'images', `im${k}.png`), await png(w, h));
    json.images.push({ id: k + 1, file_name: `im${k}.png`, width: w, height: h });
    for (let j = 0; j < 5; j++) {
      const x = rand() * w * 0.7;
      const y = rand() * h * 0.7;
      const bw = 0.5 + rand() * (w - x - 0.5);
      const bh = 0.5 + rand() * (h - y - 0.5);
      json.annotations.push({ id: json.annotations.length + 1, image_id: k + 1, category_id: 1 + (j % 2), bbox: [x, y, bw, bh], area: bw * bh });
    }
  }
  await writeFile(path.join(coco, 'annotations.json'), JSON.stringify(json));
  const original = await loadCocoDataset(coco);
  const yolo = path.join(dir, 'yolo-rt');
  await writeYoloDataset(yolo, { val: original });
  const back = datasetToCocoGt(await loadDataset(yolo, { role: 'eval' }));
  assert.equal(back.categories.map((c) => [c.id, c.name]), [[1, 'p'], [2, 'q']]);
  assert.is(back.annotations.length, json.annotations.length);
  let worst = 0;
  back.annotations.forEach((a, n) => {
    const o = json.annotations[n];
    assert.is(a.category_id, o.category_id);
    for (let k = 0; k < 4; k++) worst = Math.max(worst, Math.abs(a.bbox[k] - o.bbox[k]));
  });
  console.log(`  COCO -> YOLO -> COCO: largest box coordinate difference ${worst.toExponential(2)} px over ${back.annotations.length} boxes`);
  assert.ok(worst < 1e-4, `round trip moved a box by ${worst} px`);
  // written files are never replaced without asking
  await rejects(() => writeYoloDataset(yolo, { val: original }), /already exists/);
});

test('synth --format yolo: the same images and boxes as the COCO original, and the same eval numbers for the bundled model', async () => {
  const opts = { train: 0, val: 24, size: 128, seed: 21, maxObjects: 5 };
  await synthDataset({ ...opts, out: path.join(dir, 'syn-coco') });
  await synthDataset({ ...opts, out: path.join(dir, 'syn-yolo'), format: 'yolo' });
  const cocoSet = await loadDataset(path.join(dir, 'syn-coco', 'val'), { role: 'eval' });
  const yoloSet = await loadDataset(path.join(dir, 'syn-yolo'), { role: 'eval' });
  assert.equal(yoloSet.labels, cocoSet.labels);
  assert.is(yoloSet.images.length, 24);
  const names = (await readdir(path.join(dir, 'syn-yolo', 'images', 'val'))).sort();
  for (const [k, img] of cocoSet.images.entries()) {
    const y = yoloSet.images[k];
    assert.equal(await readFile(y.file), await readFile(img.file), `image ${names[k]} differs`);
    assert.equal(y.classIds, img.classIds);
    y.boxes.forEach((b, j) => b.forEach((v, c) => assert.ok(Math.abs(v - img.boxes[j][c]) < 1e-4, `box ${j} of ${names[k]}`)));
  }
  const a = await evaluateModel(MODEL, cocoSet);
  const b = await evaluateModel(MODEL, yoloSet);
  // Every statistic, the small/medium/large ones included: synth writes box areas in COCO too.
  const all = ['AP', 'AP50', 'AP75', 'APs', 'APm', 'APl', 'AR1', 'AR10', 'AR100', 'ARs', 'ARm', 'ARl'] as const;
  const stats = (e: typeof a) => e.coco.stats as unknown as Record<string, number>;
  console.log(`  bundled model on ${cocoSet.images.length} synth images: COCO ${JSON.stringify(stats(a))} voc07 ${a.voc07}`);
  console.log(`  the YOLO copy:                         ${JSON.stringify(stats(b))} voc07 ${b.voc07}`);
  for (const k of all) assert.ok(Math.abs(stats(a)[k] - stats(b)[k]) <= 1e-6, `${k}: COCO ${stats(a)[k]} vs YOLO ${stats(b)[k]}`);
  assert.ok(Math.abs(a.voc07! - b.voc07!) <= 1e-6, `voc07: ${a.voc07} vs ${b.voc07}`);
  assert.ok(stats(a).AP > 0.3, `the bundled model should detect synth shapes (AP ${stats(a).AP})`);
  // the same detections, image by image
  assert.is(b.results.length, a.results.length);
});

test.run();
