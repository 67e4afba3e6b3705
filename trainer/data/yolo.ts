// YOLO-format datasets (what ultralytics, Roboflow, CVAT and labelImg export): one text file per
// image, one object per line, `class cx cy w h` with the centre and size normalised by the image's
// width and height (a polygon line `class x1 y1 x2 y2 ...` is read as its bounding box). The
// label file of `.../images/.../a.jpg` is `.../labels/.../a.txt` (ultralytics' rule), else `a.txt`
// beside the image; an image without one has no objects. Layouts read:
//
//   data.yaml  (path:, train:, val:, test:, names:)  each split a folder of images, a .txt list of
//              image paths, or a list of those; names a list or a {0: a, 1: b} map
//   images/train + labels/train (+ images/val ...), names from classes.txt (or --classes)
//   train/images + train/labels (Roboflow, without its data.yaml)
//   images/ + labels/, or images with their .txt files side by side, + classes.txt
//
// Class c is channel c, category id c + 1. Boxes become continuous [x1, y1, x2, y2] pixels:
// x1 = (cx - w/2) * W; up to 1 px past the border is clipped, further is an Error naming file:line.
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseClassNames } from './classes-file.js';
import { readImageSize } from './image-io.js';
import type { BoxXYXY, Dataset, DatasetImage } from './types.js';
import { parseYamlSubset, type YamlValue } from './yaml-subset.js';

export const YOLO_IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff', '.gif'];
export const YOLO_YAML_NAMES = ['data.yaml', 'data.yml', 'dataset.yaml'];

/** Which split a YOLO folder offers first, by use. */
export const YOLO_SPLIT_ORDER = {
  train: ['train'],
  eval: ['val', 'valid', 'test'],
} as const;

export interface LoadYoloOptions {
  /** A data.yaml key (train, val, test) or a folder name under images/; default by `role`. */
  split?: string;
  /** What the split is for when none is named (default 'train'). */
  role?: 'train' | 'eval';
  /** Class names, when the folder has none (classes.txt, data.yaml names); if it has, they must agree. */
  classes?: readonly string[];
}

const BORDER_SLACK = 1;

const exists = (p: string) => stat(p).then(() => true, () => false);
const isDir = (p: string) => stat(p).then((s) => s.isDirectory(), () => false);
const isImage = (name: string) => YOLO_IMAGE_EXTENSIONS.includes(path.extname(name).toLowerCase());

/** Does this folder (or file) look like a YOLO dataset? */
export async function isYoloDataset(dirOrYaml: string): Promise<boolean> {
  if (/\.ya?ml$/i.test(dirOrYaml)) return exists(dirOrYaml);
  for (const f of [...YOLO_YAML_NAMES, 'classes.txt', 'labels']) if (await exists(path.join(dirOrYaml, f))) return true;
  return (await isDir(path.join(dirOrYaml, 'train', 'labels'))) || (await isDir(path.join(dirOrYaml, 'valid', 'labels')));
}

interface SplitSource {
  /** What the split was read from, for messages. */
  from: string;
  images: string[];
  names?: string[];
  namesFrom?: string;
}

