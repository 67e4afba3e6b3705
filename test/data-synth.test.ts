// The synthetic dataset: shape geometry against closed-form areas, determinism (byte-identical
// files for one seed), objects really drawn (compared with the same scene rendered without them),
// the written folder loads as a COCO dataset, and an existing folder is never silently replaced.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rejects } from './helpers/rejects.js';
import { loadCocoDataset } from '../trainer/data/coco.js';
import { readImageRGB } from '../trainer/data/image-io.js';
import { mixSeed, renderScene } from '../trainer/data/synth-scene.js';
import { rasterizeShape, SHAPE_NAMES } from '../trainer/data/synth-shapes.js';
import { synthDataset } from '../trainer/data/synth.js';
import type { CocoJson } from '../trainer/data/types.js';

const tmp = () => mkdtemp(path.join(tmpdir(), 'anchorless-synth-'));

async function filesOf(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) {
      const full = path.join(e.parentPath, e.name);
      out.set(path.relative(dir, full), await readFile(full));
    }
  }
  return out;
}

test('shape areas match their closed forms (radius 40, within 2%)', () => {
  // circumscribed radius r = 40, so areas in units of r^2 = 1600:
  //   circle pi; square (side sqrt2 r) 2; equilateral triangle 3*sqrt3/4;
  //   plus: two 0.6 x 2*sqrt(1-0.09) bars minus their 0.6 x 0.6 overlap = 1.2*sqrt(0.91)*2 - 0.36;
  //   ring pi * (1 - 0.55^2); star: 10 triangles of sides 1 and 0.45 at 36 degrees = 5 * 0.45 * sin 36deg
  const r2 = 1600;
  const expected: Record<string, number> = {
    circle: Math.PI,
    square: 2,
    triangle: (3 * Math.sqrt(3)) / 4,
    plus: 2.4 * Math.sqrt(0.91) - 0.36,
    ring: Math.PI * (1 - 0.55 * 0.55),
    star: 5 * 0.45 * Math.sin(Math.PI / 5),
  };
  for (const shape of SHAPE_NAMES) {
    const n = rasterizeShape({ shape, cx: 50, cy: 50, radius: 40, angle: 0.3 }, 100, 100).length;
    const want = expected[shape] * r2;
    assert.ok(Math.abs(n - want) / want < 0.02, `${shape}: ${n} pixels, expected about ${want.toFixed(0)}`);
  }
});

test('circle box and ring hole', () => {
  // circle of radius 10 centred at (20, 20): covers pixel columns 10..29 -> box [10, 10, 30, 30]
  const circle = rasterizeShape({ shape: 'circle', cx: 20, cy: 20, radius: 10, angle: 0 }, 40, 40);
  const xs = Array.from(circle, (p) => p % 40);
  const ys = Array.from(circle, (p) => Math.floor(p / 40));
  assert.equal([Math.min(...xs), Math.min(...ys), Math.max(...xs) + 1, Math.max(...ys) + 1], [10, 10, 30, 30]);
  const ring = new Set(rasterizeShape({ shape: 'ring', cx: 20, cy: 20, radius: 10, angle: 0 }, 40, 40));
  assert.not.ok(ring.has(19 * 40 + 19), 'the pixel at the centre is in the hole');
  assert.ok(ring.has(19 * 40 + 11), 'a pixel near the rim is covered');
});

test('objects are really drawn: only their boxes differ from the same scene without objects', () => {
  for (let i = 0; i < 8; i++) {
    const seed = mixSeed(3, 1, i);
    const size = 64;
    const scene = renderScene(seed, { size, classes: SHAPE_NAMES });
    const bare = renderScene(seed, { size, classes: SHAPE_NAMES, objects: false });
    assert.ok(scene.objects.length >= 1, 'at least one object');
    assert.is(bare.objects.length, 0);
    const inBox = new Uint8Array(size * size);
    for (const o of scene.objects) {
      const [x1, y1, x2, y2] = o.box;
      let changed = 0;
      for (let y = y1; y < y2; y++) {
        for (let x = x1; x < x2; x++) {
          inBox[y * size + x] = 1;
          const p = (y * size + x) * 3;
          const d = Math.hypot(scene.data[p] - bare.data[p], scene.data[p + 1] - bare.data[p + 1], scene.data[p + 2] - bare.data[p + 2]);
          if (d > 30) changed++;
        }
      }
      // contrast is enforced at >= 70 on 90% of the shape's pixels; thin overlay lines may cover a few
      assert.ok(changed >= 1, `image ${i}: object ${JSON.stringify(o)} left no trace`);
      if (o.area >= 30) assert.ok(changed >= 0.5 * o.area, `image ${i}: object ${JSON.stringify(o)}: only ${changed} pixels changed`);
    }
    for (let p = 0; p < size * size; p++) {
      if (inBox[p]) continue;
      for (let c = 0; c < 3; c++) assert.is(scene.data[p * 3 + c], bare.data[p * 3 + c], `image ${i}: pixel ${p} outside every box changed`);
    }
  }
});

