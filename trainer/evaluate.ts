// Evaluation of a model file on a dataset through the runtime exactly as it is deployed
// (ObjectDetector on the wasm kernels): COCO's twelve numbers, or VOC07 11-point AP at IoU 0.5.
import { ObjectDetector, type DetectedObject } from '../runtime/detector.js';
import { cornerNetPostprocess } from '../runtime/decode/postprocess.js';
import { fuseDetections } from '../runtime/decode/box-fusion.js';
import { toXywh } from '../runtime/decode/boxes.js';
import type { ModelConfig } from '../runtime/model/config.js';
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
  /**
   * Detectors that take the images in turn (default 1): the first on this thread, each other one in
   * a worker (ObjectDetector's worker mode), all single-threaded, so the detections are the same
   * whatever the count. Training passes its thread count: its gradient worker idles while it validates.
   */
  detectors?: number;
}

export interface Evaluation {
  coco: CocoEvalResult;
  /** VOC07 11-point mAP at IoU 0.5 (difficult objects ignored). */
  voc07: number | null;
  results: CocoResult[];
  /**
   * Per image (in the dataset's order), every detection detect() returned, before classes left
   * out by the class map are dropped: what mergeEvaluations() merges.
   */
  detections: DetectedObject[][];
  images: number;
  /** Mean detect() time per image, milliseconds. */
  msPerImage: number;
}

/** Most detections an image keeps: every scored box counts for AP, the decode's 100 best. */
const MAX_DETECTIONS = 100;

export async function evaluateModel(model: ModelSource, ds: Dataset, opts: EvaluateOptions = {}): Promise<Evaluation> {
  const count = opts.detectors ?? 1;
  if (!(Number.isInteger(count) && count >= 1 && count <= 64)) throw new Error(`evaluateModel: detectors must be an integer from 1 to 64, got ${count}`);
  // every scored box counts for AP: no score threshold
  const options = { model, scoreThreshold: 0, maxResults: MAX_DETECTIONS, flip: opts.flip ?? false };
  const detectors = [await ObjectDetector.create(options)];
  const images = opts.limit !== undefined ? ds.images.slice(0, opts.limit) : ds.images;
  const raw: DetectedObject[][] = [];
  let detectMs = 0;
  let scoring: Scoring;
  try {
    const detector = detectors[0];
    // before any image runs: a class scored against the wrong category gives a wrong AP silently
    scoring = prepareScoring(detector.config.labels, { ...ds, images }, opts);
    const subset = scoring.subset;
    for (let i = 1; i < Math.min(count, subset.images.length); i++) detectors.push(await ObjectDetector.create({ ...options, worker: true }));
    let next = 0;
    let done = 0;
    const work = async (d: ObjectDetector) => {
      while (next < subset.images.length) {
        const i = next++;
        const image = subset.images[i];
        const rgb = await readImageRGB(image.file);
        if (rgb.width !== image.width || rgb.height !== image.height) {
          throw new Error(`image ${image.file}: the file is ${rgb.width}x${rgb.height} but the annotations say ${image.width}x${image.height} (image id ${JSON.stringify(image.id)})`);
        }
        const t0 = performance.now();
        raw[i] = await d.detect({ data: rgb.data, width: rgb.width, height: rgb.height, channels: 3 });
        detectMs += performance.now() - t0;
        opts.onProgress?.(++done, images.length);
      }
    };
    // every detector stopped before any is closed; then the first failure, if any
    const settled = await Promise.allSettled(
      detectors.map((d) =>
        work(d).catch((e) => {
          next = subset.images.length; // the others stop after their current image
          throw e;
        }),
      ),
    );
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  } finally {
    for (const d of detectors) d.close();
  }
  return { ...score(scoring, raw), detections: raw, images: images.length, msPerImage: images.length ? detectMs / images.length : 0 };
}

/**
 * The evaluation of a multi-size test from evaluations of the same model at each size (evaluateModel
 * with the same dataset and options, no flip difference): each image's detections, in the order
 * given, merged as config.testMerge says (per-class soft-NMS, or weighted boxes fusion), exactly as
 * ObjectDetector's `inputSizes` merges them, without running the network again. msPerImage is the
 * sum of theirs. CenterNet only: one size's CenterNet detections are the decode's as they are, while
 * CornerNet's have been merged by soft-NMS already (a CornerNet multi-size test must run the detector).
 */
