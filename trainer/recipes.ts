// Training defaults. Every preset gets the generic ones; the -tiny presets, whose purpose is to be
// trained on a CPU in minutes, get a recipe measured to do that on the synthetic data (2 cores,
// wasm backend; docs/training.md has the numbers): small batches (more updates per image helped
// far more than large ones: held-out AP50 after 6400 images 0.328 at batch 8 against 0.206 at 16),
// a fixed number of steps instead of epochs (the schedule and the time do not then depend on the
// dataset's size), and no augmentation (from scratch and with plenty of generated images, the
// papers' scale/crop/colour augmentation slowed learning: AP50 0.014 against 0.058 after 375 steps).

import { MULTI_SIZE_MIN_GAIN } from './inference-size.js';
import type { LrSchedule } from './schedule.js';

export interface TrainDefaults {
  /** Epochs, unless `steps` is set. */
  epochs: number;
  /** Total optimiser steps (the last epoch is cut short); undefined: `epochs` whole epochs. */
  steps?: number;
  batch: number;
  lr: number;
  seed: number;
  augment: 'full' | 'none';
  valEvery: number;
  checkpointEvery: number;
  /** Gradient threads on the wasm and cpu backends (data parallel; see TrainOptions.threads). */
  threads: number;
  /** Where the learning rate is divided by 10: fractions of all steps (< 1), or epoch numbers (>= 1). */
  lrSteps: number[];
  /** 'step' (/10 at lrSteps) or 'cosine' (down to 0 over all steps). */
  lrSchedule: LrSchedule;
  /** Random scales of the augmentation's crop (default the official 0.6..1.3). */
  scales?: number[];
  /**
   * The fraction of the planned steps trained on the images as they are before `augment` starts
   * (0: augmented from the first step). Augmentation slows learning from scratch and pays only later
   * (docs/training.md): a first phase without it gets the early progress, the rest its regularisation.
   */
  augmentFrom: number;
  /** Decoupled weight decay of the conv kernels per step, times the learning rate (AdamW); 0: none. */
  weightDecay: number;
  /** Decay of the weight average that validation and export read (trainer/weight-average.ts); 0: none. */
  ema: number;
  /** Stop after this many validations in a row without a better AP; 0: never stop early. */
  patience: number;
  /**
   * Input sizes, as multiples of the training input, among which the exported model's inference
   * input size is chosen by AP on --val at the end (1: the training size, always a candidate).
   */
  inferScales: number[];
  /** Most of those sizes a multi-size test may merge (trainer/inference-size.ts); 1: one size. */
  inferMerge: number;
}

export const TRAIN_DEFAULTS: TrainDefaults = { epochs: 30, batch: 16, lr: 2e-3, seed: 1, augment: 'full', valEvery: 5, checkpointEvery: 100, threads: 2, lrSteps: [0.7, 0.9], lrSchedule: 'step', augmentFrom: 0, weightDecay: 0, ema: 0, patience: 5, inferScales: [1], inferMerge: 1 };

/**
 * The -tiny presets' recipes: under 20 minutes each at 128x128 on this project's 2-core machine,
 * with the default 2 gradient threads (centernet-tiny ~0.18 s a step of 8 images, cornernet-tiny
 * ~0.44 s a step of 16). Measured held out: centernet-tiny AP 0.683 / AP50 0.905 in 19 min 09 s,
 * cornernet-tiny AP 0.664 / AP50 0.808 in 19 min 48 s (at batch 8, 4400 steps: AP50 0.748; its
 * pull/push losses see each thread's 8 images at once, and a step of 16 costs less per image).
 */
export const TINY_RECIPES: Readonly<Record<string, Partial<TrainDefaults>>> = {
  'centernet-tiny': { steps: 6300, batch: 8, augment: 'none' },
  'cornernet-tiny': { steps: 2700, batch: 16, augment: 'none' },
};

/**
 * Presets that start from their official rate, where the shared 2e-3 upsets the first steps.
 * cornernet-saccade (CornerNet_Saccade.json: 2.5e-4): at 63 x 63, batch 4, 16 synthetic images, no
 * augmentation, 12 steps from the same initialisation, 2e-3 sent the second step's attention loss
 * from 15.5 to 493 (every attention map saturated) and its steps 7-12 averaged a total loss of 9.2;
 * 2.5e-4 went from 15.5 to 8.7 and averaged 6.0.
 */
