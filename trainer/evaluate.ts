// Evaluation of a model file on a dataset through the runtime exactly as it is deployed
// (ObjectDetector on the wasm kernels): COCO's twelve numbers, or VOC07 11-point AP at IoU 0.5.
import { ObjectDetector } from '../runtime/detector.js';
import type { ModelSource } from '../runtime/model-source.js';
import { evaluateCoco, type CocoEvalResult } from './eval/coco-eval.js';
import { datasetToCocoGt, toCocoResults, type ImageDetections } from './eval/results.js';
import { vocAp } from './eval/voc-ap.js';
import { mapClasses, type ClassMap } from './eval/class-map.js';
import { dropUnmatchedObjects, withAbsentClassesLeftOut } from './eval/drop-unmatched.js';
import { readImageRGB } from './data/image-io.js';
import type { CocoResult, Dataset } from './data/types.js';

export interface EvaluateOptions {
  /** Also run the flipped image (flip test). */
  flip?: boolean;
  /** Evaluate only the first n images (quick validation during training). */
  limit?: number;
  onProgress?: (done: number, total: number) => void;
  /** Model label -> dataset category (id or name, or null: leave out); default: match by name. */
  classMap?: ClassMap;
  /** Objects of a category no model class maps to: an Error (default), or 'ignore': dropped, with a warning. */
  unmatchedCategories?: 'error' | 'ignore';
  /**
   * The dataset's categories are only the class names its objects use (a VOC folder read without
   * a class list): a model class with no such name simply has no objects here, and is left out
   * of the scores (with a warning) instead of being an Error.
   */
  categoriesFromObjects?: boolean;
  /** Receives the warnings of unmatchedCategories: 'ignore' and categoriesFromObjects. */
  onWarning?: (message: string) => void;
}

export interface Evaluation {
  coco: CocoEvalResult;
  /** VOC07 11-point mAP at IoU 0.5 (difficult objects ignored). */
  voc07: number | null;
  results: CocoResult[];
  images: number;
  /** Mean detect() time per image, milliseconds. */
  msPerImage: number;
}

export async function evaluateModel(model: ModelSource, ds: Dataset, opts: EvaluateOptions = {}): Promise<Evaluation> {
  // every scored box counts for AP: no score threshold, the decode's 100 best
  const detector = await ObjectDetector.create({ model, scoreThreshold: 0, maxResults: 100, flip: opts.flip ?? false });
  const images = opts.limit !== undefined ? ds.images.slice(0, opts.limit) : ds.images;
  let subset: Dataset = { ...ds, images };
  const perImage: ImageDetections[] = [];
  let detectMs = 0;
  let mapping: ReturnType<typeof mapClasses>;
  try {
    // before any image runs: a class scored against the wrong category gives a wrong AP silently
    const classMap = opts.categoriesFromObjects ? withAbsentClassesLeftOut(detector.config.labels, subset, opts.classMap, opts.onWarning) : opts.classMap;
    if (opts.unmatchedCategories === 'ignore') subset = dropUnmatchedObjects(detector.config.labels, subset, classMap, opts.onWarning);
    mapping = mapClasses(detector.config.labels, subset, classMap);
    for (const [i, image] of subset.images.entries()) {
      const rgb = await readImageRGB(image.file);
      if (rgb.width !== image.width || rgb.height !== image.height) {
        throw new Error(`image ${image.file}: the file is ${rgb.width}x${rgb.height} but the annotations say ${image.width}x${image.height} (image id ${JSON.stringify(image.id)})`);
      }
      const t0 = performance.now();
      const dets = await detector.detect({ data: rgb.data, width: rgb.width, height: rgb.height, channels: 3 });
      detectMs += performance.now() - t0;
      // classes left out by the class map are not scored
      perImage.push({ imageId: image.id, detections: dets.filter((d) => mapping.categoryOfClass[d.classId] !== undefined) });
      opts.onProgress?.(i + 1, images.length);
    }
  } finally {
    detector.close();
  }
  const results = toCocoResults(perImage, mapping.categoryOfClass.map((id) => id ?? Number.NaN));
  const coco = evaluateCoco(datasetToCocoGt(subset), results);
  // VOC AP in model-class space: ground-truth channels through the mapping (every annotated
  // channel has a class, mapClasses made sure)
  const voc = vocAp(
    subset.images.map((im) => ({ imageId: im.id, boxes: im.boxes, classIds: im.classIds.map((c) => mapping.classOfChannel[c]!), difficult: im.difficult.map((d, k) => d || im.iscrowd[k]) })),
    perImage.flatMap((p) => p.detections.map((d) => ({ imageId: p.imageId, box: d.box, score: d.score, classId: d.classId }))),
    { numClasses: detector.config.labels.length },
  );
  return { coco, voc07: voc.mAP, results, images: images.length, msPerImage: images.length ? detectMs / images.length : 0 };
}
