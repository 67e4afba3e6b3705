// Writing YOLO-format datasets: the ultralytics layout, which every YOLO tool reads.
//
//   OUT/images/<split>/NAME.png   OUT/labels/<split>/NAME.txt   OUT/data.yaml (path, train, val, names)
//
// Label lines are `class cx cy w h`, normalised, with 10 decimals: 5e-11 of the image side, so a
// box comes back within 1e-6 px on images up to 20 000 px (YOLO keeps no crowd flags, no
// difficult flags and no segmentation areas: those objects' areas become box areas on reading).
import { constants } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { BoxXYXY, Dataset } from './types.js';

/** 0.5 -> "0.5", 1 -> "1", 1/3 -> "0.3333333333": fixed decimals, no exponent, no trailing zeros. */
export function formatNormalised(v: number): string {
  const s = v.toFixed(10).replace(/0+$/, '').replace(/\.$/, '');
  return s === '-0' ? '0' : s;
}

/** One image's label file text: `class cx cy w h` per box, normalised by the image size. */
export function yoloLabelText(width: number, height: number, boxes: readonly BoxXYXY[], classIds: readonly number[]): string {
  return boxes
    .map(([x1, y1, x2, y2], j) => {
      const v = [(x1 + x2) / 2 / width, (y1 + y2) / 2 / height, (x2 - x1) / width, (y2 - y1) / height];
      return `${classIds[j]} ${v.map(formatNormalised).join(' ')}\n`;
    })
    .join('');
}

/** data.yaml text: splits as paths relative to the folder, names as a flow list of quoted names. */
export function yoloDataYaml(splits: readonly string[], names: readonly string[]): string {
  const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;
  const lines = ['# written by anchorless: YOLO layout (images/<split>, labels/<split>)', 'path: .'];
  for (const s of splits) lines.push(`${s}: images/${s}`);
  lines.push(`nc: ${names.length}`, `names: [${names.map(quote).join(', ')}]`);
  return `${lines.join('\n')}\n`;
}

export interface WriteYoloOptions {
  /** Replace existing label files and data.yaml (default false: an existing file is an Error). */
  overwrite?: boolean;
}

/**
 * Writes datasets (one per split, same classes) as a YOLO folder: each image copied under
 * images/<split>/ by its base name, its labels under labels/<split>/, data.yaml last. Crowd and
 * difficult objects have no YOLO form: they are left out, and counted in the returned warnings.
 */
export async function writeYoloDataset(out: string, splits: Record<string, Dataset>, options: WriteYoloOptions = {}): Promise<{ warnings: string[] }> {
  const names = Object.values(splits)[0]?.labels;
  if (!names) throw new Error('writeYoloDataset: no splits given');
  const warnings: string[] = [];
  for (const [split, ds] of Object.entries(splits)) {
    if (ds.labels.join('\n') !== names.join('\n')) throw new Error(`writeYoloDataset: split ${split} has classes [${ds.labels}] but the first split has [${names}]`);
    const imagesDir = path.join(out, 'images', split);
    const labelsDir = path.join(out, 'labels', split);
    await mkdir(imagesDir, { recursive: true });
    await mkdir(labelsDir, { recursive: true });
    const used = new Set<string>();
    let left = 0;
    for (const img of ds.images) {
      const base = path.basename(img.file);
      if (used.has(base)) throw new Error(`writeYoloDataset: split ${split} has two images named ${base}`);
      used.add(base);
      const keep = img.boxes.map((_, j) => !img.iscrowd[j] && !img.difficult[j]);
      left += keep.filter((k) => !k).length;
      const text = yoloLabelText(img.width, img.height, img.boxes.filter((_, j) => keep[j]), img.classIds.filter((_, j) => keep[j]));
      const stem = base.slice(0, base.length - path.extname(base).length);
      const target = path.join(imagesDir, base);
      await copyFile(img.file, target, options.overwrite ? 0 : constants.COPYFILE_EXCL).catch((e: NodeJS.ErrnoException) => {
        throw new Error(`${target}: cannot write it: ${e.code === 'EEXIST' ? 'already exists' : e.code ?? e.message}`);
      });
      await writeFileAtomic(path.join(labelsDir, `${stem}.txt`), text, { overwrite: options.overwrite });
    }
    if (left > 0) warnings.push(`split ${split}: ${left} crowd or difficult object(s) left out (YOLO labels cannot mark them)`);
  }
  await writeFileAtomic(path.join(out, 'data.yaml'), yoloDataYaml(Object.keys(splits), names), { overwrite: options.overwrite });
  return { warnings };
}