export async function loadYoloDataset(dirOrYaml: string, options: LoadYoloOptions = {}): Promise<Dataset> {
  const role = options.role ?? 'train';
  const yamlFile = /\.ya?ml$/i.test(dirOrYaml) ? dirOrYaml : await firstExisting(YOLO_YAML_NAMES.map((n) => path.join(dirOrYaml, n)));
  const dir = yamlFile && yamlFile === dirOrYaml ? path.dirname(dirOrYaml) : dirOrYaml;
  const src = yamlFile ? await splitFromYaml(yamlFile, options.split, role) : await splitFromFolders(dir, options.split, role);

  // class names: the folder's own (data.yaml names, classes.txt), else options.classes
  let names = src.names;
  let namesFrom = src.namesFrom;
  if (!names) {
    const classesTxt = await firstExisting([path.join(dir, 'classes.txt'), path.join(dir, 'labels', 'classes.txt')]);
    if (classesTxt) {
      names = parseClassNames(await readFile(classesTxt, 'utf8'), classesTxt);
      namesFrom = classesTxt;
    }
  }
  if (names && options.classes && names.join('\n') !== options.classes.join('\n')) {
    throw new Error(`${namesFrom}: names [${names.join(', ')}] differ from the classes given [${options.classes.join(', ')}]`);
  }
  if (!names && options.classes) {
    names = [...options.classes];
    namesFrom = 'the classes given';
  }
  if (!names) throw new Error(`${dir}: a YOLO folder needs its class names: a data.yaml with names:, a classes.txt (one name per line), or --classes FILE`);
  if (new Set(names).size !== names.length) throw new Error(`${namesFrom}: duplicate class names in ${JSON.stringify(names)}`);
  if (src.images.length === 0) throw new Error(`${src.from}: no images (${YOLO_IMAGE_EXTENSIONS.join(', ')})`);

  const images: DatasetImage[] = [];
  const warnings: string[] = [];
  const noLabels: string[] = [];
  const idRoot = commonFolder(src.images);
  for (const file of src.images) {
    const size = await readImageSize(file);
    const labelFile = await labelFileFor(file);
    const id = path.relative(idRoot, file).split(path.sep).join('/').replace(/\.[^./]+$/, '');
    const img: DatasetImage = { id, file, width: size.width, height: size.height, boxes: [], classIds: [], iscrowd: [], difficult: [], areas: [] };
    if (labelFile === undefined) noLabels.push(file);
    else {
      const text = await readFile(labelFile, 'utf8');
      readLabels(text, labelFile, img, names.length, warnings);
    }
    images.push(img);
  }
  if (noLabels.length > 0) {
    warnings.push(`${noLabels.length} image(s) have no label file and are read as images without objects, e.g. ${noLabels.slice(0, 3).join(', ')}`);
  }
  const categories = names.map((name, i) => ({ id: i + 1, name }));
  const description = `YOLO ${src.from}: ${images.length} images; ${names.length} classes from ${namesFrom}: ${names.join(', ')}`;
  return { images, categories, categoryIds: categories.map((c) => c.id), labels: names, warnings, description };
}

/** Parses one label file into `img` (boxes in pixels); errors name file:line. */
export function readLabels(text: string, labelFile: string, img: DatasetImage, numClasses: number, warnings: string[]): void {
  const { width: W, height: H } = img;
  text.split(/\r?\n/).forEach((raw, n) => {
    const line = raw.trim();
    if (line === '') return;
    const where = `${labelFile}:${n + 1}`;
    const tokens = line.split(/\s+/);
    const v = tokens.map(Number);
    if (v.some((x) => !Number.isFinite(x))) throw new Error(`${where}: expected numbers "class cx cy w h", got ${JSON.stringify(line)}`);
    const cls = v[0];
    if (!Number.isInteger(cls) || cls < 0 || cls >= numClasses) throw new Error(`${where}: class ${tokens[0]} is not one of 0..${numClasses - 1}`);
    let x1: number, y1: number, x2: number, y2: number;
    if (v.length === 5) {
      const [, cx, cy, w, h] = v;
      if (w < 0 || h < 0) throw new Error(`${where}: negative width or height: ${JSON.stringify(line)}`);
      [x1, y1, x2, y2] = [(cx - w / 2) * W, (cy - h / 2) * H, (cx + w / 2) * W, (cy + h / 2) * H];
    } else if (v.length >= 7 && v.length % 2 === 1) {
      // a segment: class x1 y1 x2 y2 ... -> its bounding box
      const xs = v.slice(1).filter((_, k) => k % 2 === 0);
      const ys = v.slice(1).filter((_, k) => k % 2 === 1);
      [x1, y1, x2, y2] = [Math.min(...xs) * W, Math.min(...ys) * H, Math.max(...xs) * W, Math.max(...ys) * H];
    } else {
      throw new Error(`${where}: expected 5 values "class cx cy w h" (or a polygon "class x1 y1 x2 y2 x3 y3 ..."), got ${tokens.length}`);
    }
    if (x1 < -BORDER_SLACK || y1 < -BORDER_SLACK || x2 > W + BORDER_SLACK || y2 > H + BORDER_SLACK) {
      throw new Error(`${where}: box extends outside the ${W}x${H} image ${img.file} (coordinates must be normalised to 0..1): ${JSON.stringify(line)}`);
    }
    const box: BoxXYXY = [Math.max(0, x1), Math.max(0, y1), Math.min(W, x2), Math.min(H, y2)];
    if (box[2] <= box[0] || box[3] <= box[1]) {
      warnings.push(`${where}: empty box skipped: ${JSON.stringify(line)}`);
      return;
    }
    img.boxes.push(box);
    img.classIds.push(cls);
    img.iscrowd.push(false);
    img.difficult.push(false);
    img.areas.push((box[2] - box[0]) * (box[3] - box[1]));
  });
}

