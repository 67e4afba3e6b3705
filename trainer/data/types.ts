// Shared shapes for datasets: the COCO JSON files we read and write, and the in-memory form every
// reader (COCO, VOC, synthetic) produces and the trainer and evaluator consume.

/** A box as `[x1, y1, x2, y2]` in continuous pixel coordinates (no "+1" anywhere). */
export type BoxXYXY = [number, number, number, number];

/** Dataset image ids are numbers in COCO; some converted datasets use strings. */
export type ImageId = number | string;

// ---- COCO JSON (instances format, bbox subset) ----

export interface CocoImage {
  id: ImageId;
  file_name: string;
  width: number;
  height: number;
}

export interface CocoAnnotation {
  id: number;
  image_id: ImageId;
  category_id: number;
  /** `[x, y, w, h]`, continuous pixel coordinates. */
  bbox: [number, number, number, number];
  /** Object area; for real COCO the segmentation area, which decides small/medium/large. */
  area: number;
  /** 1 (or true) marks a crowd region: never a target; absorbs detections in evaluation. */
  iscrowd?: number | boolean;
}

export interface CocoCategory {
  id: number;
  name: string;
  supercategory?: string;
}

export interface CocoJson {
  info?: Record<string, unknown>;
  images: CocoImage[];
  annotations: CocoAnnotation[];
  categories: CocoCategory[];
}

/** One entry of a COCO results file (the format pycocotools' `loadRes` reads). */
export interface CocoResult {
  image_id: ImageId;
  category_id: number;
  bbox: [number, number, number, number];
  score: number;
}

// ---- in-memory dataset ----

export interface DatasetImage {
  /** The dataset's own image id (COCO `id`, VOC file stem). */
  id: ImageId;
  /** Absolute path of the image file. */
  file: string;
  width: number;
  height: number;
  /** One box per object. */
  boxes: BoxXYXY[];
  /** 0-based channel ids, parallel to `boxes`. */
  classIds: number[];
  /** Crowd regions (COCO `iscrowd`): the trainer ignores them for targets. */
  iscrowd: boolean[];
  /** VOC `difficult` flags (always false for COCO and synthetic data). */
  difficult: boolean[];
  /** VOC `truncated` flags, where the format has them (VOC only). */
  truncated?: boolean[];
  /** Object areas: COCO `area` field; box w*h for VOC. Decides COCO small/medium/large. */
  areas: number[];
}

export interface Dataset {
  images: DatasetImage[];
  /** Categories in channel order. */
  categories: CocoCategory[];
  /** channel -> dataset category id. */
  categoryIds: number[];
  /** channel -> class name. */
  labels: string[];
  /** Non-fatal notes from loading (e.g. degenerate boxes that were skipped), each naming the file. */
  warnings: string[];
  /** One line saying what was read (format, folder, split, where the classes came from), for the CLI to report. */
  description?: string;
}

/** A detector output box, as the runtime returns it. */
export interface DetectionBox {
  xmin: number;
  ymin: number;
  xmax: number;
  ymax: number;
}

export interface Detection {
  box: DetectionBox;
  score: number;
  classId: number;
}
