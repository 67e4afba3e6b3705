// Data-parallel gradients on a CPU: the training thread and N - 1 worker threads each compute the
// gradients of a share of the batch, which are averaged (weighted by images) into one optimiser
// step. The wasm and cpu backends run on one thread, so on a 2-core machine this nearly doubles
// the images per second (the loader's decoding takes little). The semantics are PyTorch's
// DataParallel, as the official CenterNet / CornerNet train with: each shard's loss is normalised
// by its own objects, batch norm uses each shard's statistics, and the running statistics are
// those of the training thread's shard.
import type { Worker } from 'node:worker_threads';
import type { NamedTensorMap, Tensor, Variable } from '@tensorflow/tfjs-core';
import type { ModelConfig } from '../../runtime/model/config.js';
import type { Graph } from '../../runtime/model/graph.js';
import type { BackendName, TF } from '../backend.js';
import { trainableNames, type ModelParams } from '../model/params.js';
import { shardGradients, type ShardGradients } from '../step.js';
import { startModuleWorker } from '../util/module-worker.js';
import type { GradientReply, GradientRequest, GradientWorkerSetup } from './messages.js';
import { splitBatch, type Shard } from './shard.js';

interface Pending {
  resolve: (parts: Record<string, number>) => void;
  reject: (e: Error) => void;
}

interface Replica {
  worker: Worker;
  grads: Float32Array;
  pending: Map<number, Pending>;
  failure?: Error;
}

export interface ParallelSetup {
  tf: TF;
  backend: BackendName;
  graph: Graph;
  config: ModelConfig;
  params: ModelParams;
  outputSize: [number, number];
  /** Threads in all, the training thread included (>= 2). */
  threads: number;
  /** How long a worker may take to load its backend. Default 120000. */
  startTimeoutMs?: number;
}

export class GradientWorkers {
  private nextId = 0;
  private closed = false;

  private constructor(
    private readonly s: ParallelSetup,
    private readonly replicas: Replica[],
    private readonly weights: Float32Array,
    private readonly sizes: number[],
  ) {}

  /** Starts threads - 1 worker threads and waits until each has its backend and model. */
  static async start(s: ParallelSetup): Promise<GradientWorkers> {
    if (!Number.isInteger(s.threads) || s.threads < 2) throw new Error(`GradientWorkers: threads must be an integer >= 2, got ${s.threads}`);
    const names = trainableNames(s.params);
    const sizes = s.params.trainable.map((v) => v.size);
    const total = sizes.reduce((a, b) => a + b, 0);
    const weights = new SharedArrayBuffer(total * 4);
    const replicas: Replica[] = [];
    const started = new GradientWorkers(s, replicas, new Float32Array(weights), sizes);
    try {
      for (let i = 1; i < s.threads; i++) {
        const grads = new SharedArrayBuffer(total * 4);
        const setup: GradientWorkerSetup = { backend: s.backend, config: s.config, outputSize: s.outputSize, names, sizes, weights, grads };
        const replica: Replica = { worker: startModuleWorker(import.meta.url, 'gradient-worker', { setup }), grads: new Float32Array(grads), pending: new Map() };
        replicas.push(replica);
      }
      await Promise.all(replicas.map((r, i) => started.watch(r, i + 1, s.startTimeoutMs ?? 120000)));
    } catch (e) {
      await started.close();
      throw e;
    }
    return started;
  }

