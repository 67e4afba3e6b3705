// Pascal VOC datasets: `<dir>/Annotations/<id>.xml`, `<dir>/JPEGImages/<id>.jpg`,
// `<dir>/ImageSets/Main/<split>.txt` (one id per line), read into the same in-memory form as COCO.
// Folders made with labelImg, CVAT and the like often have their own splits (train.txt, val.txt) or
// no ImageSets at all (then every XML in Annotations/ is read), and their own classes.
//
// Coordinates: VOC boxes are 1-based inclusive pixel indices (pixel i covers [i-1, i) in continuous
// 0-based coordinates), so a box (xmin, ymin, xmax, ymax) becomes the continuous box
// [xmin - 1, ymin - 1, xmax, ymax]: its width xmax - xmin + 1 is the devkit's "+1" width, and
// nothing downstream adds 1 again. Boxes up to 1 px past the border are clipped; further is an error.
// Channels follow `classes` (default: the 20 VOC classes in the devkit's order; 'auto': the sorted
// names found in the XML files); category ids are channel + 1. "difficult" flags are kept in
// `difficult` (VOC evaluation ignores those objects), "truncated" flags in `truncated`.
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { readImageSize } from './image-io.js';
import type { BoxXYXY, Dataset, DatasetImage } from './types.js';

export const VOC_CLASSES: readonly string[] = Object.freeze([
  'aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat', 'chair', 'cow',
  'diningtable', 'dog', 'horse', 'motorbike', 'person', 'pottedplant', 'sheep', 'sofa', 'train', 'tvmonitor',
]);

/** Which split a folder's ImageSets/Main/ offers first, by use: training prefers trainval, evaluation test. */
export const VOC_SPLIT_ORDER = {
  train: ['trainval', 'train', 'val', 'test'],
  eval: ['test', 'val', 'trainval', 'train'],
} as const;

export interface LoadVocOptions {
  /** ImageSets/Main/<split>.txt; default: the first of VOC_SPLIT_ORDER[role] that exists, or every XML when there is no ImageSets/Main. */
  split?: string;
  /** What the split is for when none is named (default 'train'). */
  role?: 'train' | 'eval';
  /** Class names in channel order, or 'auto' for the sorted names found in the split. Default VOC_CLASSES. */
  classes?: readonly string[] | 'auto';
  /** An object whose class is not in `classes`: an Error (default), or 'ignore': skipped, with one warning. */
  unknownClasses?: 'error' | 'ignore';
  /** Check that every image file exists (default true). */
  checkFiles?: boolean;
}

/** A parsed XML element: name, text content (direct text only, trimmed) and child elements. */
export interface XmlElement {
  name: string;
  text: string;
  children: XmlElement[];
}

export interface VocObject {
  name: string;
  difficult: boolean;
  truncated: boolean;
  /** As written in the file: 1-based inclusive pixel indices. */
  bndbox: { xmin: number; ymin: number; xmax: number; ymax: number };
}

export interface VocAnnotation {
  filename?: string;
  /** Absent when the file has no usable <size>. */
  size?: { width: number; height: number };
  objects: VocObject[];
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(s: string, where: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (m, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      // beyond Unicode (String.fromCodePoint would throw a RangeError): a corrupt file
      if (!(code <= 0x10ffff)) throw new Error(`${where}: malformed XML: character reference ${m} is not a Unicode code point`);
      return String.fromCodePoint(code);
    }
    return ENTITIES[e] ?? m;
  });
}

/**
 * A small tolerant XML parser for annotation files: elements, text, attributes (skipped), comments,
 * processing instructions, CDATA and self-closing tags. Mismatched tags are an Error naming `where`.
 */
