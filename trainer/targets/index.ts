// The loader's target builder (trainer/data/target-spec.ts names it `buildTargets`): one image's
// boxes after augmentation -> the detector's training targets, made next to each batch (in the
// loader's worker threads).
import type { ImageTargets, ResolvedTargetSpec } from '../data/target-spec.js';
import type { BoxXYXY } from '../data/types.js';
import { centerNetTargets } from './centernet-targets.js';
import { cornerNetTargets } from './cornernet-targets.js';
import { saccadeTargets } from './saccade-targets.js';

/** Batch target name of CornerNet-Saccade's attention map i (deepest first). */
export const attentionTarget = (level: number) => `attention${level}`;

export function buildTargets(spec: ResolvedTargetSpec, boxes: BoxXYXY[], classIds: number[], crowd: boolean[], visible?: number[]): ImageTargets {
  const objects = { boxes, classIds, iscrowd: crowd, ...(visible ? { visible } : {}) };
  const geometry = { inputSize: spec.inputSize, outputSize: spec.outputSize, numClasses: spec.numClasses, maxObjs: spec.maxObjects };
  if (spec.kind === 'centernet') return { ...centerNetTargets(objects, geometry) };
  const radius = spec.radius ? { radius: spec.radius } : {};
  if (spec.kind === 'cornernet') return { ...cornerNetTargets(objects, { ...geometry, ...radius }) };
  if (spec.kind === 'cornernet-saccade') {
    if (!spec.attention) throw new Error(`buildTargets: kind 'cornernet-saccade' needs the spec's attention geometry`);
    const { attention, ...corner } = saccadeTargets(objects, { ...geometry, ...radius, attention: spec.attention });
    return { ...corner, ...Object.fromEntries(attention.map((map, i) => [attentionTarget(i), map])) };
  }
  throw new Error(`buildTargets: unknown target kind ${JSON.stringify(spec.kind)}`);
}