  /** Resolves once worker `index` is ready; afterwards routes its replies and reports its failures. */
  private watch(r: Replica, index: number, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      let ready = false;
      const timer = setTimeout(() => fail(new Error(`did not start within ${timeoutMs / 1000} s`)), timeoutMs);
      const fail = (e: Error) => {
        const err = new Error(`train: gradient worker ${index} ${e.message}`);
        clearTimeout(timer);
        r.failure ??= err;
        for (const p of r.pending.values()) p.reject(err);
        r.pending.clear();
        if (!ready) reject(err);
      };
      r.worker.on('message', (m: GradientReply) => {
        if (m.type === 'ready') {
          ready = true;
          clearTimeout(timer);
          resolve();
        } else if (m.type === 'init-error') {
          fail(new Error(`failed to start: ${m.message}`));
        } else {
          const p = r.pending.get(m.id);
          r.pending.delete(m.id);
          if (m.type === 'done') p?.resolve(m.parts);
          else p?.reject(new Error(`train: gradient worker ${index} failed: ${m.message}`));
        }
      });
      r.worker.on('error', (e: Error) => fail(new Error(`failed: ${e.message}`)));
      r.worker.on('exit', (code) => {
        if (!this.closed) fail(new Error(`exited (code ${code})`));
      });
    });
  }

  /**
   * The gradients of the whole batch: shard 0 on this thread while the workers compute the
   * others from the current weights; the image-weighted mean of the shards' gradients and loss
   * parts. The caller disposes the gradients.
   */
  async gradients(batch: Shard): Promise<ShardGradients> {
    if (this.closed) throw new Error('GradientWorkers: closed');
    const { tf, params } = this.s;
    const shards = splitBatch(batch, this.replicas.length + 1);
    const trainable = params.trainable as Variable[];
    let offset = 0;
    const current = await Promise.all(trainable.map((v) => v.data() as Promise<Float32Array>));
    current.forEach((value, i) => {
      this.weights.set(value, offset);
      offset += this.sizes[i];
    });
    const remote = shards.slice(1).map((shard, i) => this.post(this.replicas[i], shard));
    let local: ShardGradients | undefined;
    try {
      local = await shardGradients(tf, this.s.graph, params, shards[0], this.s.config, this.s.outputSize);
    } finally {
      // wait for every worker even when this thread failed: none may still be writing when the caller retries or exits
      await Promise.allSettled(remote);
    }
    let remoteParts: Record<string, number>[];
    try {
      remoteParts = await Promise.all(remote);
    } catch (e) {
      tf.dispose(Object.values(local.grads) as Tensor[]);
      throw e;
    }
    const n = batch.shape[0];
    const weightOf = (i: number) => shards[i].shape[0] / n;
    const grads: NamedTensorMap = {};
    const owns = await Promise.all(trainable.map((v) => local!.grads[v.name].data() as Promise<Float32Array>));
    offset = 0;
    // two small monomorphic loops: inline loops in the closures below ran ~1.5-2x slower (~8-13
    // against ~6 ms a step for centernet-tiny's 0.9M weights). New arrays each step: the cpu backend
    // keeps the array a tensor is made from, and a caller may hold two steps' gradients at once.
    trainable.forEach((v, i) => {
      const size = this.sizes[i];
      const mean = new Float32Array(size);
      scaleInto(mean, owns[i], weightOf(0));
      for (let r = 0; r < remoteParts.length; r++) addScaledInto(mean, this.replicas[r].grads.subarray(offset, offset + size), weightOf(r + 1));
      grads[v.name] = tf.tensor(mean, v.shape, 'float32');
      offset += size;
    });
    tf.dispose(Object.values(local.grads) as Tensor[]);
    const parts: Record<string, number> = {};
    for (const key of Object.keys(local.parts)) {
      parts[key] = local.parts[key] * weightOf(0) + remoteParts.reduce((acc, p, r) => acc + (p[key] ?? 0) * weightOf(r + 1), 0);
    }
    return { grads, parts };
  }

  private post(r: Replica, shard: Shard): Promise<Record<string, number>> {
    if (r.failure) return Promise.reject(r.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      r.pending.set(id, { resolve, reject });
      // copies of the shard's ranges: a view would send its whole batch buffer
      const own: Shard = { input: shard.input.slice(), shape: shard.shape, targets: Object.fromEntries(Object.entries(shard.targets).map(([k, v]) => [k, v.slice()])) };
      const req: GradientRequest = { type: 'step', id, shard: own };
      r.worker.postMessage(req, [own.input.buffer, ...Object.values(own.targets).map((v) => v.buffer)] as ArrayBuffer[]);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.replicas.map((r) => r.worker.terminate()));
  }
}

/** out[j] = src[j] * w (rounded to f32 on store). */
function scaleInto(out: Float32Array, src: Float32Array, w: number): void {
  for (let j = 0; j < out.length; j++) out[j] = src[j] * w;
}

/** out[j] += src[j] * w (rounded to f32 on store). */
function addScaledInto(out: Float32Array, src: Float32Array, w: number): void {
  for (let j = 0; j < out.length; j++) out[j] += src[j] * w;
}
