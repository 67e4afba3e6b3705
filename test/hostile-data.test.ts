// Hostile-input suite: the dataset readers on mutated annotation files. COCO: a field of an image,
// annotation or category replaced by a hostile value, deleted, or duplicated; VOC: XML with a
// cut, an insertion, or a number replaced. Each load ends in a dataset or an Error naming the file.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadCocoDataset } from '../trainer/data/coco.js';
import { loadVocDataset, parseVocXml } from '../trainer/data/voc.js';
import { count, endsCleanly, endsCleanlyAsync, hostileValue, params } from './helpers/hostile.js';

const dir = mkdtempSync(path.join(tmpdir(), 'anchorless-hostile-data-'));

const COCO = {
  images: [
    { id: 1, file_name: 'a.png', width: 64, height: 48 },
    { id: 2, file_name: 'b.png', width: 32, height: 32 },
  ],
  annotations: [
    { id: 1, image_id: 1, category_id: 3, bbox: [2, 3, 10, 12], area: 120, iscrowd: 0 },
    { id: 2, image_id: 2, category_id: 7, bbox: [0, 0, 32, 32], area: 1024, iscrowd: 1 },
    { id: 3, image_id: 1, category_id: 7, bbox: [40.5, 20.25, 5, 5], area: 25 },
  ],
  categories: [
    { id: 3, name: 'cat' },
    { id: 7, name: 'dog', supercategory: 'animal' },
  ],
};

const VOC = `<annotation><folder>VOC</folder><filename>0001.jpg</filename>
<size><width>64</width><height>48</height><depth>3</depth></size>
<object><name>cat</name><difficult>0</difficult><bndbox><xmin>3</xmin><ymin>4</ymin><xmax>20</xmax><ymax>30</ymax></bndbox></object>
<object><name>dog</name><difficult>1</difficult><bndbox><xmin>30</xmin><ymin>10</ymin><xmax>64</xmax><ymax>48</ymax></bndbox></object>
</annotation>`;

type Json = Record<string, unknown>;

const cocoMutation = fc.oneof(
  // one field of one entry replaced or deleted
  fc.tuple(fc.constantFrom('images', 'annotations', 'categories'), fc.nat(3), fc.constantFrom('id', 'file_name', 'width', 'height', 'image_id', 'category_id', 'bbox', 'area', 'iscrowd', 'name'), fc.oneof(hostileValue, fc.constant('<delete>'), fc.constantFrom([1, 2, 3], [0, 0, -1, 5], [1e308, 0, 1, 1], [NaN, 0, 1, 1], 1e9, -5))).map(([list, i, field, v]) => {
    const j = structuredClone(COCO) as unknown as Record<string, Json[]>;
    const entry = j[list][i % j[list].length];
    if (v === '<delete>') delete entry[field];
    else entry[field] = v;
    return j as unknown;
  }),
  // a whole entry replaced, duplicated, or a list replaced
  fc.tuple(fc.constantFrom('images', 'annotations', 'categories'), fc.nat(3), hostileValue).map(([list, i, v]) => {
    const j = structuredClone(COCO) as unknown as Record<string, unknown[]>;
    j[list][i % j[list].length] = v;
    return j as unknown;
  }),
  fc.constantFrom('images', 'annotations', 'categories').map((list) => {
    const j = structuredClone(COCO) as unknown as Record<string, unknown[]>;
    j[list].push(structuredClone(j[list][0]));
    return j as unknown;
  }),
  fc.tuple(fc.constantFrom('images', 'annotations', 'categories'), hostileValue).map(([list, v]) => ({ ...structuredClone(COCO), [list]: v }) as unknown),
  hostileValue,
);

test('COCO: mutated annotations.json', async () => {
  const folder = path.join(dir, 'coco');
  mkdirSync(folder, { recursive: true });
  const file = path.join(folder, 'annotations.json');
  const names = new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `);
  await fc.assert(
    fc.asyncProperty(cocoMutation, fc.boolean(), async (json, asText) => {
      // JSON.stringify drops undefined and functions; sometimes write broken text instead
      const text = asText ? JSON.stringify(json) ?? 'undefined' : `${JSON.stringify(json)}`.slice(0, 40);
      writeFileSync(file, text);
      count('loadCocoDataset', await endsCleanlyAsync(() => loadCocoDataset(folder, { checkFiles: false }), names, 'loadCocoDataset'));
    }),
    params(1000),
  );
  writeFileSync(file, JSON.stringify(COCO));
  assert.is((await loadCocoDataset(folder, { checkFiles: false })).images.length, 2, 'the unmutated file loads');
});

const xmlMutation = fc.oneof(
  fc.tuple(fc.nat(VOC.length), fc.integer({ min: 1, max: 30 })).map(([at, n]) => VOC.slice(0, at) + VOC.slice(at + n)),
  fc.tuple(fc.nat(VOC.length), fc.constantFrom('<', '>', '</object>', '<object>', '&amp;', '&#xFFFFFF;', '&#99999999;', '<![CDATA[', '<!--', '"', '\u0000', 'NaN', '-1e400')).map(([at, s]) => VOC.slice(0, at) + s + VOC.slice(at)),
  fc.tuple(fc.constantFrom('3', '4', '20', '30', '64', '48', '0', '1'), fc.constantFrom('', '-5', 'x', '1e999', '0x10', ' ', '1.5', '999999')).map(([from, to]) => VOC.replace(`>${from}<`, `>${to}<`)),
  fc.string({ maxLength: 200 }),
);

test('VOC: mutated XML through parseVocXml, and some through loadVocDataset', async () => {
  fc.assert(
    fc.property(xmlMutation, (xml) => {
      count('parseVocXml', endsCleanly(() => parseVocXml(xml, 'fuzz.xml'), /^fuzz\.xml: /, 'parseVocXml'));
    }),
    params(1000),
  );
  const folder = path.join(dir, 'voc');
  for (const sub of ['Annotations', 'JPEGImages', path.join('ImageSets', 'Main')]) mkdirSync(path.join(folder, sub), { recursive: true });
  writeFileSync(path.join(folder, 'ImageSets', 'Main', 'trainval.txt'), '0001\n');
  const xmlFile = path.join(folder, 'Annotations', '0001.xml');
  await fc.assert(
    fc.asyncProperty(xmlMutation, async (xml) => {
      writeFileSync(xmlFile, xml);
      count('loadVocDataset', await endsCleanlyAsync(() => loadVocDataset(folder, { classes: ['cat', 'dog'], checkFiles: false }), /0001\.xml|^classes: |JPEGImages/, 'loadVocDataset'));
    }),
    params(200),
  );
});

test.after(() => {
  rmSync(dir, { recursive: true, force: true });
});

test.run();
