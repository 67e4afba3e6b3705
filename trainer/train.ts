// The training loop: dataset -> augmented batches -> targets -> the papers' losses -> Adam with
// step decay; metrics.jsonl, a progress bar, periodic validation through the runtime, atomic
// checkpoints with exact resume, and the exported model.safetensors at the end.
import { appendFile, mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Optimizer, Tensor } from '@tensorflow/tfjs-core';
import { preset } from '../runtime/model/presets.js';
import { buildGraph } from '../runtime/model/registry.js';
import type { ModelConfig } from '../runtime/model/config.js';
import { inferShapes, paramSpecs, type Graph } from '../runtime/model/graph.js';
import { writeModelFile } from '../runtime/weights/model-file.js';
import { BACKENDS, selectBackend, type BackendName, type TF } from './backend.js';
import { CHECKPOINT_FILE, readCheckpoint, writeCheckpoint, type TrainState } from './checkpoint.js';
import { loadDataset } from './data/load.js';
import { createLoader, type Batch } from './data/loader.js';
import type { Dataset } from './data/types.js';
import { evaluateModel } from './evaluate.js';
import { exportParams, initParams, loadParams, type ModelParams } from './model/params.js';
import { GradientWorkers } from './parallel/gradient-workers.js';
import { shardGradients } from './step.js';
import { createAdam, optimizerState, restoreOptimizer, setLearningRate } from './optimizer.js';
import { writeFileAtomic } from './util/atomic-write.js';
import { formatSeconds, Progress } from './util/progress.js';
import { trainDefaults, type TrainDefaults } from './recipes.js';

export interface TrainOptions {
  /** Training dataset folder (COCO: annotations.json + images/; or a VOC folder). */
  data: string;
  /** Validation dataset folder (optional: without it, no AP is reported). */
  val?: string;
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
  resume?: boolean;
  backend?: string;
  seed?: number;
  /** Validate every this many epochs (and at the end). */
  valEvery?: number;
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
  val?: Record<string, number>;
}