export function mergeEvaluations(evals: readonly Evaluation[], ds: Dataset, config: Pick<ModelConfig, 'detector' | 'labels' | 'testMerge'>, opts: Pick<EvaluateOptions, 'limit' | 'classMap' | 'unmatchedCategories' | 'categoriesFromObjects'> = {}): Evaluation {
  if (config.detector !== 'centernet') throw new Error(`mergeEvaluations: only CenterNet's detections merge after the fact (${config.detector}'s are soft-NMS merged per size already)`);
  if (evals.length < 2) throw new Error(`mergeEvaluations: expected at least 2 evaluations, got ${evals.length}`);
  const { labels } = config;
  const images = opts.limit !== undefined ? ds.images.slice(0, opts.limit) : ds.images;
  if (evals.some((e) => e.detections.length !== images.length)) {
    throw new Error(`mergeEvaluations: every evaluation must cover the dataset's ${images.length} images, got ${evals.map((e) => e.detections.length).join(', ')}`);
  }
  const scoring = prepareScoring(labels, { ...ds, images }, opts);
  const mergeImage = (i: number) => (config.testMerge === 'wbf' ? fuseDetections(evals.map((e) => e.detections[i]), { maxResults: MAX_DETECTIONS }) : cornerNetPostprocess(evals.flatMap((e) => e.detections[i]), { maxResults: MAX_DETECTIONS }));
  const merged = images.map((_, i) => mergeImage(i).map((d) => ({ box: d.box, bbox: toXywh(d.box), score: d.score, classId: d.classId, label: labels[d.classId] ?? `class${d.classId}` })));
  return { ...score(scoring, merged), detections: merged, images: images.length, msPerImage: evals.reduce((sum, e) => sum + e.msPerImage, 0) };
}

interface Scoring {
  subset: Dataset;
  mapping: ReturnType<typeof mapClasses>;
  numClasses: number;
}

/** The images and classes scored: the class map applied (and checked) to the model's labels. */
function prepareScoring(labels: readonly string[], ds: Dataset, opts: Pick<EvaluateOptions, 'classMap' | 'unmatchedCategories' | 'categoriesFromObjects' | 'onWarning'>): Scoring {
  let subset = ds;
  const classMap = opts.categoriesFromObjects ? withAbsentClassesLeftOut(labels, subset, opts.classMap, opts.onWarning) : opts.classMap;
  if (opts.unmatchedCategories === 'ignore') subset = dropUnmatchedObjects(labels, subset, classMap, opts.onWarning);
  return { subset, mapping: mapClasses(labels, subset, classMap), numClasses: labels.length };
}

/** COCO's numbers and VOC07 AP of per-image detections; classes the class map leaves out are not scored. */
function score({ subset, mapping, numClasses }: Scoring, raw: readonly (readonly DetectedObject[])[]): Pick<Evaluation, 'coco' | 'voc07' | 'results'> {
  const perImage: ImageDetections[] = subset.images.map((image, i) => ({ imageId: image.id, detections: raw[i].filter((det) => mapping.categoryOfClass[det.classId] !== undefined) }));
  const results = toCocoResults(perImage, mapping.categoryOfClass.map((id) => id ?? Number.NaN));
  const coco = evaluateCoco(datasetToCocoGt(subset), results);
  // VOC AP in model-class space: ground-truth channels through the mapping (every annotated
  // channel has a class, mapClasses made sure)
  const voc = vocAp(
    subset.images.map((im) => ({ imageId: im.id, boxes: im.boxes, classIds: im.classIds.map((c) => mapping.classOfChannel[c]!), difficult: im.difficult.map((d, k) => d || im.iscrowd[k]) })),
    perImage.flatMap((p) => p.detections.map((d) => ({ imageId: p.imageId, box: d.box, score: d.score, classId: d.classId }))),
    { numClasses },
  );
  return { coco, voc07: voc.mAP, results };
}
