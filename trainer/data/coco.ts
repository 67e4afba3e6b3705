// COCO-format datasets: a folder with `annotations.json` (COCO instances JSON, bbox subset) and
// `images/` (the files its `file_name`s name), the format `anchorless synth` writes and the trainer
// reads. The standard COCO layout (annotations/instances_val2017.json + val2017/) loads through
// the `annotationsFile` / `imagesDir` options.
//
// Channels: categories sorted by id; channel c is categoryIds[c]. Boxes become [x1, y1, x2, y2]
// (x1 = x, x2 = x + w: continuous coordinates, COCO has no "+1"). Crowd annotations are kept with
// iscrowd = true (the trainer ignores them for targets; evaluation uses them as ignore regions).
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { BoxXYXY, CocoCategory, CocoJson, Dataset, DatasetImage, ImageId } from './types.js';

export interface LoadCocoOptions {
  /** Default `<dir>/annotations.json`. */
  annotationsFile?: string;
  /** Default `<dir>/images`. */
  imagesDir?: string;
  /** Check that every image file exists (default true). */
  checkFiles?: boolean;
}

/**
 * How far (pixels) a box may extend past the image border before it is an error: real COCO has
 * boxes a fraction of a pixel outside from float rounding. Boxes within the slack are clipped.
 */
const BORDER_SLACK = 1;

/** Reads and parses a COCO JSON file; errors name the file. Structure is checked by loadCocoDataset. */
export async function readCocoJson(file: string): Promise<CocoJson> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `${file}: file not found` : `${file}: cannot read (${(e as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: invalid JSON (${(e as Error).message})`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new Error(`${file}: expected a JSON object with images, annotations and categories`);
  for (const field of ['images', 'annotations', 'categories']) {
    if (!Array.isArray((json as Record<string, unknown>)[field])) throw new Error(`${file}: "${field}" must be an array`);
  }
  return json as CocoJson;
}

