// Training checkpoints: one safetensors file holding the model parameters, the optimiser's slots
// and the loop state (JSON in __metadata__), replaced atomically, so a kill at any moment leaves
// the previous checkpoint or the new one, whole. --resume reads it back.
import { readFile } from 'node:fs/promises';
import type { ModelConfig } from '../runtime/model/config.js';
import { parseConfigJson } from '../runtime/model/config.js';
import { parseSafetensors, readTensor, writeSafetensors, type TensorData } from '../runtime/weights/safetensors.js';
import { writeFileAtomic } from './util/atomic-write.js';

export const CHECKPOINT_FILE = 'checkpoint.safetensors';
const STATE_KEY = 'anchorless.train-state';
const CONFIG_KEY = 'config';
const OPTIMIZER_PREFIX = 'optimizer/';
/** The weight average's tensors (trainer/weight-average.ts), when training keeps one. */
const AVERAGE_PREFIX = 'ema/';

export interface TrainState {
  /** Epoch to continue in (0-based) and the batches of it already done. */
  epoch: number;
  stepInEpoch: number;
  /** Optimiser steps taken in total. */
  globalStep: number;
  /** The options that must not change on resume. */
  arch: string;
  seed: number;
  batch: number;
  /** Wall-clock seconds spent training so far (over all runs). */
  elapsed: number;
  /** The best validation so far (its weights are in best.safetensors) and validations since it. */
  best?: { step: number; val: Record<string, number> };
  sinceBest?: number;
  /** Why the run ended before its last step ('patience'). */
  stopped?: string;
  /** The number of steps --time-budget fitted (kept on --resume). */
  plannedSteps?: number;
  /** --time-budget: the steps of the first plan, which the recipe (augmentation) was chosen for. */
  recipeSteps?: number;
}

export interface Checkpoint {
  config: ModelConfig;
  state: TrainState;
  params: Map<string, Float32Array>;
  /** The optimiser's weights in getWeights() order (iteration count first). */
  optimizer: { name: string; data: Float32Array; shape: number[] }[];
  /** The weight average of every parameter (absent when training keeps none). */
  average?: Map<string, Float32Array>;
}

export async function writeCheckpoint(file: string, ckpt: Checkpoint, shapes: ReadonlyMap<string, number[]>): Promise<void> {
  const tensors: TensorData[] = [];
  for (const [name, data] of ckpt.params) tensors.push({ name, dtype: 'F32', shape: shapes.get(name)!, data });
  for (const [name, data] of ckpt.average ?? []) tensors.push({ name: `${AVERAGE_PREFIX}${name}`, dtype: 'F32', shape: shapes.get(name)!, data });
  ckpt.optimizer.forEach((w, i) => tensors.push({ name: `${OPTIMIZER_PREFIX}${String(i).padStart(5, '0')}`, dtype: 'F32', shape: w.shape, data: w.data }));
  const metadata = {
    [CONFIG_KEY]: JSON.stringify(ckpt.config),
    [STATE_KEY]: JSON.stringify(ckpt.state),
    'anchorless.optimizer-names': JSON.stringify(ckpt.optimizer.map((w) => w.name)),
  };
  await writeFileAtomic(file, writeSafetensors(tensors, metadata), { overwrite: true });
}

export async function readCheckpoint(file: string): Promise<Checkpoint> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch (e) {
    throw new Error(`checkpoint ${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const st = parseSafetensors(bytes, file);
  const need = (key: string) => {
    const v = st.metadata[key];
    if (v === undefined) throw new Error(`checkpoint ${file}: __metadata__ has no "${key}" (not a training checkpoint?)`);
    return v;
  };
  const config = parseConfigJson(need(CONFIG_KEY), `checkpoint ${file}`);
  let state: TrainState;
  let names: string[];
  try {
    state = JSON.parse(need(STATE_KEY)) as TrainState;
    names = JSON.parse(need('anchorless.optimizer-names')) as string[];
  } catch (e) {
    throw new Error(`checkpoint ${file}: broken training state (${(e as Error).message})`);
  }
  for (const key of ['epoch', 'stepInEpoch', 'globalStep', 'seed', 'batch', 'elapsed'] as const) {
    if (typeof state[key] !== 'number' || !Number.isFinite(state[key]) || state[key] < 0) throw new Error(`checkpoint ${file}: state.${key} is not a non-negative number`);
  }
  const params = new Map<string, Float32Array>();
  const optimizer: Checkpoint['optimizer'] = [];
  const average = new Map<string, Float32Array>();
  for (const [name, info] of st.tensors) {
    if (name.startsWith(AVERAGE_PREFIX)) {
      average.set(name.slice(AVERAGE_PREFIX.length), readTensor(st, name));
    } else if (name.startsWith(OPTIMIZER_PREFIX)) {
      const i = Number(name.slice(OPTIMIZER_PREFIX.length));
      if (!Number.isInteger(i) || i >= names.length) throw new Error(`checkpoint ${file}: stray optimiser tensor ${name}`);
      optimizer[i] = { name: names[i], data: readTensor(st, name), shape: [...info.shape] };
    } else {
      params.set(name, readTensor(st, name));
    }
  }
  if (optimizer.length !== names.length || optimizer.some((w) => w === undefined)) throw new Error(`checkpoint ${file}: optimiser tensors missing`);
  return { config, state, params, optimizer, ...(average.size > 0 ? { average } : {}) };
}
