// Validation-driven training: after each validation, is this the best model so far (by COCO AP),
// and has AP stopped improving for `patience` validations in a row (early stop)? The record lives
// in the checkpoint's state, so --resume continues with the best-so-far.

export interface BestRecord {
  /** The step whose weights scored best (they are in best.safetensors). */
  step: number;
  /** The validation numbers of that step (AP, AP50, ...). */
  val: Record<string, number>;
}

export interface ValidationOutcome {
  best: BestRecord;
  /** Validations since the best one (0: this one is the best). */
  sinceBest: number;
  improved: boolean;
  /** Patience ran out: stop training. */
  stop: boolean;
}

/** The score a validation is ranked by: COCO AP (a NaN, e.g. no ground truth, ranks lowest). */
export function scoreOf(val: Record<string, number>): number {
  const ap = val.AP;
  return typeof ap === 'number' && Number.isFinite(ap) ? ap : -Infinity;
}

/**
 * Folds one validation into the record. Strictly better AP only: on a tie the earlier (less
 * trained, equally good) model stays. patience 0 never stops.
 */
export function afterValidation(prev: { best?: BestRecord; sinceBest?: number }, step: number, val: Record<string, number>, patience: number): ValidationOutcome {
  if (!prev.best || scoreOf(val) > scoreOf(prev.best.val)) return { best: { step, val }, sinceBest: 0, improved: true, stop: false };
  const sinceBest = (prev.sinceBest ?? 0) + 1;
  return { best: prev.best, sinceBest, improved: false, stop: patience > 0 && sinceBest >= patience };
}
