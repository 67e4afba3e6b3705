// A dataset folder of any kind we read, told apart by what the folder holds: COCO
// (annotations.json + images/), Pascal VOC (Annotations/ + JPEGImages/ [+ ImageSets/Main/]) or
// YOLO (data.yaml, labels/, classes.txt; or the path of a data.yaml itself).
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { loadCocoDataset } from './coco.js';
import type { Dataset } from './types.js';
import { loadVocDataset } from './voc.js';
import { isYoloDataset, loadYoloDataset } from './yolo.js';

export type DatasetFormat = 'coco' | 'voc' | 'yolo';

export interface LoadDatasetOptions {
  /** VOC: ImageSets/Main/<split>.txt; YOLO: a data.yaml key or images/<split>. Default by `role`. */
  split?: string;
  /** What the data is for when no split is named: 'train' (VOC trainval, YOLO train) or 'eval' (VOC test, val; YOLO val). Default 'train'. */
  role?: 'train' | 'eval';
  /**
   * Class names in channel order. VOC: the channels (default: the sorted names found in the XML
   * files). YOLO: the names of class ids 0.. where the folder names none (else they must agree).
   * COCO: the categories' names must be these, in this order.
   */
  classes?: readonly string[];
  /** VOC: an object whose class is not in `classes` is an Error (default) or skipped with a warning. */
  unknownClasses?: 'error' | 'ignore';
  /** COCO, VOC: check that every image file exists (default true; `anchorless data` counts them instead). */
  checkFiles?: boolean;
  /** @deprecated use `split` */
  vocSplit?: string;
}

export async function detectDatasetFormat(dir: string): Promise<DatasetFormat> {
  const is = async (p: string) => stat(path.join(dir, p)).then(() => true, () => false);
  if (!(await is('.'))) throw new Error(`dataset ${dir}: no such folder`);
  if (/\.ya?ml$/i.test(dir)) return 'yolo';
  if (await is('annotations.json')) return 'coco';
  if (await is('Annotations')) return 'voc';
  if (await isYoloDataset(dir)) return 'yolo';
  throw new Error(
    `dataset ${dir}: neither a COCO folder (annotations.json + images/), a VOC folder (Annotations/, JPEGImages/, ImageSets/Main/) ` +
      'nor a YOLO folder (data.yaml, or images/ + labels/ + classes.txt)',
  );
}

export async function loadDataset(dir: string, opts: LoadDatasetOptions = {}): Promise<Dataset> {
  const format = await detectDatasetFormat(dir);
  const split = opts.split ?? opts.vocSplit;
  const role = opts.role ?? 'train';
  if (format === 'coco') {
    if (split !== undefined) throw new Error(`dataset ${dir}: a COCO folder is one split (--split is for VOC and YOLO folders)`);
    const ds = await loadCocoDataset(dir, { checkFiles: opts.checkFiles });
    if (opts.classes && ds.labels.join('\n') !== opts.classes.join('\n')) {
      throw new Error(`dataset ${dir}: its categories [${ds.labels.join(', ')}] are not the classes [${opts.classes.join(', ')}]`);
    }
    return { ...ds, description: `COCO ${path.resolve(dir, 'annotations.json')}: ${ds.images.length} images; ${ds.labels.length} categories: ${ds.labels.join(', ')}` };
  }
  if (format === 'voc') return loadVocDataset(dir, { split, role, classes: opts.classes ?? 'auto', unknownClasses: opts.unknownClasses, checkFiles: opts.checkFiles });
  return loadYoloDataset(dir, { split, role, classes: opts.classes });
}
