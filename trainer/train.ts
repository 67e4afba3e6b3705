// The training loop: dataset -> augmented batches -> targets -> the papers' losses -> Adam with
// step decay; metrics.jsonl (+ metrics.svg), a progress bar, validation through the runtime every
// few steps keeping the best model (best.safetensors) and stopping when it no longer improves,
// atomic checkpoints with exact resume, and the exported model.safetensors (the best one) at the end.
import { appendFile, mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Optimizer, Tensor } from '@tensorflow/tfjs-core';
import { buildGraph } from '../runtime/model/registry.js';
import { MAX_TEST_SIZES, type ModelConfig } from '../runtime/model/config.js';
import { inferShapes, paramSpecs, type Graph } from '../runtime/model/graph.js';
import { readModelFile, writeModelFile } from '../runtime/weights/model-file.js';
import { BACKENDS, selectBackend, type BackendName, type TF } from './backend.js';
import { CHECKPOINT_FILE, readCheckpoint, writeCheckpoint, type TrainState } from './checkpoint.js';
import { loadDataset } from './data/load.js';
import { archConfig } from './arch.js';
import { modelTargetSpec } from './targets/model-spec.js';
import { createLoader, type Batch } from './data/loader.js';
import type { Dataset } from './data/types.js';
import { evaluateModel, mergeEvaluations, type Evaluation } from './evaluate.js';
export { candidateSizes } from './inference-size.js';
import { candidateSizes, chooseInference, combinations, MULTI_SIZE_MIN_GAIN, TRAIN_TEST_MERGE, trialCost, type SizeTrial } from './inference-size.js';
import { exportParams, initParams, loadParams, type ModelParams } from './model/params.js';
import { GradientWorkers } from './parallel/gradient-workers.js';
import { shardGradients } from './step.js';
import { applyAdam, createAdam, optimizerState, restoreOptimizer, setLearningRate } from './optimizer.js';
import { writeFileAtomic } from './util/atomic-write.js';
import { createWeightAverage, type WeightAverage } from './weight-average.js';
import { formatSeconds, Progress } from './util/progress.js';
import { chooseRecipe, type RecipeChoice, type TrainDefaults } from './recipes.js';
import { afterValidation, type BestRecord } from './best-model.js';
import { LR_SCHEDULES, VALIDATIONS_PER_RUN, defaultValSteps, fitSchedule, learningRateAt, refitHorizon, refitSchedule, trimSchedule, type LrPlan, type LrSchedule } from './schedule.js';
import { metricsSvg, type MetricsLine } from './util/metrics-plot.js';

/** The best validated model so far (F32), kept next to the checkpoint. */
export const BEST_FILE = 'best.safetensors';
/** --time-budget: steps before the measurement starts (compilation, caches), and steps measured. */
const BUDGET_WARMUP_STEPS = 3;
const BUDGET_MEASURED_STEPS = 20;

export interface TrainOptions {
  /** Training dataset folder (COCO: annotations.json + images/; or a VOC folder). */
  data: string;
  /** Validation dataset folder (optional: without it, no AP is reported). */
  val?: string;
  /** VOC/YOLO split of `data` (default trainval, else train) and of `val` (default test, else val). */
  split?: string;
  valSplit?: string;
  /** Class names in channel order (VOC: default the sorted names in the XML files; YOLO: names for a folder without them). */
  classes?: string[];
  /** A preset name, or a model config JSON file (trainer/arch.ts). */
  arch: string;
  out: string;
  epochs?: number;
  /** Total optimiser steps, instead of whole epochs (the last epoch is cut short). */
  steps?: number;
  batch?: number;
  lr?: number;
  /** [height, width]; default the preset's. */
  inputSize?: [number, number];
  /** Where the learning rate is divided by 10: fractions of all steps (< 1), or epoch numbers (>= 1). */
  lrSteps?: number[];
  /** 'step' (the papers': /10 at lrSteps) or 'cosine' (down to 0 over all steps); default by the recipe. */
  lrSchedule?: LrSchedule;
  resume?: boolean;
  backend?: string;
  seed?: number;
  /** Also validate at the end of every this many epochs (default: by steps only, see valSteps). */
  valEvery?: number;
  /** Validate every this many steps (and after the last); default: 20 validations per run. */
  valSteps?: number;
  /** Stop after this many validations in a row without a better AP (0: never). Default 5. */
  patience?: number;
  /** Fit the number of steps (and so the lr decay points) to this many seconds of wall clock, measured on the first steps. */
  timeBudget?: number;
  /** Decoupled weight decay of the conv kernels (AdamW); default by the recipe. */
  weightDecay?: number;
  /** Random scales of the crop augmentation; default by the recipe (the official 0.6..1.3). */
  scales?: number[];
  /**
   * Decay of the exponential moving average of the weights (trainer/weight-average.ts) that
   * validation and export read instead of the last weights; 0: none. Default by the recipe.
   */
  ema?: number;
  /**
   * Inference input sizes to choose the exported model's from, as multiples of the training input
   * (rounded to the architecture's size multiple), by AP on `val` after training; default by the
   * recipe ([1]: the training size; a fixed set: FIXED_SET_INFER_SCALES).
   */
  inferScales?: number[];
  /**
   * Most of those sizes a multi-size test may merge (detections of each size merged by weighted
   * boxes fusion, TRAIN_TEST_MERGE; the model file's testSizes and testMerge): 1 exports one size. CenterNet only. Default by the recipe
   * (1; a fixed set: 2).
   */
  inferMerge?: number;
  /** AP a multi-size test must gain on --val over the best single size to be exported (default MULTI_SIZE_MIN_GAIN, 0.01). */
  inferMergeGain?: number;
  /**
   * Replaces the validation through the runtime (tests): gets the model file (F32) and the step,
   * returns at least { AP }.
   */
  validateWith?: (model: Uint8Array, valSet: Dataset, step: number) => Promise<Record<string, number>>;
  /** Write a checkpoint every this many steps (and at every epoch end). */
  checkpointEvery?: number;
  /** Stop after this many optimiser steps in this run (CI, benchmarks); the checkpoint allows resuming. */
  maxSteps?: number;
  /**
   * 'full': the papers' augmentation (random scale 0.6-1.3 and crop, flip, colour jitter, PCA
   * lighting); 'none': images as they are (centred, no flip). Default: trainDefaults(arch).
   */
  augment?: 'full' | 'none';
  /**
   * The fraction of the planned steps (in [0, 1)) trained without augmentation before `augment`
   * starts; default by the recipe (0, or a fixed set's centernet-tiny 0.3).
   */
  augmentFrom?: number;
  /**
   * Threads that compute a step's gradients, each on a share of the batch (data parallel, as
   * PyTorch's DataParallel); wasm and cpu backends only (the native ones run their own threads).
   * Default trainDefaults(arch).threads (2) there, 1 on native backends.
   */
  threads?: number;
  /** Loader worker threads (0: decode and augment in this thread). */
  workers?: number;
  /** Export F16 weights (half the size). */
  f16?: boolean;
  /** Where one-line messages go (default stderr). */
  log?: (line: string) => void;
}