/** Unset options take trainDefaults(o.arch) (trainer/recipes.ts): the -tiny presets have their own recipe. */
export async function train(o: TrainOptions): Promise<TrainResult> {
  const log = o.log ?? ((line: string) => console.error(line));
  // --epochs given alone means whole epochs, even where the recipe counts steps
  const defaults = o.epochs !== undefined && o.steps === undefined ? { ...trainDefaults(o.arch), steps: undefined } : trainDefaults(o.arch);
  const opts = { ...defaults, ...definedOnly(o) } as TrainDefaults & TrainOptions;
  checkOptions(opts);
  // every check that needs no backend comes first: a bad argument prints nothing else and
  // leaves no --out folder behind
  const outInfo = await stat(o.out).catch(() => undefined);
  if (outInfo && !outInfo.isDirectory()) throw new Error(`train: --out ${o.out} exists and is not a folder`);
  const ckptFile = path.join(o.out, CHECKPOINT_FILE);
  const hasCheckpoint = outInfo !== undefined && (await exists(ckptFile));
  if (hasCheckpoint && !o.resume) throw new Error(`train: ${o.out} already holds a checkpoint; add --resume to continue it, or choose another --out`);

  const trainSet = await loadDataset(o.data);
  const valSet = o.val ? await loadDataset(o.val) : undefined;
  if (valSet && valSet.labels.join() !== trainSet.labels.join()) {
    throw new Error(`train: --val ${o.val} has classes [${valSet.labels}] but --data ${o.data} has [${trainSet.labels}]`);
  }

  const ckpt = hasCheckpoint ? await readCheckpoint(ckptFile) : undefined;
  let state: TrainState = ckpt?.state ?? { epoch: 0, stepInEpoch: 0, globalStep: 0, arch: opts.arch, seed: opts.seed, batch: opts.batch, elapsed: 0 };
  if (ckpt) {
    for (const key of ['arch', 'seed', 'batch'] as const) {
      if (o[key] !== undefined && o[key] !== state[key]) throw new Error(`train --resume: --${key} ${o[key]} differs from the checkpoint's ${state[key]}`);
    }
  }
  const config: ModelConfig = ckpt?.config ?? preset(opts.arch, { labels: trainSet.labels, ...(o.inputSize ? { inputSize: o.inputSize } : {}) });
  if (config.labels.join() !== trainSet.labels.join()) throw new Error(`train --resume: the checkpoint's classes [${config.labels}] differ from --data's [${trainSet.labels}]`);
  const graph = buildGraph(config);
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

  const loader = await createLoader(trainSet, {
    batchSize: state.batch,
    inputSize: [inH, inW],
    outputSize,
    mean: config.mean,
    std: config.std,
    seed: state.seed,
    targets: { kind: config.detector, numClasses: config.numClasses },
    augment: opts.augment === 'none' ? false : {},
    workers: opts.workers,
  });
  const native = backendName === 'tfjs-node' || backendName === 'tfjs-node-gpu';
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
  if (ckpt) await trimMetrics(metricsFile, state.globalStep);
  const specShapes = new Map(paramSpecs(graph).map((s) => [s.name, s.shape]));
  // step decay by progress: a step s < 1 is a fraction of all the steps, s >= 1 an epoch number
  const totalSteps = opts.steps ?? opts.epochs * loader.stepsPerEpoch;
  const epochs = Math.ceil(totalSteps / loader.stepsPerEpoch);
  const lrAt = (step: number) => opts.lr * 0.1 ** opts.lrSteps.filter((s) => (s < 1 ? step >= s * totalSteps : step >= s * loader.stepsPerEpoch)).length;
  log(`training ${config.name} (${config.detector}, ${config.numClasses} classes, input ${inH}x${inW}) on ${trainSet.images.length} images, ${loader.stepsPerEpoch} steps/epoch, ${totalSteps} steps in all (batch ${state.batch}, lr ${opts.lr}, augment ${opts.augment}), backend ${backendName}${parallel ? ` on ${threads} threads` : ''}`);

  const saveCheckpoint = async () => {
    await writeCheckpoint(ckptFile, { config, state, params: exportParams(params), optimizer: await optimizerState(optimizer) }, specShapes);
  };

  let firstLoss = NaN;
  let lastLoss = NaN;
  let stepsThisRun = 0;
  let val: Record<string, number> | undefined;
  const runStart = Date.now() - state.elapsed * 1000;
  const elapsed = () => (Date.now() - runStart) / 1000;
  try {
    outer: while (state.globalStep < totalSteps) {
      const epoch = state.epoch;
      const stepsThisEpoch = Math.min(loader.stepsPerEpoch, totalSteps - (state.globalStep - state.stepInEpoch));
      const progress = new Progress(`epoch ${epoch + 1}/${epochs}`, stepsThisEpoch);
      for await (const batch of loader.epoch(epoch, { startStep: state.stepInEpoch })) {
        const t0 = Date.now();
        setLearningRate(optimizer, lrAt(state.globalStep));
        const parts = await trainStep(tf, graph, params, optimizer, batch, config, outputSize, parallel);
        const loss = parts.total;
        if (!Number.isFinite(loss)) throw new Error(`train: the loss became ${loss} at step ${state.globalStep + 1} (lower --lr?)`);
        if (Number.isNaN(firstLoss)) firstLoss = loss;
        lastLoss = loss;
        state = { ...state, stepInEpoch: state.stepInEpoch + 1, globalStep: state.globalStep + 1, elapsed: elapsed() };
        stepsThisRun++;
        const imgPerSec = batch.shape[0] / ((Date.now() - t0) / 1000);
        progress.update(state.stepInEpoch, `loss ${loss.toFixed(3)} ${imgPerSec.toFixed(1)} img/s`);
        await appendFile(metricsFile, `${JSON.stringify({ type: 'train', epoch: epoch + 1, step: state.globalStep, lr: lrAt(state.globalStep - 1), ...round(parts), imgPerSec: round1(imgPerSec), time: round1(state.elapsed) })}\n`);
        const stop = opts.maxSteps !== undefined && stepsThisRun >= opts.maxSteps;
        if (state.globalStep % opts.checkpointEvery === 0 || stop) await saveCheckpoint();
        if (stop) {
          log(`train: stopped after --max-steps ${opts.maxSteps}; continue with --resume`);
          break outer;
        }
        if (state.globalStep >= totalSteps) break;
      }
      state = { ...state, epoch: epoch + 1, stepInEpoch: 0, elapsed: elapsed() };
      await saveCheckpoint();
      const last = state.globalStep >= totalSteps;
      if (valSet && (last || state.epoch % opts.valEvery === 0)) {
        val = await validate(tf, config, params, valSet, log);
        await appendFile(metricsFile, `${JSON.stringify({ type: 'val', epoch: state.epoch, step: state.globalStep, ...val, time: round1(elapsed()) })}\n`);
      }
    }
  } finally {
    await parallel?.close();
    await loader.close();
  }

  let modelFile: string | undefined;
  if (state.globalStep >= totalSteps) {
    modelFile = path.join(o.out, 'model.safetensors');
    const metadata = { 'anchorless.trained': JSON.stringify({ data: path.resolve(o.data), epochs: state.epoch, steps: state.globalStep, seconds: Math.round(state.elapsed), backend: backendName, ...(val ?? {}) }) };
    await writeFileAtomic(modelFile, writeModelFile(config, exportParams(params), { dtype: o.f16 ? 'F16' : 'F32', metadata }), { overwrite: true });
    log(`model written to ${modelFile} after ${formatSeconds(state.elapsed)}`);
  }
  return { modelFile, state, firstLoss, lastLoss, val };
}