export function parseXml(xml: string, where: string): XmlElement {
  const root: XmlElement = { name: '#document', text: '', children: [] };
  const stack: XmlElement[] = [root];
  const tag = /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!\[CDATA\[([\s\S]*?)\]\]>|<!DOCTYPE[^>]*>|<\/\s*([^\s>]+)\s*>|<([^\s/>!?]+)((?:\s+[^\s=/>]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+))?)*)\s*(\/?)>/g;
  let last = 0;
  let m: RegExpExecArray | null;
  const addText = (t: string) => {
    stack[stack.length - 1].text += t;
  };
  while ((m = tag.exec(xml)) !== null) {
    addText(decodeEntities(xml.slice(last, m.index), where));
    last = tag.lastIndex;
    if (m[1] !== undefined) {
      addText(m[1]);
    } else if (m[2] !== undefined) {
      const open = stack.pop()!;
      if (open === root || open.name !== m[2]) {
        throw new Error(`${where}: malformed XML: </${m[2]}> closes <${open === root ? '(nothing)' : open.name}> near offset ${m.index}`);
      }
      open.text = open.text.trim();
    } else if (m[3] !== undefined) {
      const el: XmlElement = { name: m[3], text: '', children: [] };
      stack[stack.length - 1].children.push(el);
      if (m[5] !== '/') stack.push(el);
    }
  }
  const rest = xml.slice(last);
  if (rest.includes('<')) throw new Error(`${where}: malformed XML near offset ${last}`);
  if (stack.length !== 1) throw new Error(`${where}: malformed XML: <${stack[stack.length - 1].name}> is never closed`);
  return root;
}

const child = (el: XmlElement, name: string): XmlElement | undefined => el.children.find((c) => c.name === name);

/** Parses one VOC annotation XML (the subset we use: filename, size, object/name/difficult/bndbox). */
export function parseVocXml(xml: string, where: string): VocAnnotation {
  const doc = parseXml(xml, where);
  const ann = child(doc, 'annotation');
  if (!ann) throw new Error(`${where}: no <annotation> root element`);
  const num = (parent: XmlElement, name: string, ctx: string): number => {
    const el = child(parent, name);
    const v = el ? Number(el.text) : NaN;
    if (!el || el.text === '' || !Number.isFinite(v)) throw new Error(`${where}: ${ctx}<${name}> must be a number, got ${el ? JSON.stringify(el.text) : 'nothing'}`);
    return v;
  };
  const sizeEl = child(ann, 'size');
  let size: VocAnnotation['size'];
  if (sizeEl && child(sizeEl, 'width') && child(sizeEl, 'height')) {
    const width = num(sizeEl, 'width', '<size>');
    const height = num(sizeEl, 'height', '<size>');
    // some converted datasets write 0 here: treat as unknown and read the image header instead
    if (width > 0 && height > 0) size = { width, height };
  }
  const objects: VocObject[] = ann.children
    .filter((c) => c.name === 'object')
    .map((o, n) => {
      const ctx = `object ${n + 1} `;
      const nameEl = child(o, 'name');
      if (!nameEl || nameEl.text === '') throw new Error(`${where}: ${ctx}has no <name>`);
      // only the object's own <bndbox>: person-layout <part>s carry their own
      const bb = child(o, 'bndbox');
      if (!bb) throw new Error(`${where}: ${ctx}(${nameEl.text}) has no <bndbox>`);
      const flag = (name: string) => {
        const el = child(o, name);
        return el !== undefined && Number(el.text) === 1;
      };
      return {
        name: nameEl.text,
        difficult: flag('difficult'),
        truncated: flag('truncated'),
        bndbox: { xmin: num(bb, 'xmin', ctx), ymin: num(bb, 'ymin', ctx), xmax: num(bb, 'xmax', ctx), ymax: num(bb, 'ymax', ctx) },
      };
    });
  const filename = child(ann, 'filename')?.text;
  return { ...(filename ? { filename } : {}), ...(size ? { size } : {}), objects };
}

/** VOC 1-based inclusive pixel box -> continuous [x1, y1, x2, y2] (see the file header). */
export function vocBoxToContinuous(b: VocObject['bndbox']): BoxXYXY {
  return [b.xmin - 1, b.ymin - 1, b.xmax, b.ymax];
}