export interface TrainResult {
  modelFile: string | undefined;
  state: TrainState;
  lastLoss: number;
  firstLoss: number;
  /** The exported model's validation numbers (the best validation). */
  val?: Record<string, number>;
  /** The best validation: its step and numbers (undefined without --val). */
  best?: BestRecord;
  /** Why training ended before its last step ('patience'), if it did. */
  stopped?: string;
  recipe: RecipeChoice;
}

/**
 * Unset options take chooseRecipe(o.arch, images) (trainer/recipes.ts): the -tiny presets have their
 * own recipe, and a fixed set (many passes over the same images) gets augmentation on top.
 */
export async function train(o: TrainOptions): Promise<TrainResult> {
  const startedAt = Date.now();
  const log = o.log ?? ((line: string) => console.error(line));
  // --epochs given alone means whole epochs, even where the recipe counts steps
  const withDefaults = (defaults: TrainDefaults) => ({ ...(o.epochs !== undefined && o.steps === undefined ? { ...defaults, steps: undefined } : defaults), ...definedOnly(o) }) as TrainDefaults & TrainOptions;
  checkOptions(withDefaults(chooseRecipe(o.arch, 1).defaults), o);
  // every check that needs no backend comes first: a bad argument prints nothing else and
  // leaves no --out folder behind
  const outInfo = await stat(o.out).catch(() => undefined);
  if (outInfo && !outInfo.isDirectory()) throw new Error(`train: --out ${o.out} exists and is not a folder`);
  const ckptFile = path.join(o.out, CHECKPOINT_FILE);
  const hasCheckpoint = outInfo !== undefined && (await exists(ckptFile));
  if (hasCheckpoint && !o.resume) throw new Error(`train: ${o.out} already holds a checkpoint; add --resume to continue it, or choose another --out`);

  const trainSet = await loadDataset(o.data, { role: 'train', split: o.split, classes: o.classes });
  const ckpt = hasCheckpoint ? await readCheckpoint(ckptFile) : undefined;
  // --time-budget: the recipe is chosen again for the planned steps (below); a resumed run takes that choice
  const recipeFor = (steps: number | undefined) => chooseRecipe(o.arch, Math.max(1, trainSet.images.length), { steps, epochs: o.epochs, batch: o.batch });
  let recipe = recipeFor(o.steps ?? ckpt?.state.recipeSteps);
  let opts = withDefaults(recipe.defaults);
  // the validation set takes the training set's channels (a VOC split may lack some classes)
  const valSet = o.val ? await loadDataset(o.val, { role: 'eval', split: o.valSplit, classes: trainSet.labels }) : undefined;
  if (valSet && valSet.labels.join() !== trainSet.labels.join()) {
    throw new Error(`train: --val ${o.val} has classes [${valSet.labels}] but --data ${o.data} has [${trainSet.labels}]`);
  }

  let state: TrainState = ckpt?.state ?? { epoch: 0, stepInEpoch: 0, globalStep: 0, arch: opts.arch, seed: opts.seed, batch: opts.batch, elapsed: 0 };
  if (ckpt) {
    for (const key of ['arch', 'seed', 'batch'] as const) {
      if (o[key] !== undefined && o[key] !== state[key]) throw new Error(`train --resume: --${key} ${o[key]} differs from the checkpoint's ${state[key]}`);
    }
  }
  const config: ModelConfig = ckpt?.config ?? (await archConfig(opts.arch, { command: 'train', labels: trainSet.labels, ...(o.inputSize ? { inputSize: o.inputSize } : {}) }));
  if (o.inferMerge !== undefined && o.inferMerge > 1 && config.detector !== 'centernet') {
    throw new Error(`train: --infer-merge ${o.inferMerge}: the multi-size test is chosen for CenterNet models only (a ${config.detector}'s detections of one size are soft-NMS merged already; ObjectDetector's inputSizes runs one for any model)`);
  }
  if (config.labels.join() !== trainSet.labels.join()) throw new Error(`train --resume: the checkpoint's classes [${config.labels}] differ from --data's [${trainSet.labels}]`);
  const graph = buildGraph(config);
  if (trainSet.description) log(`train: --data ${trainSet.description}`);
  const [inH, inW] = config.inputSize;
  const shapes = inferShapes(graph, inH, inW);
  const firstHead = Object.values(graph.heads)[0][0];
  const outputSize: [number, number] = [shapes.get(firstHead)!.h, shapes.get(firstHead)!.w];
  if (trainSet.images.length < state.batch) {
    throw new Error(`train: --data ${o.data} has ${trainSet.images.length} image(s), fewer than one batch of ${state.batch}: give a smaller --batch`);
  }

  await mkdir(o.out, { recursive: true });
  await removeStaleTemporaries(o.out);
  if (!hasCheckpoint && o.resume) log(`train: --resume given but ${ckptFile} does not exist: starting from scratch`);
  const { tf, name: backendName } = await selectBackend(o.backend, { log });

  const params = initParams(tf, graph, state.seed);
  const optimizer = createAdam(tf, opts.lr);
  if (ckpt) {
    loadParams(tf, params, ckpt.params, ckptFile);
    await restoreOptimizer(tf, optimizer, ckpt.optimizer);
    log(`resuming ${ckptFile}: epoch ${state.epoch + 1}, step ${state.stepInEpoch} of it, ${state.globalStep} steps done`);
  }

  /** The augmentation of step `step` (0-based) of `planned`: none before --augment-from's share of them. */
  const augmentAt = (step: number, planned: number) => (step < opts.augmentFrom * planned ? 'none' : opts.augment);
  // the loader's steps per epoch (it drops the last partial batch), for the first plan: totalSteps needs the loader
  let loaderAugment = augmentAt(state.globalStep, state.plannedSteps ?? opts.steps ?? opts.epochs * Math.floor(trainSet.images.length / state.batch));
  const targets = modelTargetSpec(config, graph, shapes);
  // CornerNet-Saccade's own crops (zoomed on one object, so that each attention map's size range is trained)
  const cropMode = targets.kind === 'cornernet-saccade' ? { mode: 'saccade' as const } : {};
  const startLoader = () =>
    createLoader(trainSet, {
      batchSize: state.batch,
      inputSize: [inH, inW],
      outputSize,
      mean: config.mean,
      std: config.std,
      seed: state.seed,
      targets,
      augment: loaderAugment === 'none' ? false : { ...cropMode, ...(opts.scales ? { scales: opts.scales } : {}) },
      workers: opts.workers,
    });
  let loader = await startLoader();
  // the native backends and webgpu run their own parallelism: one thread drives them
  const native = backendName === 'tfjs-node' || backendName === 'tfjs-node-gpu' || backendName === 'webgpu';
  if (native && o.threads !== undefined && o.threads > 1) throw new Error(`train: --threads ${o.threads} is for the wasm and cpu backends (${backendName} runs its own threads)`);
  // more threads than images would leave some idle
  const threads = native ? 1 : Math.min(opts.threads, state.batch);
  let parallel: GradientWorkers | undefined;
  if (threads > 1) {
    try {
      parallel = await GradientWorkers.start({ tf, backend: backendName, graph, config, params, outputSize, threads });
    } catch (e) {
      // the same training, slower: worth a notice, not a failure
      log(`${(e as Error).message}: training on 1 thread`);
    }
  }
  const metricsFile = path.join(o.out, 'metrics.jsonl');
  // also without a checkpoint: a run killed before its first one left lines of steps to be redone
  await trimMetrics(metricsFile, state.globalStep);
  const specShapes = new Map(paramSpecs(graph).map((s) => [s.name, s.shape]));
  // step decay by progress: a step s < 1 is a fraction of all the steps, s >= 1 an epoch number;
  // with --time-budget the steps are provisional until the first steps are measured
  let totalSteps = state.plannedSteps ?? opts.steps ?? opts.epochs * loader.stepsPerEpoch;
  let budgetPending = opts.timeBudget !== undefined && state.plannedSteps === undefined;
  let valSteps = opts.valSteps ?? defaultValSteps(totalSteps);
  const epochsOf = () => Math.ceil(totalSteps / loader.stepsPerEpoch);
  let lrPlan: LrPlan = { lr: opts.lr, schedule: opts.lrSchedule, lrSteps: opts.lrSteps, stepsPerEpoch: loader.stepsPerEpoch };
  const lrAt = (step: number) => learningRateAt(lrPlan, step, totalSteps);
  /** For the log: where the lr falls, with `total` steps. */
  const decayText = (total: number) => (opts.lrSchedule === 'cosine' ? 'lr cosine to 0' : `lr /10 at steps ${opts.lrSteps.filter((v) => v < 1).map((v) => Math.ceil(v * total)).join(', ')}`);
  /** The recipe settings the caller's options replace, with their values, for the recipe line; '' when none. */
  const overrides = () => {
    const given = [
      ...(o.augment !== undefined ? [`augment ${o.augment}`] : []),
      ...(o.augmentFrom !== undefined ? [`augment from ${o.augmentFrom}`] : []),
      ...(o.weightDecay !== undefined ? [`weight decay ${o.weightDecay}`] : []),
      ...(o.scales !== undefined ? [`scales ${o.scales.join(', ')}`] : []),
      ...(o.ema !== undefined ? [`ema ${o.ema}`] : []),
    ];
    return given.length ? ` (options given override it: ${given.join(', ')})` : '';
  };
  log(`recipe: ${recipe.why}${overrides()}`);
  log(`training ${config.name} (${config.detector}, ${config.numClasses} classes, input ${inH}x${inW}) on ${trainSet.images.length} images, ${loader.stepsPerEpoch} steps/epoch, ${budgetPending ? `steps fitted to --time-budget ${formatSeconds(opts.timeBudget!)} after ${BUDGET_WARMUP_STEPS + BUDGET_MEASURED_STEPS}` : `${totalSteps} steps in all`} (batch ${state.batch}, lr ${opts.lr}${opts.lrSchedule === 'cosine' ? ' cosine' : ''}, augment ${opts.augment}${opts.augment !== 'none' && cropMode.mode ? ' (saccade crops)' : ''}${opts.augment !== 'none' && opts.augmentFrom > 0 ? ` from ${Math.round(opts.augmentFrom * 100)}% of the steps` : ''}${opts.weightDecay > 0 ? `, weight decay ${opts.weightDecay}` : ''}${opts.ema > 0 ? `, weight average ${opts.ema}` : ''}${valSet ? `, validation every ${budgetPending ? '~10% of the' : valSteps} steps, patience ${opts.patience}` : ''}), backend ${backendName}${parallel ? ` on ${threads} threads` : ''}`);

  // the weight average (--ema), which validation and export read; a recipe change may start or end it
  let average: WeightAverage | undefined;
  const keepAverage = () => {
    if (opts.ema > 0 && average?.decay !== opts.ema) {
      average?.dispose();
      average = createWeightAverage(tf, params, opts.ema);
      if (ckpt?.average && state.globalStep === ckpt.state.globalStep) average.load(ckpt.average, `train --resume: ${ckptFile}`);
      else if (state.globalStep > 0) log(`train: the weight average (--ema ${opts.ema}) starts at step ${state.globalStep} from the weights then`);
    } else if (opts.ema === 0 && average) {
      average.dispose();
      average = undefined;
    }
  };
  keepAverage();
  /** The weights that validation and export read: the average, or the last ones. */
  const currentWeights = () => (average ? average.values() : exportParams(params));
  const saveCheckpoint = async () => {
    await writeCheckpoint(ckptFile, { config, state, params: await exportParams(params), optimizer: await optimizerState(optimizer), ...(average ? { average: await average.values() } : {}) }, specShapes);
  };
  const bestFile = path.join(o.out, BEST_FILE);
  // the best validated weights: exported at the end instead of the last ones
  let bestParams: Map<string, Float32Array> | undefined;
  if (state.best) {
    const kept = await readBest(bestFile, state);
    bestParams = kept.params;
    if (kept.best.step !== state.best.step) state = { ...state, best: kept.best, sinceBest: 0 };
    log(`best so far: step ${state.best!.step}, AP ${state.best!.val.AP} (${bestFile})`);
  }
  const writePlot = async () => {
    const text = await readFile(metricsFile, 'utf8').catch(() => '');
    const lines = text.split('\n').flatMap((l) => {
      try {
        return l ? [JSON.parse(l) as MetricsLine] : [];
      } catch {
        return [];
      }
    });
    await writeFileAtomic(path.join(o.out, 'metrics.svg'), metricsSvg(lines, `${config.name} on ${path.basename(path.resolve(o.data))}`), { overwrite: true });
  };
  let lastValStep = -1;
  // --time-budget's refits: the wall clock of the validations (not steps) since the plan was made
  let valSeconds = 0;
  let validations = 0;
  /** Validates the current weights, keeps them if best; true when patience has run out. */
  const validateAndKeepBest = async (): Promise<boolean> => {
    const v0 = Date.now();
    try {
      return await validateOnce();
    } finally {
      valSeconds += (Date.now() - v0) / 1000;
      validations++;
    }
  };
  const validateOnce = async (): Promise<boolean> => {
    const weights = await currentWeights();
    const bytes = writeModelFile(config, weights);
    const v = opts.validateWith ? await opts.validateWith(bytes, valSet!, state.globalStep) : (await validate(bytes, valSet!, log, parallel ? threads : 1)).val;
    lastValStep = state.globalStep;
    const outcome = afterValidation(state, state.globalStep, v, opts.patience);
    await appendFile(metricsFile, `${JSON.stringify({ type: 'val', epoch: state.epoch + 1, step: state.globalStep, ...v, best: outcome.improved, time: round1(elapsed()) })}\n`);
    if (outcome.improved) {
      bestParams = weights;
      const metadata = { 'anchorless.trained': JSON.stringify({ data: path.resolve(o.data), steps: state.globalStep, ...v }) };
      await writeFileAtomic(bestFile, writeModelFile(config, bestParams, { metadata }), { overwrite: true });
    } else {
      log(`validation: AP ${v.AP} is not better than step ${outcome.best.step}'s ${outcome.best.val.AP} (${outcome.sinceBest} of --patience ${opts.patience})`);
    }
    state = { ...state, best: outcome.best, sinceBest: outcome.sinceBest, ...(outcome.stop ? { stopped: 'patience' } : {}) };
    await writePlot();
    return outcome.stop;
  };

  let firstLoss = NaN;
  let lastLoss = NaN;
  let stepsThisRun = 0;
  let measureFrom = 0;
  const runStart = Date.now() - state.elapsed * 1000;
  const elapsed = () => (Date.now() - runStart) / 1000;
  /** The inference input sizes to try at the end besides the training size (none without --val). */
  const inferSizes = (): [number, number][] => (valSet ? candidateSizes([inH, inW], opts.inferScales, graph.sizeMultiple).filter(([h, w]) => h !== inH || w !== inW) : []);
  /**
   * A multi-size test is tried among them: --infer-merge above 1, a CenterNet (mergeEvaluations),
   * and the runtime's validation (which keeps the detections that the merges reuse).
   */
  const mergesSizes = () => opts.inferMerge > 1 && config.detector === 'centernet' && opts.validateWith === undefined && inferSizes().length > 0;
  /** Their validations' cost in validations at the training size (a validation's time grows with the input's area); merging validates the training size again. */
  const sizeChoiceCost = () => inferSizes().reduce((sum, [h, w]) => sum + (h * w) / (inH * inW), 0) + (mergesSizes() ? 1 : 0);
  // validations at valFrom + k * valSteps (valFrom moves when a refit changes valSteps)
  let valFrom = 0;
  // where the costs that the refits use are counted from: the plan (or, resumed, this run's start)
  let planMark = budgetPending || opts.timeBudget === undefined ? undefined : { step: state.globalStep, time: elapsed(), valSeconds: 0, validations: 0 };
  let firstDecay = refitHorizon(lrPlan);
  /** --time-budget: a new plan from the steady state's costs, while the lr has not decayed (schedule.ts refitSchedule). */
  const refit = () => {
    if (!planMark || state.globalStep - planMark.step < 10) return;
    const stepS = (elapsed() - planMark.time - (valSeconds - planMark.valSeconds)) / (state.globalStep - planMark.step);
    const valS = validations > planMark.validations ? (valSeconds - planMark.valSeconds) / (validations - planMark.validations) : valSeconds / Math.max(1, validations);
    const left = Math.max(1, Math.round(VALIDATIONS_PER_RUN * (1 - state.globalStep / totalSteps)));
    const refitted = refitSchedule({ budgetS: opts.timeBudget!, elapsedS: elapsed(), stepsDone: state.globalStep, stepS, valS, validations: left + sizeChoiceCost(), totalSteps, firstDecay });
    if (refitted === undefined) return;
    log(`\ntime budget ${formatSeconds(opts.timeBudget!)}: at step ${state.globalStep}, ${stepS.toFixed(3)} s/step and ${valS.toFixed(1)} s/validation since the plan -> ${refitted} steps in all (was ${totalSteps}; ${decayText(refitted)})`);
    totalSteps = refitted;
    // the next validation a whole interval after this one, not at the next multiple of the new one
    valSteps = opts.valSteps ?? defaultValSteps(totalSteps);
    valFrom = state.globalStep;
    state = { ...state, plannedSteps: totalSteps };
  };
  /** Where trim() measures the recent step time from: the steps since its last look. */
  let trimMark: { step: number; time: number; valSeconds: number } | undefined;
  /** --time-budget after the first decay: fewer steps when the recent ones ran slower than planned (schedule.ts trimSchedule). */
  const trim = () => {
    if (!planMark) return;
    const mark = trimMark;
    trimMark = { step: state.globalStep, time: elapsed(), valSeconds };
    if (!mark || state.globalStep - mark.step < 10 || Math.ceil(firstDecay * totalSteps) > state.globalStep) return;
    const stepS = (elapsed() - mark.time - (valSeconds - mark.valSeconds)) / (state.globalStep - mark.step);
    const valS = valSeconds / Math.max(1, validations);
    const left = valSet ? Math.max(1, Math.round(VALIDATIONS_PER_RUN * (1 - state.globalStep / totalSteps))) : 0;
    const trimmed = trimSchedule({ budgetS: opts.timeBudget!, elapsedS: elapsed(), stepsDone: state.globalStep, stepS, valS, validations: left + sizeChoiceCost(), totalSteps });
    if (trimmed === undefined) return;
    log(`\ntime budget ${formatSeconds(opts.timeBudget!)}: at step ${state.globalStep}, ${stepS.toFixed(3)} s/step lately -> ${trimmed} steps in all (was ${totalSteps}; ${decayText(trimmed)}), to end within the budget`);
    totalSteps = trimmed;
    state = { ...state, plannedSteps: totalSteps };
  };
  try {
    outer: while (state.globalStep < totalSteps && state.stopped === undefined) {
      const epoch = state.epoch;
      const stepsThisEpoch = Math.min(loader.stepsPerEpoch, totalSteps - (state.globalStep - state.stepInEpoch));
      const progress = new Progress(`epoch ${epoch + 1}${budgetPending ? '' : `/${epochsOf()}`}`, stepsThisEpoch);
      for await (const batch of loader.epoch(epoch, { startStep: state.stepInEpoch })) {
        const t0 = Date.now();
        const lr = lrAt(state.globalStep);
        setLearningRate(optimizer, lr);
        const parts = await trainStep(tf, graph, params, optimizer, batch, config, outputSize, parallel, lr * opts.weightDecay);
        average?.update(state.globalStep + 1);
        const loss = parts.total;
        if (!Number.isFinite(loss)) throw new Error(`train: the loss became ${loss} at step ${state.globalStep + 1} (lower --lr?)`);
        if (Number.isNaN(firstLoss)) firstLoss = loss;
        lastLoss = loss;
        state = { ...state, stepInEpoch: state.stepInEpoch + 1, globalStep: state.globalStep + 1, elapsed: elapsed() };
        stepsThisRun++;
        const imgPerSec = batch.shape[0] / ((Date.now() - t0) / 1000);
        progress.update(state.stepInEpoch, `loss ${loss.toFixed(3)} ${imgPerSec.toFixed(1)} img/s`);
        await appendFile(metricsFile, `${JSON.stringify({ type: 'train', epoch: epoch + 1, step: state.globalStep, lr, ...round(parts), imgPerSec: round1(imgPerSec), time: round1(state.elapsed) })}\n`);
        let measuredNow = false;
        if (budgetPending && stepsThisRun === BUDGET_WARMUP_STEPS) measureFrom = Date.now();
        if (budgetPending && stepsThisRun === BUDGET_WARMUP_STEPS + BUDGET_MEASURED_STEPS) {
          // the cost of a step (a checkpoint write shared out over the steps between two), then of one validation
          const stepS = (Date.now() - measureFrom) / 1000 / BUDGET_MEASURED_STEPS;
          const c0 = Date.now();
          await saveCheckpoint();
          const ckptS = (Date.now() - c0) / 1000;
          const valBefore = valSeconds;
          if (valSet && (await validateAndKeepBest())) break outer;
          const valS = valSeconds - valBefore;
          planMark = { step: state.globalStep, time: elapsed(), valSeconds, validations };
          const plan = fitSchedule({ budgetS: opts.timeBudget!, elapsedS: (Date.now() - startedAt) / 1000, stepsDone: state.globalStep, stepS: stepS + ckptS / opts.checkpointEvery, valS, validations: VALIDATIONS_PER_RUN + sizeChoiceCost() });
          totalSteps = plan.totalSteps;
          valSteps = opts.valSteps ?? defaultValSteps(totalSteps);
          budgetPending = false;
          measuredNow = true;
          // the recipe for the steps planned (the first one assumed the preset's): it may change the augmentation
          state = { ...state, plannedSteps: totalSteps, recipeSteps: totalSteps };
          const replanned = recipeFor(totalSteps);
          if (replanned.why !== recipe.why) {
            recipe = replanned;
            opts = withDefaults(recipe.defaults);
            lrPlan = { lr: opts.lr, schedule: opts.lrSchedule, lrSteps: opts.lrSteps, stepsPerEpoch: loader.stepsPerEpoch };
            firstDecay = refitHorizon(lrPlan);
            keepAverage();
            log(`recipe for the ${totalSteps} steps planned: ${recipe.why}${overrides()}`);
          }
          log(`\ntime budget ${formatSeconds(opts.timeBudget!)}: measured ${stepS.toFixed(3)} s/step, ${ckptS.toFixed(2)} s/checkpoint, ${valS.toFixed(1)} s/validation, ${formatSeconds((Date.now() - startedAt) / 1000)} so far -> ${totalSteps} steps in all (${decayText(totalSteps)}; validation every ${valSteps}; expected ${formatSeconds(plan.expectedS)})`);
          if (totalSteps <= state.globalStep) log('train: the time budget leaves no room for more steps');
        }
        const last = state.globalStep >= totalSteps;
        const valNow = valSet !== undefined && lastValStep !== state.globalStep && !budgetPending && (last || (state.globalStep - valFrom) % valSteps === 0);
        const early = valNow && (await validateAndKeepBest());
        // (without --val, at the checkpoints)
        if (!early && !last && (valNow || (valSet === undefined && state.globalStep % opts.checkpointEvery === 0))) refit();
        if (!early && !last && state.globalStep % opts.checkpointEvery === 0) trim();
        const stop = opts.maxSteps !== undefined && stepsThisRun >= opts.maxSteps;
        if (state.globalStep % opts.checkpointEvery === 0 || stop || valNow || early || measuredNow) await saveCheckpoint();
        if (early) {
          log(`\ntrain: stopped early at step ${state.globalStep}: no better AP in ${opts.patience} validations (--patience); the best was step ${state.best!.step}`);
          break outer;
        }
        if (stop) {
          log(`train: stopped after --max-steps ${opts.maxSteps}; continue with --resume`);
          break outer;
        }
        if (last) break;
        // the augmentation changed with the plan (its recipe or the share before --augment-from):
        // the same (seed, epoch, image) streams from this step on, with the new one
        const augmentNow = augmentAt(state.globalStep, totalSteps);
        if (!budgetPending && augmentNow !== loaderAugment) {
          if (opts.augmentFrom > 0 && opts.augment !== 'none') log(`\ntrain: augment ${augmentNow} from step ${state.globalStep} of ${totalSteps}`);
          loaderAugment = augmentNow;
          await loader.close();
          loader = await startLoader();
          continue outer;
        }
      }
      state = { ...state, epoch: epoch + 1, stepInEpoch: 0, elapsed: elapsed() };
      await saveCheckpoint();
      // --val-every N: also at every Nth epoch end
      if (valSet && o.valEvery !== undefined && state.epoch % o.valEvery === 0 && lastValStep !== state.globalStep && state.globalStep < totalSteps) {
        const early = await validateAndKeepBest();
        await saveCheckpoint();
        if (early) break;
      }
    }
  } finally {
    await parallel?.close();
    await loader.close();
  }

  let modelFile: string | undefined;
  let exportVal = state.best?.val;
  if (state.globalStep >= totalSteps || state.stopped !== undefined) {
    modelFile = path.join(o.out, 'model.safetensors');
    const best = state.best;
    const weights = bestParams ?? (await currentWeights());
    // the inference input: the training size, a larger one, or several merged, whichever scores the best AP on --val
    let inputSize: [number, number] = [inH, inW];
    let testSizes: [number, number][] | undefined;
    if (best && valSet && inferSizes().length > 0) {
      const merging = mergesSizes();
      const singles: SizeTrial[] = [];
      const evaluations: Evaluation[] = [];
      // a multi-size test merges the training size's detections too: validated again (the same numbers) to have them
      for (const size of merging ? [[inH, inW] as [number, number], ...inferSizes()] : inferSizes()) {
        const bytes = writeModelFile({ ...config, inputSize: size }, weights);
        log(`inference input ${size[0]}x${size[1]} (trained at ${inH}x${inW}), the best model:`);
        const v: { val: Record<string, number>; evaluation?: Evaluation } = opts.validateWith ? { val: await opts.validateWith(bytes, valSet, state.globalStep) } : await validate(bytes, valSet, log, parallel ? threads : 1);
        if (size[0] !== inH || size[1] !== inW) await appendFile(metricsFile, `${JSON.stringify({ type: 'inference-size', step: best.step, inputSize: size, ...v.val })}\n`);
        singles.push({ sizes: [size], val: v.val });
        if (v.evaluation) evaluations.push(v.evaluation);
      }
      if (!merging) singles.unshift({ sizes: [[inH, inW]], val: best.val });
      const merged: SizeTrial[] = [];
      if (merging && evaluations.length === singles.length) {
        for (const pick of combinations(singles.map((_, i) => i), opts.inferMerge)) {
          const sizes = pick.map((i) => singles[i].sizes[0]);
          const val = evaluationMetrics(mergeEvaluations(pick.map((i) => evaluations[i]), valSet, { ...config, testMerge: TRAIN_TEST_MERGE }));
          await appendFile(metricsFile, `${JSON.stringify({ type: 'inference-sizes', step: best.step, inputSizes: sizes, ...val })}\n`);
          merged.push({ sizes, val });
        }
      }
      const { chosen, single, bestMerged } = chooseInference(singles, merged, opts.inferMergeGain);
      inputSize = single.sizes[0];
      exportVal = chosen.val;
      const show = (t: SizeTrial) => t.sizes.map(([h, w]) => `${h}x${w}`).join(' + ');
      log(`inference input size: ${show(single)} (AP ${single.val.AP}, AP50 ${single.val.AP50}; ${singles.map((t) => `${show(t)}: ${t.val.AP}`).join(', ')}; --infer-scales 1 keeps the training size)`);
      if (bestMerged) {
        const cost = (trialCost(bestMerged) / trialCost(single)).toFixed(2);
        if (chosen === bestMerged) testSizes = bestMerged.sizes;
        log(
          chosen === bestMerged
            ? `multi-size test: ${show(bestMerged)}, merged (AP ${bestMerged.val.AP}, AP50 ${bestMerged.val.AP50}; ${cost}x the runtime of ${show(single)} alone; --infer-merge 1 keeps one size)`
            : `multi-size test: not taken (the best, ${show(bestMerged)}: AP ${bestMerged.val.AP}, less than ${opts.inferMergeGain ?? MULTI_SIZE_MIN_GAIN} over one size for ${cost}x the runtime)`,
        );
      }
    }
    const trainedAt = inputSize[0] !== inH || inputSize[1] !== inW || testSizes ? { trainInputSize: `${inH}x${inW}` } : {};
    const metadata = { 'anchorless.trained': JSON.stringify({ data: path.resolve(o.data), epochs: state.epoch, steps: state.globalStep, ...(best ? { bestStep: best.step } : {}), seconds: Math.round(state.elapsed), backend: backendName, ...trainedAt, ...(exportVal ?? {}) }) };
    await writeFileAtomic(modelFile, writeModelFile({ ...config, inputSize, ...(testSizes ? { testSizes, testMerge: TRAIN_TEST_MERGE } : {}) }, weights, { dtype: o.f16 ? 'F16' : 'F32', metadata }), { overwrite: true });
    await writePlot();
    const at = (testSizes ?? [inputSize]).map(([h, w]) => `${h}x${w}`).join(' + ');
    log(`model written to ${modelFile} after ${formatSeconds(elapsed())}${best ? `: the best validation, step ${best.step} of ${state.globalStep} (AP ${exportVal!.AP}, AP50 ${exportVal!.AP50} at ${at})` : ''}`);
  }
  return { modelFile, state, firstLoss, lastLoss, val: exportVal, best: state.best, stopped: state.stopped, recipe };
}

