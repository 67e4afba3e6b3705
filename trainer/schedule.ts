// Schedule arithmetic of a training run: how often to validate, and `--time-budget`: how many
// steps fit a wall-clock budget, from the measured cost of the first steps and of one validation.
// The learning-rate decay points are fractions of all steps (recipes.ts), so they follow.

/** How the learning rate falls over a run (--lr-schedule). */
export type LrSchedule = 'step' | 'cosine';
export const LR_SCHEDULES: readonly LrSchedule[] = ['step', 'cosine'];

/**
 * Where refits of --time-budget stop under the cosine schedule (a fraction of the steps): a refit
 * changes the total, so it bends the cosine a little; after this point the lr is low and the run is
 * settling, and a late change would move its end.
 */
export const COSINE_REFIT_UNTIL = 0.7;

export interface LrPlan {
  lr: number;
  schedule: LrSchedule;
  /** 'step': where the lr is divided by 10, fractions of all steps (< 1) or epoch numbers (>= 1). */
  lrSteps: number[];
  stepsPerEpoch: number;
}

/**
 * The learning rate of step `step` (0-based) of `total`. 'step': the papers' step decay, /10 at each
 * of lrSteps. 'cosine': a half cosine from lr at the first step down to 0 after the last, which in
 * short runs spends more of the steps at a low rate than a late step decay does.
 */
export function learningRateAt(p: LrPlan, step: number, total: number): number {
  if (p.schedule === 'cosine') return p.lr * 0.5 * (1 + Math.cos((Math.PI * Math.min(step, total)) / Math.max(1, total)));
  return p.lr * 0.1 ** p.lrSteps.filter((s) => (s < 1 ? step >= s * total : step >= s * p.stepsPerEpoch)).length;
}

/** The fraction of all steps before which --time-budget may refit its plan (see refitSchedule). */
export function refitHorizon(p: LrPlan): number {
  return p.schedule === 'cosine' ? COSINE_REFIT_UNTIL : Math.min(1, ...p.lrSteps.filter((v) => v < 1));
}

/** Validations per run by default: often enough to catch the best point, cheap enough to ignore. */
export const VALIDATIONS_PER_RUN = 10;

/** Steps between validations: VALIDATIONS_PER_RUN of them over `totalSteps`. */
export function defaultValSteps(totalSteps: number): number {
  return Math.max(1, Math.round(totalSteps / VALIDATIONS_PER_RUN));
}

/** "20m", "90s", "1h30m", "1.5h" or a plain number of seconds -> seconds. */
export function parseDuration(text: string, what = '--time-budget'): number {
  const t = String(text).trim();
  if (/^\d+(\.\d+)?$/.test(t)) return check(Number(t));
  const m = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(t);
  if (!m || t === '' || (m[1] === undefined && m[2] === undefined && m[3] === undefined)) throw new Error(`${what} must be a duration like 20m, 90s, 1h30m or a number of seconds, got ${JSON.stringify(text)}`);
  return check(Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0));
  function check(s: number): number {
    if (!(s > 0 && Number.isFinite(s))) throw new Error(`${what} must be a positive duration, got ${JSON.stringify(text)}`);
    return s;
  }
}

export interface BudgetMeasure {
  /** The budget, seconds of wall clock from the start of the run. */
  budgetS: number;
  /** Seconds used so far (setup, the measured steps, the measuring validation). */
  elapsedS: number;
  /** Steps done so far. */
  stepsDone: number;
  /** Measured seconds per step (checkpoint writes included). */
  stepS: number;
  /** Measured seconds per validation (0 without --val). */
  valS: number;
  /** Validations per run (VALIDATIONS_PER_RUN), the final one included. */
  validations?: number;
  /** Fraction of the budget kept in reserve for what was not measured (the final export, noise). Default 0.03. */
  reserve?: number;
}

export interface BudgetPlan {
  totalSteps: number;
  /** Seconds the plan expects the whole run to take. */
  expectedS: number;
}

/**
 * The most steps that fit: elapsed + (T - done) stepS + validations valS <= budget (1 - reserve).
 * Never fewer than the steps already done.
 */
export function fitSchedule(m: BudgetMeasure): BudgetPlan {
  for (const key of ['budgetS', 'stepS'] as const) if (!(m[key] > 0 && Number.isFinite(m[key]))) throw new Error(`fitSchedule: ${key} must be a positive number, got ${m[key]}`);
  for (const key of ['elapsedS', 'stepsDone', 'valS'] as const) if (!(m[key] >= 0 && Number.isFinite(m[key]))) throw new Error(`fitSchedule: ${key} must be a non-negative number, got ${m[key]}`);
  const validations = m.validations ?? VALIDATIONS_PER_RUN;
  const usable = m.budgetS * (1 - (m.reserve ?? 0.03)) - m.elapsedS - validations * m.valS;
  const more = Math.max(0, Math.floor(usable / m.stepS));
  const totalSteps = m.stepsDone + more;
  return { totalSteps, expectedS: m.elapsedS + more * m.stepS + validations * m.valS };
}

export interface RefitMeasure extends BudgetMeasure {
  /** The steps planned so far. */
  totalSteps: number;
  /** The first learning-rate decay point, a fraction of all steps (recipes' lrSteps, e.g. 0.7). */
  firstDecay: number;
}

/**
 * --time-budget, refitted along the run: the first steps (on which the plan was made) run slower than
 * the steady state (compilation, caches filling), so a plan from them alone left minutes of the
 * budget unused. At each validation the plan is fitted again from the costs measured since, while
 * the learning rate has not decayed; the decay points are fractions of the total, so a new total is
 * never below the smallest one whose first decay is still ahead (a slow run then overshoots its
 * budget a little rather than decay retroactively). Returns the new total, or undefined to keep it.
 */
export function refitSchedule(m: RefitMeasure): number | undefined {
  if (!(m.firstDecay > 0 && m.firstDecay <= 1)) throw new Error(`refitSchedule: firstDecay must be in (0, 1], got ${m.firstDecay}`);
  const decayAhead = (total: number) => Math.ceil(m.firstDecay * total) > m.stepsDone;
  if (!decayAhead(m.totalSteps)) return undefined;
  // the smallest total whose first decay is after this step (float-safe around stepsDone / firstDecay)
  let least = Math.floor(m.stepsDone / m.firstDecay) + 1;
  while (least > m.stepsDone + 1 && decayAhead(least - 1)) least--;
  while (!decayAhead(least)) least++;
  const totalSteps = Math.max(fitSchedule(m).totalSteps, least);
  return totalSteps === m.totalSteps ? undefined : totalSteps;
}

/**
 * --time-budget after the refits: once the learning rate has decayed the total no longer grows,
 * but a host that slows down late would carry the run past its budget (a cluttered-set run of
 * 2026-12-04 ended at 20m23s of 20m: its last refit, just before the decay, was held at the
 * smallest total that kept the decay ahead, and its last steps ran 0.234 s instead of 0.200). So
 * the total only shrinks from there: the most steps that fit without reserve, at least one more.
 * A shorter total moves the later decay points earlier, never back before a step already done.
 * Returns the new total, or undefined to keep it.
 */
export function trimSchedule(m: BudgetMeasure & { totalSteps: number }): number | undefined {
  const fit = Math.max(m.stepsDone + 1, fitSchedule({ ...m, reserve: 0 }).totalSteps);
  return fit < m.totalSteps ? fit : undefined;
}