export const PRESET_RECIPES: Readonly<Record<string, Partial<TrainDefaults>>> = {
  'cornernet-saccade': { lr: 2.5e-4 },
};

export function trainDefaults(arch: string): TrainDefaults {
  return { ...TRAIN_DEFAULTS, ...TINY_RECIPES[arch], ...PRESET_RECIPES[arch] };
}

/** How the data compares with what the schedule will consume. */
export type DataKind = 'fixed-set' | 'plenty';

/**
 * A schedule that sees each image at most this many times counts as "plenty of data" (the -tiny
 * recipes' 30,000 generated images: 1.7 passes); more passes over the same images is a fixed set,
 * which the model memorises without augmentation (2,000 images x 25 passes: training loss 0.14
 * against 0.55, held-out AP 0.531).
 */
export const PLENTY_MAX_PASSES = 3;

/**
 * A fixed set's inference input sizes to choose from (multiples of the training input), by AP on
 * --val once training ends. A user's images hold objects as small as its training images, and a
 * model trained at 128x128 with scales 0.8-1.2 told the small ones' classes apart far better when
 * they were enlarged: four centernet-tiny models of the cluttered set (3,300-3,500 steps) scored
 * held-out AP50 0.771-0.790 at 128, 0.846-0.860 at 192 (APs 0.44-0.46 -> 0.62), and less at 256
 * (0.780) as the larger objects outgrew what training showed. The choice includes 1, so it never
 * scores below the training size; a larger choice costs inference time (x 2.25 at 1.5).
 */
export const FIXED_SET_INFER_SCALES: number[] = [1, 1.25, 1.5];

/**
 * What a fixed set gets on top of the preset's recipe (docs/training.md, "Training on a fixed set"):
 * decoupled weight decay always, and the papers' augmentation once the schedule makes more than
 * AUGMENT_FROM_PASSES passes. Measured on a scaled-down fixed set (160 images, 20 passes, 300 held
 * out): AP 0.027 without augmentation, 0.027 with it (still rising steeply, where the memorising run
 * had levelled off), 0.037 with it and weight decay 0.05; a narrower scale range (0.8..1.2) scored
 * 0.032 against the official range's 0.027, so it is used: a user's held-out images have the
 * training images' object sizes, not 0.6x-1.3x of them.
 */
export const FIXED_SET_RECIPE: Partial<TrainDefaults> = { augment: 'full', weightDecay: 0.05, scales: [0.8, 0.9, 1, 1.1, 1.2], inferScales: FIXED_SET_INFER_SCALES, inferMerge: 2 };

/**
 * Up to this many passes a fixed set is trained without augmentation (weight decay only): there the
 * augmentation's slower start costs more than memorisation does. Measured (centernet-tiny, 1000
 * steps of 8, one thread, 300 held out, weight decay 0.05 in both arms): on 2,000 images (4 passes)
 * AP 0.232 without against 0.182 with; on 760 of them (10.5 passes, what a 20-minute budget gives
 * on the slow host of 2026-12) 0.211 against 0.165. Augmentation pays off only when many passes
 * let the model memorise (the 160-image proxy at 20 passes above; the issue's 2,000 images at 25
 * passes without it: AP 0.531 against 0.683 with fresh images).
 */
export const AUGMENT_FROM_PASSES = 12;

/**
 * Per preset, what a fixed set changes besides: centernet-tiny learns faster at a higher rate that
 * decays later (1000 steps of 8 on the 2,000 images, no augmentation, weight decay 0.05, one thread,
 * one seed each: lr 2e-3 /10 at 70% and 90% AP 0.232; 4e-3 0.256; 6e-3 0.263; 4e-3 /10 at 80% and
 * 95% 0.281; a cosine decay from 2e-3 0.187. Runs that differ only in the last bit of one kernel's
 * gradient end ~0.03 AP apart, so each figure alone is that uncertain; the three higher rates all
 * beat 2e-3). cornernet-tiny also takes 4e-3 (its own decay points, 70% and 90%): one 20-minute
 * run each on the cluttered fixed set (seed 13, 2,000 images, 300 held out, geometric pair score):
 * 2e-3 AP 0.595 / AP50 0.766 after 2,472 steps, 4e-3 0.639 / 0.817 after 2,702 (docs/training.md).
 * centernet-tiny also starts its augmentation at 30% of the steps (augmentFrom; it matters only where
 * the augmentation is on): without augmentation it had led an augmented run until ~45% of the steps
 * (AP 0.426 against 0.34 at 1,800 of 3,827) and then fallen behind, so the first phase takes the
 * early lead and the rest the augmentation's later gain. The 20-minute acceptance command on the
 * shapes set (seed 7): AP 0.660 / AP50 0.901 at the chosen size 160 (5,117 steps; 0.638 / 0.874 at
 * 128) against 0.646 / 0.880 (4,424 steps on a slower hour; 0.617 / 0.845 at 128) augmented from
 * the start; the cluttered set (seed 13): 0.658 / 0.889 at 192 (5,329 steps) against 0.660 / 0.881
 * (4,681 steps). docs/training.md ("The ninth runs") has the curves and a same-hour comparison.
 */
