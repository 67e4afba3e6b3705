// The synthetic shapes dataset, written as COCO-format folders the trainer reads:
//
//   OUT/train/annotations.json   COCO instances JSON (images, annotations, categories)
//   OUT/train/images/000001.png  ... one PNG per image
//   OUT/val/annotations.json, OUT/val/images/*.png
//
// Image i of a split is rendered from mixSeed(seed, split, i), so the same seed gives byte-identical
// files, and changing `train` does not change the validation images. Category ids are 1..C in
// `classes` order; image and annotation ids run from 1. annotations.json is written last
// (atomically): a split folder without it is an interrupted run.
//
// With format 'yolo' the same images and boxes go into the ultralytics layout instead:
// OUT/images/<split>/000001.png, OUT/labels/<split>/000001.txt, OUT/data.yaml (written last).
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.js';
import { encodePngRGB } from './image-io.js';
import { mixSeed, renderScene, type Clutter } from './synth-scene.js';
import { SHAPE_NAMES, type ShapeName } from './synth-shapes.js';
import type { CocoAnnotation, CocoImage, CocoJson } from './types.js';
import { yoloDataYaml, yoloLabelText } from './yolo-write.js';

export interface SynthOptions {
  /** Output folder; must be absent or empty unless `overwrite`. */
  out: string;
  /** Training images. Default 1000. */
  train?: number;
  /** Validation images. Default 200. */
  val?: number;
  /** Image side in pixels. Default 256. */
  size?: number;
  /** Default 1. */
  seed?: number;
  /** Shape classes in channel order; default all of SHAPE_NAMES. */
  classes?: readonly string[];
  /** Most objects per image. Default 5. */
  maxObjects?: number;
  /** 'heavy': striped backgrounds, small dots and more thin lines (renderScene). Default 'normal'. */
  clutter?: Clutter;
  /** 'coco' (default): OUT/<split>/annotations.json + images/; 'yolo': OUT/images/<split>, OUT/labels/<split>, OUT/data.yaml. */
  format?: 'coco' | 'yolo';
  /** Replace OUT/train and OUT/val if OUT is not empty (other entries of OUT are left alone). */
  overwrite?: boolean;
  /** Called after each image. */
  onProgress?: (p: { split: 'train' | 'val'; done: number; total: number }) => void;
}

export interface SynthSummary {
  out: string;
  classes: ShapeName[];
  splits: { split: 'train' | 'val'; dir: string; images: number; annotations: number }[];
}

const SPLIT_IDS = { train: 1, val: 2 } as const;

export async function synthDataset(options: SynthOptions): Promise<SynthSummary> {
  const { out, train = 1000, val = 200, size = 256, seed = 1, maxObjects = 5, overwrite = false, format = 'coco' } = options;
  if (format !== 'coco' && format !== 'yolo') throw new Error(`format: expected 'coco' or 'yolo', got ${JSON.stringify(format)}`);
  if (typeof out !== 'string' || out === '') throw new Error('out: an output folder is required');
  for (const [name, v] of [['train', train], ['val', val]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new Error(`${name}: expected a non-negative integer image count, got ${v}`);
  }
  if (train + val === 0) throw new Error('train and val are both 0: nothing to generate');
  if (!Number.isInteger(seed)) throw new Error(`seed: expected an integer, got ${seed}`);
  const classes = (options.classes ?? SHAPE_NAMES) as ShapeName[];
  if (!Array.isArray(classes) || classes.length === 0) throw new Error('classes: expected a non-empty list of shape names');
  for (const c of classes) {
    if (!SHAPE_NAMES.includes(c)) throw new Error(`classes: unknown shape "${c}" (known: ${SHAPE_NAMES.join(', ')})`);
  }
  if (new Set(classes).size !== classes.length) throw new Error(`classes: duplicate names in ${JSON.stringify(classes)}`);
  // validates size and maxObjects before anything touches the disk
  const clutter = options.clutter ?? 'normal';
  renderScene(0, { size, classes, maxObjects, clutter });

  const root = path.resolve(out);
  const info = await stat(root).catch(() => undefined);
  if (info && !info.isDirectory()) throw new Error(`${root}: exists and is not a folder`);
  if (info && (await readdir(root)).length > 0) {
    if (!overwrite) throw new Error(`${root}: output folder is not empty (pass overwrite: true to replace its train/ and val/)`);
  }

  const summary: SynthSummary = { out: root, classes: [...classes], splits: [] };
  for (const split of ['train', 'val'] as const) {
    const count = split === 'train' ? train : val;
    const dir = format === 'coco' ? path.join(root, split) : path.join(root, 'images', split);
    const imagesDir = format === 'coco' ? path.join(dir, 'images') : dir;
    const labelsDir = path.join(root, 'labels', split);
    await rm(dir, { recursive: true, force: true });
    if (format === 'yolo') await rm(labelsDir, { recursive: true, force: true });
    if (count === 0) continue;
    await mkdir(imagesDir, { recursive: true });
    if (format === 'yolo') await mkdir(labelsDir, { recursive: true });
    const images: CocoImage[] = [];
    const annotations: CocoAnnotation[] = [];
    for (let i = 0; i < count; i++) {
      const scene = renderScene(mixSeed(seed, SPLIT_IDS[split], i), { size, classes, maxObjects, clutter });
      const fileName = `${String(i + 1).padStart(6, '0')}.png`;
      await writeFile(path.join(imagesDir, fileName), await encodePngRGB(scene));
      if (format === 'yolo') {
        const text = yoloLabelText(scene.width, scene.height, scene.objects.map((o) => o.box), scene.objects.map((o) => o.classId));
        await writeFile(path.join(labelsDir, fileName.replace(/\.png$/, '.txt')), text);
      }
      images.push({ id: i + 1, file_name: fileName, width: scene.width, height: scene.height });
      for (const o of scene.objects) {
        const [x1, y1, x2, y2] = o.box;
        annotations.push({
          id: annotations.length + 1,
          image_id: i + 1,
          category_id: o.classId + 1,
          bbox: [x1, y1, x2 - x1, y2 - y1],
          // The box area, not the visible pixels (scene.objects[].area): YOLO labels cannot carry
          // an area and the VOC and YOLO readers use the box's, so the same set scores the same
          // APs/APm/APl in every format it is written in.
          area: (x2 - x1) * (y2 - y1),
          iscrowd: 0,
        });
      }
      options.onProgress?.({ split, done: i + 1, total: count });
    }
    const json: CocoJson = {
      info: { description: 'anchorless synthetic shapes', version: 1, seed, size, split, maxObjects, ...(clutter !== 'normal' ? { clutter } : {}) },
      images,
      annotations,
      categories: classes.map((name, c) => ({ id: c + 1, name, supercategory: 'shape' })),
    };
    if (format === 'coco') await writeFileAtomic(path.join(dir, 'annotations.json'), JSON.stringify(json), { overwrite: true });
    summary.splits.push({ split, dir, images: images.length, annotations: annotations.length });
  }
  if (format === 'yolo') {
    await writeFileAtomic(path.join(root, 'data.yaml'), yoloDataYaml(summary.splits.map((s) => s.split), classes), { overwrite: true });
  }
  return summary;
}
