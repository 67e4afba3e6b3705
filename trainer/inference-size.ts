// The exported model's inference input: one size, or a multi-size test (several sizes whose
// detections detect() merges), chosen at the end of training by AP on --val. On the issue-11 fixed
// sets a centernet-tiny model scored AP50 0.876-0.889 at its best single size and 0.895-0.903 with
// two sizes merged by soft-NMS, 0.898-0.905 fused (docs/training.md, "Multi-size test" and "Box
// fusion"), on the validation images and on 1,000 held-out ones alike; the runs cost the sum of
// the sizes' areas.
import type { TestMerge } from '../runtime/model/config.js';

/** A candidate and its validation: one size, or several merged. */
export interface SizeTrial {
  sizes: [number, number][];
  val: Record<string, number>;
}

/**
 * How `train` merges a multi-size test's sizes (and writes in the model's testMerge): weighted
 * boxes fusion, which beat per-class soft-NMS (the papers' multi-scale merge) in each of 12
 * held-out comparisons, 4 centernet-tiny models x 3 size pairs: +0.012-0.022 AP, +0.001-0.011 AP50
 * (docs/training.md, "Box fusion").
 */
export const TRAIN_TEST_MERGE: TestMerge = 'wbf';

/**
 * AP a multi-size test must gain over the best single size to be chosen: it costs the sum of its
 * runs (160 + 192 px: 1.7x the time of 192 alone), so a gain within validation noise is not worth it.
 */
export const MULTI_SIZE_MIN_GAIN = 0.01;

/**
 * The inference input sizes of `scales` x the training input `size`, each side rounded to the
 * nearest multiple of the architecture's `multiple` (at least one), without repeats, smallest first.
 */
export function candidateSizes(size: [number, number], scales: readonly number[], multiple: number): [number, number][] {
  const round = (v: number) => Math.max(multiple, Math.round(v / multiple) * multiple);
  const sizes = scales.map((s): [number, number] => [round(size[0] * s), round(size[1] * s)]);
  const seen = new Set<string>();
  return sizes.filter((z) => !seen.has(z.join()) && seen.add(z.join())).sort((a, b) => a[0] * a[1] - b[0] * b[1]);
}

/** Every choice of 2..most of `items`, in their order (combinations, not permutations). */
export function combinations<T>(items: readonly T[], most: number): T[][] {
  const out: T[][] = [];
  const grow = (start: number, chosen: T[]) => {
    if (chosen.length >= 2) out.push(chosen);
    if (chosen.length === most) return;
    for (let i = start; i < items.length; i++) grow(i + 1, [...chosen, items[i]]);
  };
  grow(0, []);
  return out;
}

/** Network runs' cost of a trial: the sum of its sizes' pixels. */
export const trialCost = (t: SizeTrial) => t.sizes.reduce((sum, [h, w]) => sum + h * w, 0);

/**
 * The best single size by AP (a tie keeps the cheaper), replaced by the best multi-size test (a tie
 * keeps the cheaper) only when that beats it by at least `minGain` AP. NaN never wins.
 */
export function chooseInference(singles: readonly SizeTrial[], merged: readonly SizeTrial[], minGain = MULTI_SIZE_MIN_GAIN): { chosen: SizeTrial; single: SizeTrial; bestMerged?: SizeTrial } {
  if (singles.length === 0 || singles.some((t) => t.sizes.length !== 1)) throw new Error('chooseInference: expected at least one single-size trial');
  const best = (ts: readonly SizeTrial[]) => [...ts].sort((a, b) => trialCost(a) - trialCost(b)).reduce((a, b) => (b.val.AP > a.val.AP || Number.isNaN(a.val.AP) ? b : a));
  const single = best(singles);
  if (merged.length === 0) return { chosen: single, single };
  const bestMerged = best(merged);
  const chosen = bestMerged.val.AP >= (Number.isNaN(single.val.AP) ? -Infinity : single.val.AP + minGain) ? bestMerged : single;
  return { chosen, single, bestMerged };
}
