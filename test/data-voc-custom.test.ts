// A VOC folder as labelImg or CVAT writes one: its own classes, only train.txt and val.txt (or no
// ImageSets at all), PNG images. It trains and evaluates with no extra flags (classes: the sorted
// names in the XML files; train takes train.txt, eval val.txt), and the same with --classes; a
// class in the XML that the model lacks is an Error naming it, or dropped with a warning when asked.
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rejects } from './helpers/rejects.js';
import { readModelFile } from '../runtime/weights/model-file.js';
import { loadDataset } from '../trainer/data/load.js';
import { synthDataset } from '../trainer/data/synth.js';
import type { CocoJson } from '../trainer/data/types.js';
import { train } from '../trainer/train.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MODEL = path.join(root, 'models', 'centernet-tiny-synth.safetensors');
let dir = '';
let voc = '';
/** Objects written per split, by class, and the difficult / truncated flags written. */
const written: Record<string, { objects: number; byClass: Record<string, number>; difficult: number; truncated: number }> = {};

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'runtime', 'cli.ts'), ...args], { cwd: root, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** VOC XML for one image: 1-based inclusive pixel boxes (continuous [x1, y1, x2, y2] -> x1 + 1 .. x2). */
function vocXml(file: string, w: number, h: number, objects: { name: string; box: number[]; difficult: boolean; truncated: boolean }[]): string {
  const objs = objects.map((o) => `  <object><name>${o.name}</name><truncated>${+o.truncated}</truncated><difficult>${+o.difficult}</difficult>` +
    `<bndbox><xmin>${o.box[0] + 1}</xmin><ymin>${o.box[1] + 1}</ymin><xmax>${o.box[2]}</xmax><ymax>${o.box[3]}</ymax></bndbox></object>`);
  return `<annotation><filename>${file}</filename><size><width>${w}</width><height>${h}</height><depth>3</depth></size>\n${objs.join('\n')}\n</annotation>\n`;
}

/** A synth COCO split rewritten as VOC: PNGs in JPEGImages/, one XML each, ids listed in ImageSets/Main/<split>.txt. */
async function addSplit(src: string, split: string, prefix: string): Promise<void> {
  const json = JSON.parse(await readFile(path.join(src, 'annotations.json'), 'utf8')) as CocoJson;
  const names = new Map(json.categories.map((c) => [c.id, c.name]));
  const ids: string[] = [];
  const stats = { objects: 0, byClass: {} as Record<string, number>, difficult: 0, truncated: 0 };
  let n = 0;
  for (const img of json.images) {
    const id = `${prefix}${String(img.id).padStart(4, '0')}`;
    ids.push(id);
    await copyFile(path.join(src, 'images', img.file_name), path.join(voc, 'JPEGImages', `${id}.png`));
    const objects = json.annotations.filter((a) => a.image_id === img.id).map((a) => {
      n++;
      const name = names.get(a.category_id)!;
      stats.objects++;
      stats.byClass[name] = (stats.byClass[name] ?? 0) + 1;
      const o = { name, box: [a.bbox[0], a.bbox[1], a.bbox[0] + a.bbox[2], a.bbox[1] + a.bbox[3]], difficult: n % 7 === 0, truncated: n % 5 === 0 };
      stats.difficult += +o.difficult;
      stats.truncated += +o.truncated;
      return o;
    });
    await writeFile(path.join(voc, 'Annotations', `${id}.xml`), vocXml(`${id}.png`, img.width, img.height, objects));
  }
  await writeFile(path.join(voc, 'ImageSets', 'Main', `${split}.txt`), `${ids.join('\n')}\n`);
  written[split] = stats;
}

test.before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'anchorless-voc-custom-'));
  voc = path.join(dir, 'voc');
  for (const sub of ['Annotations', 'JPEGImages', 'ImageSets/Main']) await mkdir(path.join(voc, sub), { recursive: true });
  // synth shapes under their own names: the bundled model's classes, so it can be scored by name
  await synthDataset({ out: path.join(dir, 'synth'), train: 16, val: 8, size: 64, seed: 5, classes: ['ring', 'star', 'circle'] });
  await addSplit(path.join(dir, 'synth', 'train'), 'train', 't');
  await addSplit(path.join(dir, 'synth', 'val'), 'val', 'v');
});
test.after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('custom classes (sorted XML names) and the split by use: train.txt to train, val.txt to evaluate', async () => {
  const t = await loadDataset(voc);
  const v = await loadDataset(voc, { role: 'eval' });
  const found = [...new Set([...Object.keys(written.train.byClass), ...Object.keys(written.val.byClass)])];
  assert.equal(t.labels, Object.keys(written.train.byClass).sort());
  assert.ok(found.length >= 2, `synth gave classes ${found}`);
  assert.match(t.description!, /split "train" \(ImageSets\/Main\/train\.txt\), 16 images; \d classes named in the XML files \(sorted\)/);
  assert.match(v.description!, /split "val" \(ImageSets\/Main\/val\.txt\), 8 images/);
  for (const [ds, split] of [[t, 'train'], [v, 'val']] as const) {
    const w = written[split];
    assert.is(ds.images.reduce((s, i) => s + i.boxes.length, 0), w.objects);
    assert.is(ds.images.reduce((s, i) => s + i.difficult.filter(Boolean).length, 0), w.difficult);
    assert.is(ds.images.reduce((s, i) => s + i.truncated!.filter(Boolean).length, 0), w.truncated);
    for (const [name, count] of Object.entries(w.byClass)) {
      assert.is(ds.images.reduce((s, i) => s + i.classIds.filter((c) => ds.labels[c] === name).length, 0), count, `${split} ${name}`);
    }
    // the PNGs are found beside the missing .jpg
    assert.ok(ds.images.every((i) => i.file.endsWith('.png')));
  }
  // --classes: its order is the channel order
  const order = ['star', 'ring', 'circle'];
  const c = await loadDataset(voc, { classes: order });
  assert.equal(c.labels, order);
  assert.equal(c.images[0].classIds.map((k) => c.labels[k]), t.images[0].classIds.map((k) => t.labels[k]));
  await rejects(() => loadDataset(voc, { classes: ['star', 'ring'] }), /Annotations\/t\d+\.xml: object \d+ has unknown class "circle" \(classes: star, ring\)/);
  const ignored = await loadDataset(voc, { classes: ['star', 'ring'], unknownClasses: 'ignore' });
  assert.match(ignored.warnings.join('\n'), new RegExp(`${written.train.byClass.circle} object\\(s\\) of classes not in the class list skipped: circle \\(${written.train.byClass.circle}\\)`));
  await rejects(() => loadDataset(voc, { split: 'test' }), /ImageSets\/Main\/test\.txt: file not found/);
});

