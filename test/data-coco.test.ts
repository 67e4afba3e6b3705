// COCO-format dataset folders: conversion to the in-memory form (channels by sorted category id,
// [x, y, w, h] -> [x1, y1, x2, y2], crowd kept), and errors that name the file and the entry.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rejects } from './helpers/rejects.js';
import { loadCocoDataset } from '../trainer/data/coco.js';
import { encodePngRGB } from '../trainer/data/image-io.js';
import type { CocoJson } from '../trainer/data/types.js';

const base = (): CocoJson => ({
  images: [
    { id: 7, file_name: 'a.png', width: 40, height: 30 },
    { id: 3, file_name: 'b.png', width: 40, height: 30 },
  ],
  // listed out of id order on purpose: channels follow ascending category id
  categories: [{ id: 18, name: 'dog' }, { id: 1, name: 'person' }],
  annotations: [
    { id: 1, image_id: 7, category_id: 18, bbox: [2, 3, 10, 5], area: 42, iscrowd: 0 },
    { id: 2, image_id: 7, category_id: 1, bbox: [0, 0, 40, 30], area: 900, iscrowd: 1 },
    { id: 3, image_id: 3, category_id: 1, bbox: [10.5, 4.25, 5, 6], area: 30 },
  ],
});

async function folder(json: CocoJson | string, files = ['a.png', 'b.png']): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'anchorless-coco-'));
  await mkdir(path.join(dir, 'images'));
  const png = await encodePngRGB({ data: new Uint8Array(40 * 30 * 3), width: 40, height: 30 });
  for (const f of files) await writeFile(path.join(dir, 'images', f), png);
  await writeFile(path.join(dir, 'annotations.json'), typeof json === 'string' ? json : JSON.stringify(json));
  return dir;
}

test('loads images, boxes, channels and crowd flags', async () => {
  const dir = await folder(base());
  try {
    const ds = await loadCocoDataset(dir);
    assert.equal(ds.categoryIds, [1, 18]);
    assert.equal(ds.labels, ['person', 'dog']);
    assert.equal(ds.images.map((i) => i.id), [7, 3]);
    const [a, b] = ds.images;
    assert.is(a.file, path.join(dir, 'images', 'a.png'));
    // [2, 3, 10, 5] -> [2, 3, 12, 8]; dog is channel 1, person channel 0
    assert.equal(a.boxes, [[2, 3, 12, 8], [0, 0, 40, 30]]);
    assert.equal(a.classIds, [1, 0]);
    assert.equal(a.iscrowd, [false, true]);
    assert.equal(a.areas, [42, 900]);
    assert.equal(b.boxes, [[10.5, 4.25, 15.5, 10.25]]);
    assert.equal(b.iscrowd, [false]);
    assert.equal(ds.warnings, []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('degenerate boxes are skipped with a warning; sub-pixel overshoot is clipped', async () => {
  const json = base();
  json.annotations.push({ id: 4, image_id: 3, category_id: 18, bbox: [5, 5, 0, 4], area: 0 });
  json.annotations.push({ id: 5, image_id: 3, category_id: 18, bbox: [30, 20, 10.4, 10.2], area: 100 });
  const dir = await folder(json);
  try {
    const ds = await loadCocoDataset(dir);
    assert.is(ds.warnings.length, 1);
    assert.match(ds.warnings[0], /annotations\[3\] \(id 4\): degenerate bbox/);
    assert.equal(ds.images[1].boxes, [[10.5, 4.25, 15.5, 10.25], [30, 20, 40, 30]]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('errors name the file and what is wrong', async () => {
  const cases: [CocoJson | string, RegExp, string[]?][] = [
    ['{"images": [', /annotations\.json: invalid JSON/],
    ['[]', /annotations\.json: expected a JSON object/],
    [{ ...base(), annotations: 5 as never }, /annotations\.json: "annotations" must be an array/],
    [(() => { const j = base(); j.annotations[0].bbox = [35, 3, 10, 5]; return j; })(), /annotations\.json: annotations\[0\] \(id 1\): bbox \[35,3,10,5\] extends outside image 7 \(40x30\)/],
    [(() => { const j = base(); j.annotations[2].category_id = 99; return j; })(), /annotations\.json: annotations\[2\] \(id 3\): unknown category_id 99 \(categories: 1, 18\)/],
    [(() => { const j = base(); j.annotations[2].image_id = 99; return j; })(), /annotations\[2\] \(id 3\): image_id 99 is not in "images"/],
    [(() => { const j = base(); j.annotations[2].id = 1; return j; })(), /annotations\[2\] \(id 1\): duplicate annotation id/],
    [(() => { const j = base(); j.annotations[0].bbox = [1, 2, 3] as never; return j; })(), /annotations\[0\] \(id 1\): bbox must be \[x, y, w, h\]/],
    [(() => { const j = base(); j.images[1].width = 0; return j; })(), /images\[1\] \(id 3\): width and height must be positive integers/],
    [base(), /annotations\.json: 1 image file\(s\) missing, e\.g\. .*images\/b\.png/, ['a.png']],
  ];
  for (const [json, re, files] of cases) {
    const dir = await folder(json, files);
    try {
      await rejects(() => loadCocoDataset(dir), re);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  await rejects(() => loadCocoDataset('/nonexistent/dataset'), /\/nonexistent\/dataset: dataset folder not found/);
  const empty = await mkdtemp(path.join(tmpdir(), 'anchorless-coco-'));
  await rejects(() => loadCocoDataset(empty), /annotations\.json: file not found \(a COCO dataset folder holds annotations\.json and images\/\)/);
  await rm(empty, { recursive: true, force: true });
});

test('standard COCO layout through annotationsFile / imagesDir; checkFiles: false', async () => {
  const dir = await folder(base(), []);
  try {
    const ds = await loadCocoDataset('unused', { annotationsFile: path.join(dir, 'annotations.json'), imagesDir: '/elsewhere', checkFiles: false });
    assert.is(ds.images[0].file, '/elsewhere/a.png');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
