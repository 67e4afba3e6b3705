// The loader's target builder (trainer/data/target-spec.ts names it `buildTargets`): one image's
// boxes after augmentation -> the detector's training targets, made next to each batch (in the
// loader's worker threads).
import type { ImageTargets, ResolvedTargetSpec } from '../data/target-spec.js';
import type { BoxXYXY } from '../data/types.js';
import { centerNetTargets } from './centernet-targets.js';
import { cornerNetTargets } from './cornernet-targets.js';

export function buildTargets(spec: ResolvedTargetSpec, boxes: BoxXYXY[], classIds: number[], crowd: boolean[]): ImageTargets {
  const objects = { boxes, classIds, iscrowd: crowd };
  const geometry = { inputSize: spec.inputSize, outputSize: spec.outputSize, numClasses: spec.numClasses, maxObjs: spec.maxObjects };
  if (spec.kind === 'centernet') return { ...centerNetTargets(objects, geometry) };
  if (spec.kind === 'cornernet') return { ...cornerNetTargets(objects, geometry) };
  throw new Error(`buildTargets: unknown target kind ${JSON.stringify(spec.kind)}`);
}
