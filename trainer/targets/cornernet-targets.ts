// CornerNet targets of one image, as the official sampler (core/sample/cornernet.py) builds them:
// Gaussians at the top-left and bottom-right corners in the class channel, and per object slot
// the flat corner indices, the sub-pixel corner offsets and a mask (the "tag mask").
// boxes [n] in input pixels -> heatmaps [oh, ow, C] x 2, index [maxObjs] x 2, offset [maxObjs, 2] x 2, mask [maxObjs].

import { drawGaussian, radiusFunction, type RadiusRule } from './gaussian.js';
import { checkTargetInput, clipToInput, DEFAULT_MAX_OBJS, type TargetGeometry, type TargetObjects } from './objects.js';

export interface CornerNetTargetOptions extends TargetGeometry {
  /** IoU the Gaussian radius keeps (the official gaussian_iou 0.3). */
  minOverlap?: number;
  /** Default 'cornernet' (CornerNet's gaussian_radius); 'cornernet-lite' for CornerNet-Squeeze and -Saccade. */
  radius?: RadiusRule;
}

export interface CornerNetTargets {
  /** [oh, ow, numClasses] each, row-major. */
  tlHeatmap: Float32Array;
  brHeatmap: Float32Array;
  /** [maxObjs]: y_int * ow + x_int of each corner. */
  tlIndex: Int32Array;
  brIndex: Int32Array;
  /** [maxObjs, 2]: (fx - x_int, fy - y_int) of each corner. */
  tlOffset: Float32Array;
  brOffset: Float32Array;
  /** [maxObjs]: 1 for the first `count` slots. */
  mask: Float32Array;
  count: number;
  /** Valid objects beyond maxObjs: not in any target. */
  dropped: number;
}

/**
 * Per object, in order (crowd regions skipped): the box clipped to the input image
 * [0, iw - 1] x [0, ih - 1] and dropped when it has no area (_clip_detections); corners scaled to
 * the output map (fx = x * ow / iw) and truncated to pixels; radius from the box size on the
 * output map: max(0, int(radius(ceil(h * oh / ih), ceil(w * ow / iw), minOverlap))), radius
 * gaussianRadius or gaussianRadiusLite as opts.radius says.
 */
export function cornerNetTargets(objects: TargetObjects, opts: CornerNetTargetOptions): CornerNetTargets {
  checkTargetInput('cornerNetTargets', objects, opts);
  const [ih, iw] = opts.inputSize;
  const [oh, ow] = opts.outputSize;
  const numClasses = opts.numClasses;
  const maxObjs = opts.maxObjs ?? DEFAULT_MAX_OBJS;
  const minOverlap = opts.minOverlap ?? 0.3;
  const radiusOf = radiusFunction(opts.radius ?? 'cornernet');
  const sx = ow / iw;
  const sy = oh / ih;
  const t: CornerNetTargets = {
    tlHeatmap: new Float32Array(oh * ow * numClasses),
    brHeatmap: new Float32Array(oh * ow * numClasses),
    tlIndex: new Int32Array(maxObjs),
    brIndex: new Int32Array(maxObjs),
    tlOffset: new Float32Array(maxObjs * 2),
    brOffset: new Float32Array(maxObjs * 2),
    mask: new Float32Array(maxObjs),
    count: 0,
    dropped: 0,
  };
  objects.boxes.forEach((box, k) => {
    if (objects.iscrowd?.[k]) return;
    const clipped = clipToInput(box, opts.inputSize);
    if (!clipped) return;
    const [x1, y1, x2, y2] = clipped;
    if (t.count === maxObjs) {
      t.dropped++;
      return;
    }
    const channel = objects.classIds[k];
    const radius = Math.max(0, Math.trunc(radiusOf(Math.ceil((y2 - y1) * sy), Math.ceil((x2 - x1) * sx), minOverlap)));
    const slot = t.count++;
    const corner = (x: number, y: number, heatmap: Float32Array, index: Int32Array, offset: Float32Array) => {
      const fx = x * sx;
      const fy = y * sy;
      const xi = Math.trunc(fx);
      const yi = Math.trunc(fy);
      drawGaussian(heatmap, ow, oh, xi, yi, radius, { channels: numClasses, channel });
      index[slot] = yi * ow + xi;
      offset[2 * slot] = fx - xi;
      offset[2 * slot + 1] = fy - yi;
    };
    corner(x1, y1, t.tlHeatmap, t.tlIndex, t.tlOffset);
    corner(x2, y2, t.brHeatmap, t.brIndex, t.brOffset);
    t.mask[slot] = 1;
  });
  return t;
}