/** One optimiser step on `batch` (split across `parallel`'s threads when given); returns the loss and its parts. */
async function trainStep(tf: TF, graph: Graph, params: ModelParams, optimizer: Optimizer, batch: Batch, config: ModelConfig, outputSize: [number, number], parallel: GradientWorkers | undefined): Promise<Record<string, number>> {
  const { grads, parts } = parallel ? await parallel.gradients(batch) : shardGradients(tf, graph, params, batch, config, outputSize);
  optimizer.applyGradients(grads);
  tf.dispose(Object.values(grads) as Tensor[]);
  return parts;
}

async function validate(tf: TF, config: ModelConfig, params: ModelParams, valSet: Dataset, log: (line: string) => void): Promise<Record<string, number>> {
  const bytes = writeModelFile(config, exportParams(params));
  const progress = new Progress('validation', valSet.images.length);
  const result = await evaluateModel(bytes, valSet, { onProgress: (d) => progress.update(d) });
  const s = result.coco.stats;
  log(`validation: AP ${s.AP.toFixed(3)} AP50 ${s.AP50.toFixed(3)} AP75 ${s.AP75.toFixed(3)} AR100 ${s.AR100.toFixed(3)} (${result.images} images, ${result.msPerImage.toFixed(1)} ms/image)`);
  void tf;
  return { ...round(s as unknown as Record<string, number>), voc07: round1000(result.voc07 ?? -1) };
}

function checkOptions(o: TrainDefaults & TrainOptions): void {
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
  if (!(o.lr > 0 && o.lr < 1)) throw new Error(`train: --lr must be in (0, 1), got ${o.lr}`);
  if (!o.arch) throw new Error('train: --arch is required');
  if (o.augment !== undefined && o.augment !== 'full' && o.augment !== 'none') throw new Error(`train: --augment must be full or none, got ${String(o.augment)}`);
  if (!o.out) throw new Error('train: --out is required');
  if (o.backend !== undefined && !BACKENDS.includes(o.backend as BackendName)) throw new Error(`train: --backend must be one of ${BACKENDS.join(', ')}, got ${JSON.stringify(o.backend)}`);
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * On resume: keep the metrics of the steps the checkpoint holds (the steps after it are redone)
 * and drop a line a kill cut short.
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