test('same seed -> byte-identical dataset; the PNGs hold the rendered pixels; val does not depend on train', async () => {
  const [a, b, c, d] = await Promise.all([tmp(), tmp(), tmp(), tmp()]);
  try {
    await synthDataset({ out: a, train: 4, val: 2, size: 64, seed: 7 });
    await synthDataset({ out: b, train: 4, val: 2, size: 64, seed: 7 });
    const fa = await filesOf(a);
    const fb = await filesOf(b);
    assert.equal([...fa.keys()].sort(), [
      'train/annotations.json', 'train/images/000001.png', 'train/images/000002.png', 'train/images/000003.png',
      'train/images/000004.png', 'val/annotations.json', 'val/images/000001.png', 'val/images/000002.png',
    ]);
    for (const [name, bytes] of fa) assert.ok(bytes.equals(fb.get(name)!), `${name} differs between runs`);

    // the first training image decodes to exactly the scene rendered from its seed (split 1, index 0)
    const img = await readImageRGB(path.join(a, 'train/images/000001.png'));
    const scene = renderScene(mixSeed(7, 1, 0), { size: 64, classes: SHAPE_NAMES });
    assert.ok(Buffer.from(img.data).equals(Buffer.from(scene.data)));

    await synthDataset({ out: c, train: 4, val: 2, size: 64, seed: 8 });
    const fc = await filesOf(c);
    assert.not.ok(fc.get('train/images/000001.png')!.equals(fa.get('train/images/000001.png')!), 'another seed, another image');

    await synthDataset({ out: d, train: 2, val: 2, size: 64, seed: 7 });
    const fd = await filesOf(d);
    assert.ok(fd.get('val/annotations.json')!.equals(fa.get('val/annotations.json')!));
    assert.ok(fd.get('val/images/000002.png')!.equals(fa.get('val/images/000002.png')!));
  } finally {
    await Promise.all([a, b, c, d].map((x) => rm(x, { recursive: true, force: true })));
  }
});

test('annotations: boxes inside the image, valid classes, loads as a COCO dataset', async () => {
  const out = await tmp();
  try {
    const progress: number[] = [];
    const summary = await synthDataset({ out, train: 6, val: 0, size: 64, seed: 11, classes: ['ring', 'star', 'square'], onProgress: (p) => progress.push(p.done) });
    assert.equal(progress, [1, 2, 3, 4, 5, 6]);
    assert.equal(summary.classes, ['ring', 'star', 'square']);
    assert.is(summary.splits.length, 1, 'no val folder for val = 0');
    const json = JSON.parse(await readFile(path.join(out, 'train/annotations.json'), 'utf8')) as CocoJson;
    assert.equal(json.categories.map((c) => [c.id, c.name]), [[1, 'ring'], [2, 'star'], [3, 'square']]);
    assert.is(json.images.length, 6);
    assert.ok(json.annotations.length >= 6, 'at least one object per image');
    for (const a of json.annotations) {
      const [x, y, w, h] = a.bbox;
      assert.ok(x >= 0 && y >= 0 && w > 0 && h > 0 && x + w <= 64 && y + h <= 64, `box ${a.bbox} inside 64x64`);
      assert.ok([1, 2, 3].includes(a.category_id));
      assert.is(a.area, w * h, 'area is the box area, as the VOC and YOLO readers compute it');
      assert.is(a.iscrowd, 0);
    }
    const ds = await loadCocoDataset(path.join(out, 'train'));
    assert.equal(ds.labels, ['ring', 'star', 'square']);
    assert.is(ds.images.reduce((n, im) => n + im.boxes.length, 0), json.annotations.length);
    for (const im of ds.images) for (const c of im.classIds) assert.ok(c >= 0 && c < 3);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});

test('refuses a non-empty output folder unless overwrite, and then keeps unrelated files', async () => {
  const out = await tmp();
  try {
    await writeFile(path.join(out, 'notes.txt'), 'mine');
    await rejects(() => synthDataset({ out, train: 1, val: 1, size: 32 }), new RegExp(`${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: output folder is not empty`));
    await synthDataset({ out, train: 1, val: 1, size: 32, overwrite: true });
    await synthDataset({ out, train: 2, val: 1, size: 32, overwrite: true });
    assert.is(await readFile(path.join(out, 'notes.txt'), 'utf8'), 'mine');
    assert.equal((await readdir(path.join(out, 'train/images'))).sort(), ['000001.png', '000002.png']);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});

test('bad options are errors naming the option', async () => {
  await rejects(() => synthDataset({ out: '/nonexistent/x', classes: ['hexagon'] }), /classes: unknown shape "hexagon"/);
  await rejects(() => synthDataset({ out: '/nonexistent/x', size: 8 }), /size: expected an integer in \[16, 4096\]/);
  await rejects(() => synthDataset({ out: '/nonexistent/x', train: -1 }), /train: expected a non-negative integer/);
  await rejects(() => synthDataset({ out: '' }), /out: an output folder is required/);
});

test.run();
