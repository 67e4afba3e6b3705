// Glue between our detections / in-memory datasets and the COCO evaluation formats: detections to
// a COCO results list (the JSON pycocotools' loadRes reads), and a loaded dataset back to a COCO
// ground-truth object (for VOC and synthetic data, or COCO data already in memory).
import type { CocoAnnotation, CocoJson, CocoResult, Dataset, Detection, ImageId } from '../data/types.js';
import { writeFileAtomic, type AtomicWriteOptions } from '../util/atomic-write.js';

export interface ImageDetections {
  imageId: ImageId;
  /** Boxes in the image's own pixel coordinates. */
  detections: readonly Detection[];
}

/**
 * COCO results (`[{ image_id, category_id, bbox: [x, y, w, h], score }]`) from our detections:
 * `categoryIds[classId]` is the dataset category id of channel `classId`. Values are not rounded.
 */
export function toCocoResults(perImage: readonly ImageDetections[], categoryIds: readonly number[]): CocoResult[] {
  const out: CocoResult[] = [];
  perImage.forEach((entry, n) => {
    entry.detections.forEach((d, j) => {
      const where = `image ${JSON.stringify(entry.imageId)} (entry ${n}) detection ${j}`;
      const categoryId = categoryIds[d.classId];
      if (!Number.isInteger(d.classId) || typeof categoryId !== 'number' || !Number.isFinite(categoryId)) {
        throw new Error(`${where}: classId ${d.classId} has no category id (categoryIds has ${categoryIds.length} entries)`);
      }
      const { xmin, ymin, xmax, ymax } = d.box;
      if (![xmin, ymin, xmax, ymax, d.score].every(Number.isFinite)) throw new Error(`${where}: box and score must be finite numbers`);
      if (xmax < xmin || ymax < ymin) throw new Error(`${where}: box has xmax < xmin or ymax < ymin (${JSON.stringify(d.box)})`);
      out.push({ image_id: entry.imageId, category_id: categoryId, bbox: [xmin, ymin, xmax - xmin, ymax - ymin], score: d.score });
    });
  });
  return out;
}

/** Writes a COCO results JSON file (atomically: a crash leaves the old file or the new one). */
export async function writeCocoResults(file: string, results: readonly CocoResult[], options: AtomicWriteOptions = {}): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(results), options);
}

export interface DatasetToCocoOptions {
  /**
   * What VOC "difficult" objects become: 'crowd' (default; COCO's ignore regions, so detecting
   * them is neither required nor punished, as in the VOC devkit), 'normal' or 'drop'.
   */
  difficult?: 'crowd' | 'normal' | 'drop';
}

/**
 * A COCO ground-truth object from a loaded dataset: image ids and category ids are the dataset's
 * own, `area` is the stored object area, annotation ids run from 1 (pycocotools treats a match to
 * id 0 as no match).
 */
export function datasetToCocoGt(ds: Dataset, options: DatasetToCocoOptions = {}): CocoJson {
  const difficult = options.difficult ?? 'crowd';
  if (!['crowd', 'normal', 'drop'].includes(difficult)) throw new Error(`difficult: expected 'crowd', 'normal' or 'drop', got ${JSON.stringify(difficult)}`);
  const annotations: CocoAnnotation[] = [];
  for (const img of ds.images) {
    img.boxes.forEach(([x1, y1, x2, y2], j) => {
      const isDifficult = img.difficult[j] ?? false;
      if (isDifficult && difficult === 'drop') return;
      const crowd = img.iscrowd[j] || (isDifficult && difficult === 'crowd');
      annotations.push({
        id: annotations.length + 1,
        image_id: img.id,
        category_id: ds.categoryIds[img.classIds[j]],
        bbox: [x1, y1, x2 - x1, y2 - y1],
        area: img.areas[j],
        iscrowd: crowd ? 1 : 0,
      });
    });
  }
  return {
    images: ds.images.map((img) => ({ id: img.id, file_name: img.file, width: img.width, height: img.height })),
    annotations,
    categories: ds.categories.map((c) => ({ ...c })),
  };
}
