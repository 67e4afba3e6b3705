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

/** IoU of two `[x1, y1, x2, y2]` boxes in continuous coordinates (no "+1"); 0 when the union is empty. */
export function boxIouXYXY(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const iw = Math.max(Math.min(a[2], b[2]) - Math.max(a[0], b[0]), 0);
  const ih = Math.max(Math.min(a[3], b[3]) - Math.max(a[1], b[1]), 0);
  const inter = iw * ih;
  const uni = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return uni > 0 ? inter / uni : 0;
}
