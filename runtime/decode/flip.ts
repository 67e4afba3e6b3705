// Flip-test merging (official test code): CenterNet averages the heatmap (after sigmoid) and wh of
// the image with the mirrored maps of the flipped image, offsets from the unflipped image only;
// CornerNet decodes both images and mirrors the flipped image's boxes back.
import { checkTensor, type Tensor } from '../ops/tensor.js';
import { flipHorizontal } from '../image/flip.js';
import type { Detection } from './boxes.js';

/** (a + mirror(flipped)) / 2 for two NHWC maps of one shape. */
export function averageWithFlipped(a: Tensor, flipped: Tensor): Tensor {
  checkTensor('averageWithFlipped', 'a', a);
  checkTensor('averageWithFlipped', 'flipped', flipped);
  if (a.shape.join() !== flipped.shape.join()) throw new Error(`averageWithFlipped: a has shape [${a.shape}] but flipped has [${flipped.shape}]`);
  const back = flipHorizontal(flipped).data;
  const out = new Float32Array(a.data.length);
  for (let i = 0; i < out.length; i++) out[i] = (a.data[i] + back[i]) / 2;
  return { data: out, shape: [...a.shape] };
}

/**
 * Boxes decoded on a mirrored input, mirrored back: x -> width - x (official: out_w - x on the
 * feature map). width = feature-map width x the stride the decode used.
 */
export function mirrorDetections(dets: readonly Detection[], width: number): Detection[] {
  if (typeof width !== 'number' || !Number.isFinite(width)) throw new Error(`mirrorDetections: width must be a finite number, got ${String(width)}`);
  return dets.map((d) => ({ box: { xmin: width - d.box.xmax, ymin: d.box.ymin, xmax: width - d.box.xmin, ymax: d.box.ymax }, score: d.score, classId: d.classId }));
}