/** One optimiser step on `batch` (split across `parallel`'s threads when given); returns the loss and its parts. */
async function trainStep(tf: TF, graph: Graph, params: ModelParams, optimizer: Optimizer, batch: Batch, config: ModelConfig, outputSize: [number, number], parallel: GradientWorkers | undefined, decay = 0): Promise<Record<string, number>> {
  const { grads, parts } = parallel ? await parallel.gradients(batch) : await shardGradients(tf, graph, params, batch, config, outputSize);
  // with decoupled weight decay (AdamW) of the conv kernels: w -= lr * wd * w
  applyAdam(tf, optimizer, grads, (v) => (v.shape.length === 4 ? decay : 0));
  tf.dispose(Object.values(grads) as Tensor[]);
  return parts;
}

/**
 * best.safetensors on --resume: its weights, and its record (step, validation). They differ from
 * the checkpoint's record only when a kill fell between writing it and the next checkpoint; it then
 * holds a later model that scored better still, and the steps redone from the checkpoint reach it again.
 */
async function readBest(file: string, state: TrainState): Promise<{ params: Map<string, Float32Array>; best: BestRecord }> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch (e) {
    throw new Error(`train --resume: the checkpoint records a best model (step ${state.best!.step}) but ${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const model = readModelFile(bytes, file);
  let best = state.best!;
  try {
    const { steps, data: _data, ...val } = JSON.parse(model.metadata['anchorless.trained'] ?? '{}') as Record<string, number> & { data?: string };
    if (Number.isInteger(steps) && steps !== best.step) best = { step: steps, val };
  } catch {
    // no record: the checkpoint's stands
  }
  return { params: model.tensors as Map<string, Float32Array>, best };
}

/** `detectors`: the training's threads (1 if its workers could not start), idle while it validates; the same numbers with any count. */
async function validate(bytes: Uint8Array, valSet: Dataset, log: (line: string) => void, detectors: number): Promise<{ val: Record<string, number>; evaluation: Evaluation }> {
  const progress = new Progress('validation', valSet.images.length);
  const result = await evaluateModel(bytes, valSet, { onProgress: (d) => progress.update(d), detectors });
  const s = result.coco.stats;
  log(`validation: AP ${s.AP.toFixed(3)} AP50 ${s.AP50.toFixed(3)} AP75 ${s.AP75.toFixed(3)} AR100 ${s.AR100.toFixed(3)} (${result.images} images, ${result.msPerImage.toFixed(1)} ms/image)`);
  return { val: evaluationMetrics(result), evaluation: result };
}

/** What metrics.jsonl and the best-model record keep of an evaluation: COCO's numbers and VOC07, rounded. */
function evaluationMetrics(result: Evaluation): Record<string, number> {
  return { ...round(result.coco.stats as unknown as Record<string, number>), voc07: round1000(result.voc07 ?? -1) };
}

/** `given`: the options as passed (what the user set explicitly). */
function checkOptions(o: TrainDefaults & TrainOptions, given: TrainOptions): void {
  const positiveInt = (name: string, v: number) => {
    if (!Number.isInteger(v) || v < 1) throw new Error(`train: --${name} must be a positive integer, got ${v}`);
  };
  positiveInt('epochs', o.epochs);
  positiveInt('batch', o.batch);
  positiveInt('val-every', o.valEvery);
  positiveInt('checkpoint-every', o.checkpointEvery);
  positiveInt('threads', o.threads);
  if (o.steps !== undefined) positiveInt('steps', o.steps);
  if (o.maxSteps !== undefined) positiveInt('max-steps', o.maxSteps);
  if (o.valSteps !== undefined) positiveInt('val-steps', o.valSteps);
  if (!(Number.isInteger(o.patience) && o.patience >= 0)) throw new Error(`train: --patience must be a non-negative integer (0: never stop early), got ${o.patience}`);
  if (!(typeof o.ema === 'number' && o.ema >= 0 && o.ema < 1)) throw new Error(`train: --ema must be in [0, 1) (0: no weight average), got ${o.ema}`);
  if (!(o.weightDecay >= 0 && o.weightDecay < 1)) throw new Error(`train: --weight-decay must be in [0, 1), got ${o.weightDecay}`);
  if (!(Number.isInteger(o.inferMerge) && o.inferMerge >= 1 && o.inferMerge <= MAX_TEST_SIZES)) throw new Error(`train: --infer-merge must be an integer from 1 (one size) to ${MAX_TEST_SIZES}, got ${o.inferMerge}`);
  if (o.inferMergeGain !== undefined && !(typeof o.inferMergeGain === 'number' && o.inferMergeGain >= -1 && o.inferMergeGain <= 1)) throw new Error(`train: inferMergeGain must be a number in [-1, 1], got ${o.inferMergeGain}`);
  if (!(Array.isArray(o.inferScales) && o.inferScales.length > 0 && o.inferScales.every((v) => typeof v === 'number' && v >= 0.25 && v <= 4))) throw new Error(`train: --infer-scales must be a non-empty list of numbers in [0.25, 4], got ${JSON.stringify(o.inferScales)}`);
  if (o.scales !== undefined && !(Array.isArray(o.scales) && o.scales.length > 0 && o.scales.every((v) => v > 0 && Number.isFinite(v)))) throw new Error(`train: scales must be a non-empty list of positive numbers, got ${JSON.stringify(o.scales)}`);
  if (o.timeBudget !== undefined) {
    if (!(o.timeBudget > 0 && Number.isFinite(o.timeBudget))) throw new Error(`train: --time-budget must be a positive number of seconds, got ${o.timeBudget}`);
    if (given.steps !== undefined || given.epochs !== undefined) throw new Error('train: --time-budget sets the number of steps; leave out --steps and --epochs');
  }
  if (o.validateWith !== undefined && typeof o.validateWith !== 'function') throw new Error('train: validateWith must be a function');
  if (!(o.lr > 0 && o.lr < 1)) throw new Error(`train: --lr must be in (0, 1), got ${o.lr}`);
  if (!o.arch) throw new Error('train: --arch is required');
  if (!LR_SCHEDULES.includes(o.lrSchedule)) throw new Error(`train: --lr-schedule must be one of ${LR_SCHEDULES.join(', ')}, got ${JSON.stringify(o.lrSchedule)}`);
  if (o.augment !== undefined && o.augment !== 'full' && o.augment !== 'none') throw new Error(`train: --augment must be full or none, got ${String(o.augment)}`);
  if (!(typeof o.augmentFrom === 'number' && o.augmentFrom >= 0 && o.augmentFrom < 1)) throw new Error(`train: --augment-from must be a fraction of the steps in [0, 1), got ${o.augmentFrom}`);
  if (!o.out) throw new Error('train: --out is required');
  if (o.backend !== undefined && !BACKENDS.includes(o.backend as BackendName)) throw new Error(`train: --backend must be one of ${BACKENDS.join(', ')}, got ${JSON.stringify(o.backend)}`);
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * At the start: keep the metrics of the steps the checkpoint holds (none without one; the steps
 * after it are redone) and drop a line a kill cut short.
 */
async function trimMetrics(file: string, globalStep: number): Promise<void> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return;
  const kept = text.split('\n').filter((line) => {
    try {
      const entry = JSON.parse(line) as { step?: number };
      return typeof entry.step === 'number' && entry.step <= globalStep;
    } catch {
      return false;
    }
  });
  await writeFileAtomic(file, kept.map((l) => `${l}\n`).join(''), { overwrite: true });
}

/** Temporary files of writes a kill interrupted (writeFileAtomic names them .NAME.tmp-PID-TIME). */
async function removeStaleTemporaries(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    if (/^\.(checkpoint|model)\.safetensors\.tmp-\d+-\d+(-\d+)?$/.test(name)) await rm(path.join(dir, name), { force: true });
  }
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

function round(o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, round1000(v)]));
}

function round1000(v: number): number {
  return Math.round(v * 1e4) / 1e4;
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}