const BORDER_SLACK = 1;

export async function loadVocDataset(dir: string, options: LoadVocOptions = {}): Promise<Dataset> {
  const checkFiles = options.checkFiles ?? true;
  const unknownClasses = options.unknownClasses ?? 'error';
  const { ids, listFile, splitName } = await vocImageIds(dir, options.split, options.role ?? 'train');

  const parsed: { id: string; xmlFile: string; ann: VocAnnotation }[] = [];
  for (const id of ids) {
    const xmlFile = path.resolve(dir, 'Annotations', `${id}.xml`);
    let xml: string;
    try {
      xml = await readFile(xmlFile, 'utf8');
    } catch {
      throw new Error(`${xmlFile}: file not found${listFile ? ` (listed in ${listFile})` : ''}`);
    }
    parsed.push({ id, xmlFile, ann: parseVocXml(xml, xmlFile) });
  }

  const auto = options.classes === 'auto';
  const classes = auto
    ? [...new Set(parsed.flatMap((p) => p.ann.objects.map((o) => o.name)))].sort()
    : [...((options.classes as readonly string[] | undefined) ?? VOC_CLASSES)];
  if (classes.length === 0) throw new Error(`${dir}: no classes (none given and no objects found)`);
  if (new Set(classes).size !== classes.length) throw new Error(`classes: duplicate names in ${JSON.stringify(classes)}`);
  const channelOf = new Map(classes.map((c, i) => [c, i]));

  const images: DatasetImage[] = [];
  const skipped = new Map<string, number>();
  for (const { id, xmlFile, ann } of parsed) {
    const file = await imageFileFor(dir, id, ann, checkFiles, xmlFile);
    const size = ann.size ?? (await readImageSize(file));
    const img: DatasetImage = { id, file, width: size.width, height: size.height, boxes: [], classIds: [], iscrowd: [], difficult: [], truncated: [], areas: [] };
    ann.objects.forEach((o, n) => {
      const channel = channelOf.get(o.name);
      if (channel === undefined) {
        if (unknownClasses === 'ignore') return void skipped.set(o.name, (skipped.get(o.name) ?? 0) + 1);
        throw new Error(`${xmlFile}: object ${n + 1} has unknown class "${o.name}" (classes: ${classes.join(', ')})`);
      }
      const [x1, y1, x2, y2] = vocBoxToContinuous(o.bndbox);
      if (x2 <= x1 || y2 <= y1) throw new Error(`${xmlFile}: object ${n + 1} (${o.name}) has an empty box ${JSON.stringify(o.bndbox)}`);
      if (x1 < -BORDER_SLACK || y1 < -BORDER_SLACK || x2 > size.width + BORDER_SLACK || y2 > size.height + BORDER_SLACK) {
        throw new Error(`${xmlFile}: object ${n + 1} (${o.name}) box ${JSON.stringify(o.bndbox)} extends outside the ${size.width}x${size.height} image`);
      }
      const box: BoxXYXY = [Math.max(0, x1), Math.max(0, y1), Math.min(size.width, x2), Math.min(size.height, y2)];
      img.boxes.push(box);
      img.classIds.push(channel);
      img.iscrowd.push(false);
      img.difficult.push(o.difficult);
      img.truncated!.push(o.truncated);
      img.areas.push((box[2] - box[0]) * (box[3] - box[1]));
    });
    images.push(img);
  }
  const warnings: string[] = [];
  if (skipped.size > 0) {
    const total = [...skipped.values()].reduce((a, b) => a + b, 0);
    warnings.push(`${dir}: ${total} object(s) of classes not in the class list skipped: ${[...skipped].map(([c, k]) => `${c} (${k})`).join(', ')}`);
  }
  const categories = classes.map((name, i) => ({ id: i + 1, name }));
  const where = listFile ? `split "${splitName}" (${path.relative(dir, listFile)})` : 'every XML in Annotations/ (no ImageSets/Main)';
  const classNote = auto ? `${classes.length} classes named in the XML files (sorted)` : `${classes.length} classes`;
  const description = `VOC ${dir}: ${where}, ${images.length} images; ${classNote}: ${classes.join(', ')}`;
  return { images, categories, categoryIds: categories.map((c) => c.id), labels: classes, warnings, description };
}

