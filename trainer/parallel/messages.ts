// What the training thread and its gradient worker threads say to each other.
import type { ModelConfig } from '../../runtime/model/config.js';
import type { BackendName } from '../backend.js';
import type { Shard } from './shard.js';

/** workerData of a gradient worker. */
export interface GradientWorkerSetup {
  backend: BackendName;
  config: ModelConfig;
  outputSize: [number, number];
  /** Trainable parameter names in the order of the shared buffers (float offsets follow from the sizes). */
  names: string[];
  sizes: number[];
  /** The current weights, written by the training thread before each step. */
  weights: SharedArrayBuffer;
  /** This worker's gradients, written by it for each step. */
  grads: SharedArrayBuffer;
}

export type GradientRequest = { type: 'step'; id: number; shard: Shard };

export type GradientReply =
  | { type: 'ready' }
  | { type: 'init-error'; message: string }
  | { type: 'done'; id: number; parts: Record<string, number> }
  | { type: 'error'; id: number; message: string };