export async function loadCocoDataset(dir: string, options: LoadCocoOptions = {}): Promise<Dataset> {
  const annFile = path.resolve(options.annotationsFile ?? path.join(dir, 'annotations.json'));
  const imagesDir = path.resolve(options.imagesDir ?? path.join(dir, 'images'));
  const checkFiles = options.checkFiles ?? true;
  const dirInfo = await stat(dir).catch(() => undefined);
  if (!dirInfo?.isDirectory() && options.annotationsFile === undefined) throw new Error(`${dir}: dataset folder not found`);
  const json = await readCocoJson(annFile).catch((e: Error) => {
    if (/file not found$/.test(e.message)) throw new Error(`${annFile}: file not found (a COCO dataset folder holds annotations.json and images/)`);
    throw e;
  });
  const fail = (msg: string): never => {
    throw new Error(`${annFile}: ${msg}`);
  };

  // categories -> channels in ascending id order
  const categories: CocoCategory[] = [];
  json.categories.forEach((c, n) => {
    if (c === null || typeof c !== 'object') fail(`categories[${n}] is not an object`);
    if (typeof c.id !== 'number' || !Number.isFinite(c.id)) fail(`categories[${n}].id must be a number, got ${JSON.stringify(c.id)}`);
    if (typeof c.name !== 'string') fail(`categories[${n}] (id ${c.id}).name must be a string`);
    if (categories.some((o) => o.id === c.id)) fail(`categories[${n}].id ${c.id} is a duplicate`);
    categories.push({ id: c.id, name: c.name, ...(c.supercategory !== undefined ? { supercategory: c.supercategory } : {}) });
  });
  if (categories.length === 0) fail('"categories" is empty');
  categories.sort((a, b) => a.id - b.id);
  const channelOf = new Map<number, number>(categories.map((c, i) => [c.id, i]));

  const images: DatasetImage[] = [];
  const byId = new Map<ImageId, DatasetImage>();
  json.images.forEach((img, n) => {
    if (img === null || typeof img !== 'object') fail(`images[${n}] is not an object`);
    const where = `images[${n}] (id ${JSON.stringify(img.id)})`;
    if (!(typeof img.id === 'string' || (typeof img.id === 'number' && Number.isFinite(img.id)))) fail(`images[${n}].id must be a number or string`);
    if (byId.has(img.id)) fail(`${where}: duplicate image id`);
    if (typeof img.file_name !== 'string' || img.file_name === '') fail(`${where}: file_name must be a non-empty string`);
    if (!Number.isInteger(img.width) || !Number.isInteger(img.height) || img.width < 1 || img.height < 1) {
      fail(`${where}: width and height must be positive integers, got ${JSON.stringify(img.width)}x${JSON.stringify(img.height)}`);
    }
    const entry: DatasetImage = {
      id: img.id,
      file: path.resolve(imagesDir, img.file_name),
      width: img.width,
      height: img.height,
      boxes: [],
      classIds: [],
      iscrowd: [],
      difficult: [],
      areas: [],
    };
    images.push(entry);
    byId.set(img.id, entry);
  });

  const warnings: string[] = [];
  const annIds = new Set<number>();
  json.annotations.forEach((ann, n) => {
    if (ann === null || typeof ann !== 'object') fail(`annotations[${n}] is not an object`);
    const where = `annotations[${n}] (id ${JSON.stringify(ann.id)})`;
    if (typeof ann.id !== 'number' || !Number.isFinite(ann.id)) fail(`annotations[${n}].id must be a number, got ${JSON.stringify(ann.id)}`);
    if (annIds.has(ann.id)) fail(`${where}: duplicate annotation id`);
    annIds.add(ann.id);
    const img = byId.get(ann.image_id);
    if (!img) fail(`${where}: image_id ${JSON.stringify(ann.image_id)} is not in "images"`);
    const channel = channelOf.get(ann.category_id);
    if (channel === undefined) fail(`${where}: unknown category_id ${JSON.stringify(ann.category_id)} (categories: ${categories.map((c) => c.id).join(', ')})`);
    const b = ann.bbox;
    if (!Array.isArray(b) || b.length !== 4 || !b.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      fail(`${where}: bbox must be [x, y, w, h] of finite numbers, got ${JSON.stringify(b)}`);
    }
    const [x, y, w, h] = b;
    if (w < 0 || h < 0) fail(`${where}: bbox has negative width or height: ${JSON.stringify(b)}`);
    const { width, height } = img!;
    if (x < -BORDER_SLACK || y < -BORDER_SLACK || x + w > width + BORDER_SLACK || y + h > height + BORDER_SLACK) {
      fail(`${where}: bbox ${JSON.stringify(b)} extends outside image ${JSON.stringify(img!.id)} (${width}x${height})`);
    }
    const box: BoxXYXY = [Math.max(0, x), Math.max(0, y), Math.min(width, x + w), Math.min(height, y + h)];
    if (box[2] <= box[0] || box[3] <= box[1]) {
      warnings.push(`${annFile}: ${where}: degenerate bbox ${JSON.stringify(b)} skipped`);
      return;
    }
    const area = ann.area === undefined ? w * h : ann.area;
    if (typeof area !== 'number' || !Number.isFinite(area) || area < 0) fail(`${where}: area must be a non-negative number, got ${JSON.stringify(ann.area)}`);
    img!.boxes.push(box);
    img!.classIds.push(channel!);
    img!.iscrowd.push(Boolean(ann.iscrowd));
    img!.difficult.push(false);
    img!.areas.push(area);
  });

  if (checkFiles) await checkImageFiles(images, annFile);
  return { images, categories, categoryIds: categories.map((c) => c.id), labels: categories.map((c) => c.name), warnings };
}

/** Every image file must exist; the error names the first few missing ones and the count. */
async function checkImageFiles(images: DatasetImage[], annFile: string): Promise<void> {
  const missing: string[] = [];
  const batch = 64;
  for (let i = 0; i < images.length; i += batch) {
    const slice = images.slice(i, i + batch);
    const found = await Promise.all(slice.map((img) => stat(img.file).then((s) => s.isFile(), () => false)));
    found.forEach((ok, j) => {
      if (!ok) missing.push(slice[j].file);
    });
  }
  if (missing.length > 0) {
    const shown = missing.slice(0, 3).join(', ');
    throw new Error(`${annFile}: ${missing.length} image file(s) missing, e.g. ${shown}`);
  }
}