export const FIXED_SET_PRESET: Readonly<Record<string, Partial<TrainDefaults>>> = {
  'centernet-tiny': { lr: 4e-3, lrSteps: [0.8, 0.95], augmentFrom: 0.3 },
  'cornernet-tiny': { lr: 4e-3 },
};

export interface RecipeChoice {
  defaults: TrainDefaults;
  kind: DataKind;
  /** Times the schedule visits each image (steps x batch / images). */
  passes: number;
  /** One line for the log: what was chosen and why. */
  why: string;
}

/**
 * The defaults for training `arch` on `images` images: the preset's recipe, plus FIXED_SET_RECIPE
 * when the schedule would visit each image more than PLENTY_MAX_PASSES times. `given` holds the
 * options the user set (they change the count of passes: --steps, --epochs, --batch).
 */
export function chooseRecipe(arch: string, images: number, given: { steps?: number; epochs?: number; batch?: number } = {}): RecipeChoice {
  if (!(Number.isInteger(images) && images > 0)) throw new Error(`chooseRecipe: images must be a positive integer, got ${images}`);
  const base = trainDefaults(arch);
  const batch = given.batch ?? base.batch;
  // --epochs alone means whole epochs, even where the recipe counts steps
  const steps = given.steps ?? (given.epochs !== undefined ? undefined : base.steps);
  const passes = steps !== undefined ? (steps * batch) / images : (given.epochs ?? base.epochs);
  const schedule = steps !== undefined ? `${steps} steps of ${batch} on ${images} images` : `${given.epochs ?? base.epochs} epochs of ${images} images`;
  if (passes <= PLENTY_MAX_PASSES) {
    return { defaults: base, kind: 'plenty', passes, why: `${schedule} = ${passes.toFixed(1)} passes over each image (<= ${PLENTY_MAX_PASSES}): plenty of data, the ${arch} recipe as it is (augment ${base.augment})` };
  }
  const augmented = passes > AUGMENT_FROM_PASSES;
  // below the threshold the preset's own augmentation stays (the -tiny presets': none)
  const preset = FIXED_SET_PRESET[arch] ?? {};
  const defaults: TrainDefaults = augmented ? { ...base, ...FIXED_SET_RECIPE, ...preset } : { ...base, weightDecay: FIXED_SET_RECIPE.weightDecay!, ...preset };
  const extras = [
    augmented ? `augment ${defaults.augment}${defaults.scales ? ` (scales ${defaults.scales[0]}..${defaults.scales[defaults.scales.length - 1]})` : ''}${defaults.augmentFrom > 0 ? ` from ${Math.round(defaults.augmentFrom * 100)}% of the steps (none before: it slows the first learning)` : ''}` : `augment ${defaults.augment} as the preset (<= ${AUGMENT_FROM_PASSES} passes: the fixed-set augmentation would slow learning more than memorisation costs)`,
    ...(defaults.weightDecay > 0 ? [`weight decay ${defaults.weightDecay}`] : []),
    ...(defaults.inferScales.some((v) => v !== 1) ? [`inference size chosen on --val among ${defaults.inferScales.join(', ')}x the training input${defaults.inferMerge > 1 ? ` (for a CenterNet, up to ${defaults.inferMerge} of them merged, a multi-size test, where that gains ${MULTI_SIZE_MIN_GAIN} AP)` : ''}`] : []),
    ...(preset.lr !== undefined ? [`lr ${defaults.lr} /10 at ${defaults.lrSteps.map((v) => `${Math.round(v * 100)}%`).join(' and ')} of the steps`] : []),
  ];
  return { defaults, kind: 'fixed-set', passes, why: `${schedule} = ${passes.toFixed(1)} passes over each image (> ${PLENTY_MAX_PASSES}): a fixed set, which a model memorises; so ${extras.join(', ')}` };
}