test('no ImageSets: every XML; ImageSets with unknown names only: an Error listing them', async () => {
  const bare = path.join(dir, 'bare');
  await mkdir(path.join(bare, 'ImageSets', 'Main'), { recursive: true });
  for (const sub of ['Annotations', 'JPEGImages']) spawnSync('cp', ['-r', path.join(voc, sub), path.join(bare, sub)]);
  const all = await loadDataset(bare);
  assert.is(all.images.length, 24);
  assert.match(all.description!, /every XML in Annotations\/ \(no ImageSets\/Main\), 24 images/);
  await writeFile(path.join(bare, 'ImageSets', 'Main', 'fold1.txt'), 't0001\n');
  await rejects(() => loadDataset(bare), /ImageSets\/Main: none of trainval\.txt, train\.txt, val\.txt, test\.txt \(found fold1\.txt\): name the split with --split NAME/);
  assert.is((await loadDataset(bare, { split: 'fold1' })).images.length, 1);
});

test('trains and evaluates with no extra flags; the same with --classes', async () => {
  const common = { data: voc, val: voc, arch: 'centernet-tiny', inputSize: [64, 64] as [number, number], batch: 4, steps: 3, lr: 2e-3, workers: 0, backend: 'wasm', valEvery: 1000 };
  const lines: string[] = [];
  const r = await train({ ...common, out: path.join(dir, 'run'), log: (l: string) => lines.push(l) });
  assert.ok(lines.some((l) => /--data VOC .*split "train"/.test(l)), lines.join('\n'));
  const labels = readModelFile(new Uint8Array(await readFile(r.modelFile!))).config.labels;
  assert.equal(labels, Object.keys(written.train.byClass).sort());
  const e = cli('eval', '--model', r.modelFile!, '--data', voc, '--json');
  assert.is(e.code, 0, e.stderr);
  assert.match(e.stderr, /split "val" \(ImageSets\/Main\/val\.txt\), 8 images/);
  assert.is(JSON.parse(e.stdout).images, 8);

  const classesFile = path.join(dir, 'classes.txt');
  await writeFile(classesFile, 'star\nring\ncircle\n');
  const r2 = await train({ ...common, out: path.join(dir, 'run2'), classes: ['star', 'ring', 'circle'], log: () => undefined });
  assert.equal(readModelFile(new Uint8Array(await readFile(r2.modelFile!))).config.labels, ['star', 'ring', 'circle']);
  const e2 = cli('eval', '--model', r2.modelFile!, '--data', voc, '--classes', classesFile, '--split', 'val', '--json');
  assert.is(e2.code, 0, e2.stderr);
  assert.is(JSON.parse(e2.stdout).images, 8);
});

test('a class in the XML that the model lacks: an Error naming it, or dropped with a warning when asked', async () => {
  const extra = path.join(voc, 'Annotations', 'v0001.xml');
  const xml = await readFile(extra, 'utf8');
  await writeFile(extra, xml.replace('</annotation>', '  <object><name>dragon</name><difficult>0</difficult><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>9</xmax><ymax>9</ymax></bndbox></object>\n</annotation>'));
  try {
    const e = cli('eval', '--model', MODEL, '--data', voc);
    assert.is(e.code, 1);
    assert.match(e.stderr, /dataset category \d+ "dragon" has 1 object\(s\) but no model class maps to it/);
    const ok = cli('eval', '--model', MODEL, '--data', voc, '--ignore-unknown-classes', '--json');
    assert.is(ok.code, 0, ok.stderr);
    assert.match(ok.stderr, /warning: 1 object\(s\) of categories the model does not have are left out of the scores: "dragon" \(1\)/);
    const m = JSON.parse(ok.stdout).metrics;
    console.log(`  bundled model on the custom VOC val split (8 images, dragon dropped): AP ${m.AP.toFixed(3)} AP50 ${m.AP50.toFixed(3)}`);
    // with --classes, the loader drops it (the class list is the user's)
    const classesFile = path.join(dir, 'classes.txt');
    const c = cli('eval', '--model', MODEL, '--data', voc, '--classes', classesFile);
    assert.is(c.code, 1);
    assert.match(c.stderr, /v0001\.xml: object \d+ has unknown class "dragon"/);
  } finally {
    await writeFile(extra, xml);
  }
});

test.run();