/** ultralytics' rule: the last /images/ in the path becomes /labels/, the extension .txt; else beside the image. */
export async function labelFileFor(imageFile: string): Promise<string | undefined> {
  const stem = imageFile.slice(0, imageFile.length - path.extname(imageFile).length);
  const sep = `${path.sep}images${path.sep}`;
  const k = stem.lastIndexOf(sep);
  const candidates = k >= 0 ? [`${stem.slice(0, k)}${path.sep}labels${path.sep}${stem.slice(k + sep.length)}.txt`, `${stem}.txt`] : [`${stem}.txt`];
  return firstExisting(candidates);
}

async function splitFromYaml(yamlFile: string, split: string | undefined, role: 'train' | 'eval'): Promise<SplitSource> {
  const text = await readFile(yamlFile, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new Error(`${yamlFile}: cannot read it (${e.code === 'ENOENT' ? 'no such file' : e.code ?? e.message})`);
  });
  const yaml = parseYamlSubset(text, yamlFile);
  const yamlDir = path.dirname(path.resolve(yamlFile));
  const rootValue = yaml.get('path')?.value;
  const root = typeof rootValue === 'string' && rootValue !== '' ? path.resolve(yamlDir, rootValue) : yamlDir;
  const offered = ['train', 'val', 'test', 'valid'].filter((k) => yaml.has(k) && yaml.get(k)!.value !== '');
  const key = split ?? YOLO_SPLIT_ORDER[role].find((k) => offered.includes(k)) ?? (role === 'train' ? undefined : offered[0]);
  if (key === undefined || !yaml.has(key)) {
    throw new Error(`${yamlFile}: no ${split ? `"${split}"` : YOLO_SPLIT_ORDER[role].map((k) => `"${k}"`).join(' or ')} split (it has: ${offered.join(', ') || 'none'})${split ? '' : ': name one with --split NAME'}`);
  }
  const entry = yaml.get(key)!;
  const value = entry.value;
  const parts = typeof value === 'string' ? [value] : Array.isArray(value) && value.every((p) => typeof p === 'string') ? (value as string[]) : undefined;
  if (!parts || parts.length === 0) throw new Error(`${yamlFile}: line ${entry.line}: "${key}" must be a path or a list of paths`);
  const images: string[] = [];
  for (const p of parts) images.push(...(await imagesOf(await resolveYoloPath(root, yamlDir, p), `${yamlFile}: ${key}: ${p}`)));
  const names = yaml.has('names') ? yamlNames(yaml.get('names')!.value, yamlFile, yaml.get('names')!.line) : undefined;
  const nc = yaml.get('nc')?.value;
  if (names && nc !== undefined && nc !== names.length) throw new Error(`${yamlFile}: nc is ${JSON.stringify(nc)} but names lists ${names.length} classes`);
  return { from: `${yamlFile} split "${key}"`, images, ...(names ? { names, namesFrom: yamlFile } : {}) };
}

/** A split path as ultralytics resolves it: under `path:`, else (Roboflow's "../train/images") beside the yaml. */
async function resolveYoloPath(root: string, yamlDir: string, p: string): Promise<string> {
  const first = path.resolve(root, p);
  if (await exists(first)) return first;
  const beside = path.resolve(yamlDir, p.replace(/^(\.\.\/)+/, ''));
  return (await exists(beside)) ? beside : first;
}

