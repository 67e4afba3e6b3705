// Training defaults. Every preset gets the generic ones; the -tiny presets, whose purpose is to be
// trained on a CPU in minutes, get a recipe measured to do that on the synthetic data (2 cores,
// wasm backend; models/README.md has the numbers): small batches (more updates per image helped
// far more than large ones: held-out AP50 after 6400 images 0.328 at batch 8 against 0.206 at 16),
// a fixed number of steps instead of epochs (the schedule and the time do not then depend on the
// dataset's size), and no augmentation (from scratch and with plenty of generated images, the
// papers' scale/crop/colour augmentation slowed learning: AP50 0.014 against 0.058 after 375 steps).

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
}

export const TRAIN_DEFAULTS: TrainDefaults = { epochs: 30, batch: 16, lr: 2e-3, seed: 1, augment: 'full', valEvery: 5, checkpointEvery: 100, threads: 2, lrSteps: [0.7, 0.9] };

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

export function trainDefaults(arch: string): TrainDefaults {
  return { ...TRAIN_DEFAULTS, ...TINY_RECIPES[arch] };
}
