// Pascal VOC reading: the tolerant XML parser on a hand-written fixture (comments, attributes,
// CDATA, self-closing tags, person parts), the 1-based -> continuous box convention, and errors.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rejects } from './helpers/rejects.js';
import { loadVocDataset, parseVocXml, parseXml, VOC_CLASSES, vocBoxToContinuous } from '../trainer/data/voc.js';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/data/voc-mini');

test('parses the VOC subset of a real-looking annotation', async () => {
  const xml = await readFile(path.join(root, 'Annotations/000001.xml'), 'utf8');
  const ann = parseVocXml(xml, '000001.xml');
  assert.is(ann.filename, '000001.jpg');
  assert.equal(ann.size, { width: 32, height: 24 });
  assert.equal(ann.objects, [
    { name: 'dog', difficult: false, truncated: true, bndbox: { xmin: 1, ymin: 2, xmax: 10, ymax: 12 } },
    // the <part>'s own bndbox (head) is not taken for the person
    { name: 'person', difficult: true, truncated: false, bndbox: { xmin: 12.5, ymin: 3, xmax: 32, ymax: 24 } },
  ]);
});

test('1-based inclusive pixels -> continuous: (xmin - 1, ymin - 1, xmax, ymax)', () => {
  // a one-pixel box at VOC pixel (1, 1) covers [0, 1) x [0, 1)
  assert.equal(vocBoxToContinuous({ xmin: 1, ymin: 1, xmax: 1, ymax: 1 }), [0, 0, 1, 1]);
  // width = xmax - xmin + 1, the devkit's "+1" width, with no +1 needed later
  assert.equal(vocBoxToContinuous({ xmin: 1, ymin: 2, xmax: 10, ymax: 12 }), [0, 1, 10, 12]);
});

test('XML parser: CDATA, entities, self-closing tags, malformed input', () => {
  const doc = parseXml('<a x="1" y=\'2\'><b>1 &lt; 2 &amp; 3</b><c/><d><![CDATA[<raw>]]></d></a>', 't');
  const a = doc.children[0];
  assert.equal(a.children.map((c) => [c.name, c.text]), [['b', '1 < 2 & 3'], ['c', ''], ['d', '<raw>']]);
  assert.throws(() => parseXml('<a><b></a>', 'bad.xml'), /bad\.xml: malformed XML: <\/a> closes <b>/);
  assert.throws(() => parseXml('<a><b></b>', 'bad.xml'), /bad\.xml: malformed XML: <a> is never closed/);
  assert.throws(() => parseVocXml('<root/>', 'r.xml'), /r\.xml: no <annotation> root element/);
  assert.throws(() => parseVocXml('<annotation><object><name>dog</name></object></annotation>', 'n.xml'), /n\.xml: object 1 \(dog\) has no <bndbox>/);
  assert.throws(
    () => parseVocXml('<annotation><object><name>dog</name><bndbox><xmin>a</xmin><ymin>1</ymin><xmax>2</xmax><ymax>2</ymax></bndbox></object></annotation>', 'v.xml'),
    /v\.xml: object 1 <xmin> must be a number, got "a"/,
  );
});

test('loads a split into the in-memory dataset', async () => {
  const ds = await loadVocDataset(root);
  assert.equal(ds.labels, [...VOC_CLASSES]);
  assert.equal(ds.categoryIds, VOC_CLASSES.map((_, i) => i + 1));
  assert.is(ds.images.length, 2);
  const [a, b] = ds.images;
  assert.is(a.id, '000001');
  assert.is(a.file, path.join(root, 'JPEGImages/000001.jpg'));
  assert.equal([a.width, a.height], [32, 24]);
  // dog: (1, 2, 10, 12) -> [0, 1, 10, 12], area 10 * 11; person: (12.5, 3, 32, 24) -> [11.5, 2, 32, 24], area 20.5 * 22
  assert.equal(a.boxes, [[0, 1, 10, 12], [11.5, 2, 32, 24]]);
  assert.equal(a.classIds, [VOC_CLASSES.indexOf('dog'), VOC_CLASSES.indexOf('person')]);
  assert.equal(a.difficult, [false, true]);
  assert.equal(a.iscrowd, [false, false]);
  assert.equal(a.areas, [110, 451]);
  // 000002 says width/height 0: the size comes from the JPEG header
  assert.equal([b.width, b.height], [32, 24]);
  assert.equal(b.boxes, [[4, 4, 8, 9]]);
  assert.equal(b.classIds, [VOC_CLASSES.indexOf('cat')]);
});

test("classes: custom list and 'auto'", async () => {
  const auto = await loadVocDataset(root, { classes: 'auto' });
  assert.equal(auto.labels, ['cat', 'dog', 'person']);
  assert.equal(auto.images[0].classIds, [1, 2]);
  await rejects(() => loadVocDataset(root, { classes: ['dog', 'person'] }), /000002\.xml: object 1 has unknown class "cat"/);
});

test('errors name the file', async () => {
  await rejects(() => loadVocDataset(root, { split: 'nosuch' }), /ImageSets\/Main\/nosuch\.txt: file not found/);
  await rejects(() => loadVocDataset(root, { split: 'noimage' }), /000003\.xml: image file not found: .*JPEGImages\/000003\.jpg/);
  await rejects(() => loadVocDataset(root, { split: 'unknown' }), /000004\.xml: object 1 has unknown class "dragon"/);
  await rejects(() => loadVocDataset(root, { split: 'outside' }), /000005\.xml: object 1 \(dog\) box .* extends outside the 32x24 image/);
});

test.run();
