// A dataset folder of either kind: COCO (annotations.json + images/) or Pascal VOC
// (Annotations/ + JPEGImages/ + ImageSets/Main/), told apart by what the folder holds.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { loadCocoDataset } from './coco.js';
import type { Dataset } from './types.js';
import { loadVocDataset } from './voc.js';

export async function loadDataset(dir: string, opts: { vocSplit?: string } = {}): Promise<Dataset> {
  const is = async (p: string) => stat(path.join(dir, p)).then(() => true, () => false);
  if (!(await is('.'))) throw new Error(`dataset ${dir}: no such folder`);
  if (await is('annotations.json')) return loadCocoDataset(dir);
  if (await is('Annotations')) return loadVocDataset(dir, { split: opts.vocSplit ?? 'trainval' });
  throw new Error(`dataset ${dir}: neither a COCO folder (annotations.json + images/) nor a VOC folder (Annotations/, JPEGImages/, ImageSets/Main/)`);
}
