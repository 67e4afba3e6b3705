// A stand-in target builder for the loader tests (the real ones live in trainer/targets/): it
// records each image's objects in fixed-size arrays, so tests can check that targets follow the
// augmented boxes and are concatenated image after image. Loaded by module path, also in workers.
import type { ImageTargets, ResolvedTargetSpec } from '../../trainer/data/target-spec.js';
import type { BoxXYXY } from '../../trainer/data/types.js';

export function buildTargets(spec: ResolvedTargetSpec, boxes: BoxXYXY[], classIds: number[], crowd: boolean[]): ImageTargets {
  const [oh, ow] = spec.outputSize;
  const [ih, iw] = spec.inputSize;
  const slots = spec.maxObjects;
  const corners = new Float32Array(slots * 4);
  const classes = new Int32Array(slots).fill(-1);
  const centreCells = new Int32Array(slots).fill(-1);
  let count = 0;
  boxes.forEach((b, k) => {
    if (crowd[k] || count === slots) return;
    corners.set(b, count * 4);
    classes[count] = classIds[k];
    const cx = Math.min(ow - 1, Math.floor((((b[0] + b[2]) / 2) * ow) / iw));
    const cy = Math.min(oh - 1, Math.floor((((b[1] + b[3]) / 2) * oh) / ih));
    centreCells[count] = cy * ow + cx;
    count++;
  });
  return { corners, classes, centreCells, count };
}

/** Absolute path of this module, for TargetSpec.module. */
export const PLACEHOLDER_TARGETS = new URL(import.meta.url).href;
