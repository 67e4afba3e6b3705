// CenterNet (ctdet) targets of one image, as the official CTDetDataset builds them: a Gaussian at
// every box centre in its class channel, and per object slot the size (w, h), the sub-pixel centre
// offset, the flat index of the centre pixel and a mask. All on the output map (input / stride).
// boxes [n] in input pixels -> heatmap [oh, ow, C], size/offset [maxObjs, 2], index/mask [maxObjs].

import { drawGaussian, gaussianRadius } from './gaussian.js';
import { checkTargetInput, clamp, DEFAULT_MAX_OBJS, type TargetGeometry, type TargetObjects } from './objects.js';

export interface CenterNetTargetOptions extends TargetGeometry {
  /** IoU the Gaussian radius keeps (the official 0.7). */
  minOverlap?: number;
}

export interface CenterNetTargets {
  /** [oh, ow, numClasses], row-major. */
  heatmap: Float32Array;
  /** [maxObjs, 2]: (w, h) of the box on the output map. */
  size: Float32Array;
  /** [maxObjs, 2]: centre - floor(centre), in [0, 1). */
  offset: Float32Array;
  /** [maxObjs]: cy_int * ow + cx_int. */
  index: Int32Array;
  /** [maxObjs]: 1 for the first `count` slots. */
  mask: Float32Array;
  count: number;
  /** Valid objects beyond maxObjs: not in any target (the official code takes the first max_objs). */
  dropped: number;
}

/**
 * Per object, in order (crowd regions and boxes with no area on the output map skipped):
 * the box scaled to the output map and clipped to [0, ow - 1] x [0, oh - 1]; w = x2 - x1,
 * h = y2 - y1; radius = max(0, int(gaussianRadius(ceil(h), ceil(w), minOverlap))); the centre
 * ((x1 + x2) / 2, (y1 + y2) / 2) and its integer part (truncation, as astype(int32)).
 */
export function centerNetTargets(objects: TargetObjects, opts: CenterNetTargetOptions): CenterNetTargets {
  checkTargetInput('centerNetTargets', objects, opts);
  const [ih, iw] = opts.inputSize;
  const [oh, ow] = opts.outputSize;
  const numClasses = opts.numClasses;
  const maxObjs = opts.maxObjs ?? DEFAULT_MAX_OBJS;
  const minOverlap = opts.minOverlap ?? 0.7;
  const sx = ow / iw;
  const sy = oh / ih;
  const t: CenterNetTargets = {
    heatmap: new Float32Array(oh * ow * numClasses),
    size: new Float32Array(maxObjs * 2),
    offset: new Float32Array(maxObjs * 2),
    index: new Int32Array(maxObjs),
    mask: new Float32Array(maxObjs),
    count: 0,
    dropped: 0,
  };
  objects.boxes.forEach((box, k) => {
    if (objects.iscrowd?.[k]) return;
    const x1 = clamp(box[0] * sx, 0, ow - 1);
    const x2 = clamp(box[2] * sx, 0, ow - 1);
    const y1 = clamp(box[1] * sy, 0, oh - 1);
    const y2 = clamp(box[3] * sy, 0, oh - 1);
    const w = x2 - x1;
    const h = y2 - y1;
    if (!(w > 0 && h > 0)) return;
    if (t.count === maxObjs) {
      t.dropped++;
      return;
    }
    const radius = Math.max(0, Math.trunc(gaussianRadius(Math.ceil(h), Math.ceil(w), minOverlap)));
    const cx = (x1 + x2) / 2;
    const cy = (y1 + y2) / 2;
    const cxi = Math.trunc(cx);
    const cyi = Math.trunc(cy);
    drawGaussian(t.heatmap, ow, oh, cxi, cyi, radius, { channels: numClasses, channel: objects.classIds[k] });
    const slot = t.count++;
    t.size[2 * slot] = w;
    t.size[2 * slot + 1] = h;
    t.offset[2 * slot] = cx - cxi;
    t.offset[2 * slot + 1] = cy - cyi;
    t.index[slot] = cyi * ow + cxi;
    t.mask[slot] = 1;
  });
  return t;
}