/** The ids of a split: ImageSets/Main/<split>.txt, the role's default split, or every XML in Annotations/. */
async function vocImageIds(dir: string, split: string | undefined, role: 'train' | 'eval'): Promise<{ ids: string[]; listFile?: string; splitName: string }> {
  const mainDir = path.resolve(dir, 'ImageSets', 'Main');
  if (split === undefined) {
    const listed = await readdir(mainDir).then((names) => names.filter((n) => n.endsWith('.txt')), () => [] as string[]);
    if (listed.length === 0) return { ids: await allAnnotationIds(dir), splitName: 'all' };
    split = VOC_SPLIT_ORDER[role].find((s) => listed.includes(`${s}.txt`));
    if (split === undefined) {
      throw new Error(`${mainDir}: none of ${VOC_SPLIT_ORDER[role].map((s) => `${s}.txt`).join(', ')} (found ${listed.slice(0, 8).join(', ')}${listed.length > 8 ? ', ...' : ''}): name the split with --split NAME`);
    }
  }
  const listFile = path.join(mainDir, `${split}.txt`);
  let listText: string;
  try {
    listText = await readFile(listFile, 'utf8');
  } catch {
    throw new Error(`${listFile}: file not found (a VOC folder holds Annotations/, JPEGImages/ and ImageSets/Main/<split>.txt)`);
  }
  // first token per line (class-specific lists carry a second column)
  const ids = listText.split(/\r?\n/).map((l) => l.trim().split(/\s+/)[0]).filter((s) => s !== '');
  if (ids.length === 0) throw new Error(`${listFile}: no image ids`);
  return { ids, listFile, splitName: split };
}

async function allAnnotationIds(dir: string): Promise<string[]> {
  const annDir = path.resolve(dir, 'Annotations');
  const names = await readdir(annDir).catch(() => {
    throw new Error(`${annDir}: folder not found (a VOC folder holds Annotations/ and JPEGImages/)`);
  });
  const ids = names.filter((n) => n.toLowerCase().endsWith('.xml')).map((n) => n.slice(0, -4)).sort();
  if (ids.length === 0) throw new Error(`${annDir}: no .xml files (and no ImageSets/Main/ split lists)`);
  return ids;
}

const OTHER_IMAGE_EXTENSIONS = ['.jpeg', '.png', '.JPG', '.JPEG', '.PNG', '.bmp', '.webp'];

/** JPEGImages/<id>.jpg as the devkit expects, else the XML's <filename> inside JPEGImages/, else <id> with another extension. */
async function imageFileFor(dir: string, id: string, ann: VocAnnotation, checkFiles: boolean, xmlFile: string): Promise<string> {
  const byId = path.resolve(dir, 'JPEGImages', `${id}.jpg`);
  if (!checkFiles && ann.size) return byId;
  const isFile = (f: string) => stat(f).then((s) => s.isFile(), () => false);
  if (await isFile(byId)) return byId;
  if (ann.filename) {
    const byName = path.resolve(dir, 'JPEGImages', ann.filename);
    if (await isFile(byName)) return byName;
  }
  // labelImg and CVAT exports keep the image's own extension
  for (const ext of OTHER_IMAGE_EXTENSIONS) {
    const f = path.resolve(dir, 'JPEGImages', `${id}${ext}`);
    if (await isFile(f)) return f;
  }
  throw new Error(`${xmlFile}: image file not found: ${byId}${ann.filename ? ` (nor JPEGImages/${ann.filename})` : ''}`);
}
