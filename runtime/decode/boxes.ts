// Detection records shared by the decoders, the post-processing and ObjectDetector, and the
// conversions between them and the flat n*4 box arrays the NMS kernels take.

/** Continuous pixel coordinates, no "+1" in widths (DESIGN.md). */
export interface Box {
  xmin: number;
  ymin: number;
  xmax: number;
  ymax: number;
}

/** One detection: classId is the 0-based heatmap channel. */
export interface Detection {
  box: Box;
  score: number;
  classId: number;
}

/** Boxes as a flat Float32Array [x1, y1, x2, y2, ...] (the layout of ops.nms / ops.softNms). */
export function boxesToArray(dets: readonly Detection[]): Float32Array {
  const out = new Float32Array(dets.length * 4);
  dets.forEach(({ box }, i) => {
    out[i * 4] = box.xmin;
    out[i * 4 + 1] = box.ymin;
    out[i * 4 + 2] = box.xmax;
    out[i * 4 + 3] = box.ymax;
  });
  return out;
}

/** [x, y, w, h] (COCO's bbox form) of a box. */
export function toXywh(box: Box): [number, number, number, number] {
  return [box.xmin, box.ymin, box.xmax - box.xmin, box.ymax - box.ymin];
}

/** Score-descending order; equal scores keep their incoming order (Array.prototype.sort is stable). */
export function byScoreDescending(a: Detection, b: Detection): number {
  return b.score - a.score;
}