function yamlNames(v: YamlValue | undefined, file: string, line: number): string[] {
  const bad = () => new Error(`${file}: line ${line}: names must be a list of class names or a map {0: name, 1: name, ...}`);
  if (Array.isArray(v)) return v.map((n) => String(n));
  if (v && typeof v === 'object') {
    const entries = Object.entries(v);
    const names: string[] = [];
    for (const [k, name] of entries) {
      const idx = Number(k);
      if (!Number.isInteger(idx) || idx < 0 || idx >= entries.length || names[idx] !== undefined) throw new Error(`${file}: line ${line}: names keys must be 0..${entries.length - 1}, got ${JSON.stringify(k)}`);
      names[idx] = String(name);
    }
    return names;
  }
  throw bad();
}

/** The images of a split path: a folder (searched recursively), a .txt list of image paths, or one image. */
async function imagesOf(p: string, where: string): Promise<string[]> {
  const info = await stat(p).catch(() => undefined);
  if (!info) throw new Error(`${where}: ${p} not found`);
  if (info.isDirectory()) return listImages(p);
  if (p.toLowerCase().endsWith('.txt')) {
    const lines = (await readFile(p, 'utf8')).split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
    return lines.map((l) => path.resolve(path.dirname(p), l));
  }
  if (isImage(p)) return [p];
  throw new Error(`${where}: ${p} is neither a folder, a .txt list of images, nor an image`);
}

async function listImages(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    const entries = await readdir(d, { withFileTypes: true });
    for (const e of entries) {
      const f = path.join(d, e.name);
      if (e.isDirectory()) await walk(f);
      else if (e.isFile() && isImage(e.name)) out.push(f);
    }
  };
  await walk(dir);
  return out.sort();
}

async function splitFromFolders(dir: string, split: string | undefined, role: 'train' | 'eval'): Promise<SplitSource> {
  if (!(await isDir(dir))) throw new Error(`${dir}: dataset folder not found`);
  // images/<split>/ (ultralytics), <split>/images/ (Roboflow), or no splits at all
  const splitDirs = async (): Promise<Map<string, string>> => {
    const found = new Map<string, string>();
    for (const e of await readdir(path.join(dir, 'images'), { withFileTypes: true }).catch(() => [])) {
      if (e.isDirectory()) found.set(e.name, path.join(dir, 'images', e.name));
    }
    for (const e of await readdir(dir, { withFileTypes: true })) {
      if (e.isDirectory() && !found.has(e.name) && (await isDir(path.join(dir, e.name, 'images')))) found.set(e.name, path.join(dir, e.name, 'images'));
    }
    return found;
  };
  const splits = await splitDirs();
  if (split !== undefined) {
    const d = splits.get(split);
    if (!d) throw new Error(`${dir}: no split "${split}" (no images/${split}/ nor ${split}/images/; splits found: ${[...splits.keys()].join(', ') || 'none'})`);
    return { from: d, images: await listImages(d) };
  }
  const hasOwnImages = async (d: string) => (await readdir(d).catch(() => [] as string[])).some(isImage);
  if (splits.size > 0 && !(await hasOwnImages(path.join(dir, 'images')))) {
    const key = YOLO_SPLIT_ORDER[role].find((k) => splits.has(k));
    if (key === undefined) throw new Error(`${dir}: no ${YOLO_SPLIT_ORDER[role].join(' or ')} split (splits found: ${[...splits.keys()].join(', ')}): name one with --split NAME`);
    return { from: splits.get(key)!, images: await listImages(splits.get(key)!) };
  }
  const imagesDir = (await isDir(path.join(dir, 'images'))) ? path.join(dir, 'images') : dir;
  return { from: imagesDir, images: await listImages(imagesDir) };
}

async function firstExisting(files: string[]): Promise<string | undefined> {
  for (const f of files) if (await stat(f).then((s) => s.isFile(), () => false)) return f;
  return undefined;
}

/** The deepest folder holding every file (image ids are paths relative to it). */
function commonFolder(files: string[]): string {
  if (files.length === 0) return '.';
  let common = path.dirname(files[0]);
  for (const f of files) {
    while (!(f.startsWith(common + path.sep) || common === path.dirname(common))) common = path.dirname(common);
  }
  return common;
}
