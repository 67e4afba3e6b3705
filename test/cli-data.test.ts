// `anchorless data DIR` on a COCO, a VOC and a YOLO folder: the printed counts against counts taken
// from the files themselves (annotations.json entries, <object> elements, label lines), missing and
// broken image files found, and the SVG picture written (never over an existing file without --force).
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { synthDataset } from '../trainer/data/synth.js';
import type { CocoJson } from '../trainer/data/types.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const VOC_MINI = path.join(root, 'test', 'fixtures', 'data', 'voc-mini');
let dir = '';

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'runtime', 'cli.ts'), ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Summary {
  images: number;
  objects: number;
  classes: number;
  perClass: { name: string; objects: number; images: number; difficult: number; truncated: number }[];
  below2Cells: number;
  model: { stride: number; inputSize: [number, number] };
  files: { missing: string[]; broken: { file: string }[] };
  picture: string;
}

function runData(data: string, out: string, ...extra: string[]): Summary {
  const r = cli('data', data, '--out', out, '--json', ...extra);
  assert.is(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Summary;
}

async function checkPicture(file: string, images: number): Promise<void> {
  const svg = await readFile(file, 'utf8');
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'), svg.slice(0, 80));
  assert.is((svg.match(/<image /g) ?? []).length, images);
  assert.ok(svg.includes('href="data:image/png;base64,iVBORw0KGgo'), 'thumbnails are embedded PNGs');
  assert.ok(svg.includes('2 cells'), 'the cell histogram marks 2 cells');
}

test.before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'anchorless-cli-data-'));
  await synthDataset({ out: path.join(dir, 'coco'), train: 10, val: 0, size: 96, seed: 4 });
  await synthDataset({ out: path.join(dir, 'yolo'), train: 10, val: 6, size: 96, seed: 4, format: 'yolo' });
});
test.after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('COCO folder: counts from annotations.json; a missing and a broken image are reported', async () => {
  const coco = path.join(dir, 'coco', 'train');
  const json = JSON.parse(await readFile(path.join(coco, 'annotations.json'), 'utf8')) as CocoJson;
  await unlink(path.join(coco, 'images', json.images[9].file_name));
  await writeFile(path.join(coco, 'images', json.images[8].file_name), 'not a png');
  const out = path.join(dir, 'coco.svg');
  const s = runData(coco, out);
  assert.is(s.images, json.images.length);
  assert.is(s.objects, json.annotations.length);
  assert.is(s.classes, json.categories.length);
  for (const c of json.categories) {
    const anns = json.annotations.filter((a) => a.category_id === c.id);
    const row = s.perClass.find((p) => p.name === c.name)!;
    assert.is(row.objects, anns.length, c.name);
    assert.is(row.images, new Set(anns.map((a) => a.image_id)).size, c.name);
  }
  assert.equal(s.files.missing.map((f) => path.basename(f)), [json.images[9].file_name]);
  assert.equal(s.files.broken.map((f) => path.basename(f.file)), [json.images[8].file_name]);
  // the bundled model: 128 px input, stride 4; 96 px images are scaled by 128/96 before the stride
  assert.equal([s.model.inputSize, s.model.stride], [[128, 128], 4]);
  const small = json.annotations.filter((a) => (Math.min(a.bbox[2], a.bbox[3]) * 128) / 96 / 4 < 2).length;
  assert.is(s.below2Cells, small);
  await checkPicture(out, Math.min(8, json.images.filter((im, k) => k < 8 && json.annotations.some((a) => a.image_id === im.id)).length));
  // an existing picture is kept unless --force
  const again = cli('data', coco, '--out', out);
  assert.is(again.code, 1);
  assert.match(again.stderr, /data: --out .*coco\.svg: already exists \(add --force to overwrite it\)/);
  const forced = cli('data', coco, '--out', out, '--force', '--arch', 'centernet-tiny', '--input-size', '96');
  assert.is(forced.code, 0, forced.stderr);
  assert.match(forced.stdout, /images {3}10 \(\d+ without objects\)/);
  assert.match(forced.stdout, /files: 1 missing, 1 broken, 0 with another size than annotated/);
  assert.match(forced.stdout, /centernet-tiny, input 96x96, stride 4/);
});

test('VOC folder: counts from the <object> elements, difficult and truncated flags', async () => {
  const ids = (await readFile(path.join(VOC_MINI, 'ImageSets', 'Main', 'trainval.txt'), 'utf8')).split(/\s+/).filter(Boolean);
  const xmls = await Promise.all(ids.map((id) => readFile(path.join(VOC_MINI, 'Annotations', `${id}.xml`), 'utf8')));
  const objects = xmls.flatMap((x) => [...x.matchAll(/<object>([\s\S]*?)<\/object>/g)].map((m) => m[1]));
  const out = path.join(dir, 'voc.svg');
  const s = runData(VOC_MINI, out);
  assert.is(s.images, ids.length);
  assert.is(s.objects, objects.length);
  const names = [...new Set(objects.map((o) => /<name>(\w+)<\/name>/.exec(o)![1]))].sort();
  assert.equal(s.perClass.map((c) => c.name), names);
  assert.is(s.perClass.reduce((a, c) => a + c.difficult, 0), objects.filter((o) => /<difficult>1</.test(o)).length);
  assert.is(s.perClass.reduce((a, c) => a + c.truncated, 0), objects.filter((o) => /<truncated>1</.test(o)).length);
  await checkPicture(out, ids.length);
});

test('YOLO folder (synth --format yolo): counts from the label lines, per split', async () => {
  const yolo = path.join(dir, 'yolo');
  for (const split of ['train', 'val']) {
    const labelDir = path.join(yolo, 'labels', split);
    const lines = (await Promise.all((await readdir(labelDir)).map((f) => readFile(path.join(labelDir, f), 'utf8')))).flatMap((t) => t.split('\n').filter(Boolean));
    const out = path.join(dir, `yolo-${split}.svg`);
    const s = runData(yolo, out, '--split', split, '--images', '3');
    assert.is(s.images, (await readdir(path.join(yolo, 'images', split))).length);
    assert.is(s.objects, lines.length);
    s.perClass.forEach((c, k) => assert.is(c.objects, lines.filter((l) => l.startsWith(`${k} `)).length, c.name));
    await checkPicture(out, 3);
  }
  const bad = cli('data', yolo, '--out', path.join(dir, 'x.svg'), '--colour');
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /data: unknown option --colour \(options: --split, /);
});

test.run();
