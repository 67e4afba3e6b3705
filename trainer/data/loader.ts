// The training data loader: epochs of augmented, normalised batches with their targets, made ahead
// of time by worker threads while the model trains on the main thread.
//
//   const loader = await createLoader(dataset, { batchSize, inputSize, mean, std, targets, seed });
//   for await (const batch of loader.epoch(e, { startStep })) train(batch);
//   await loader.close();
//
// Determinism: the epoch order is a permutation drawn from (seed, epoch), and every random choice
// for an image comes from a stream keyed by (seed, epoch, image index). A batch is therefore the
// same whichever thread makes it and whether the run started at step 0 or resumed at startStep.
// Workers: `workers` threads (default 1) each run decode + augmentation + targets and transfer the
// buffers back. If no worker can start, batches are made on the main thread (with a message).
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../util/module-worker.js';
import { checkSampleConfig, type AugmentConfig, type BatchData, type SampleConfig, type SampleObjects } from './batches.js';
import { createProducer, type Producer, type ProducerImage, type ProducerSetup } from './batch-producer.js';
import { countCacheable, countCached, planImageCache, type ImageStore } from './image-cache.js';
import { epochOrder } from './sample-random.js';
import { loadTargetBuilder, resolveTargetSpec, type TargetSpec } from './target-spec.js';
import type { Dataset, DatasetImage, ImageId } from './types.js';

export interface LoaderOptions {
  batchSize: number;
  /** [height, width] of the network input. */
  inputSize: [number, number];
  /** The model config's normalisation (RGB, 0..1 scale). */
  mean: [number, number, number];
  std: [number, number, number];
  /** Training augmentation (default {}: CenterNet's scheme, official settings); false for validation. */
  augment?: AugmentConfig | false;
  /** Boxes whose clipped width or height is <= this (input px) are dropped. Default 0. */
  minBoxSize?: number;
  /** Targets made with each batch; none when absent. */
  targets?: TargetSpec;
  /** [height, width] of the head outputs the targets are for; default inputSize / targets.outputStride. */
  outputSize?: [number, number];
  /** Default 1. */
  seed?: number;
  /** Shuffle each epoch (default true); false visits images in dataset order. */
  shuffle?: boolean;
  /** Drop the last incomplete batch of an epoch (default true). */
  dropLast?: boolean;
  /** Worker threads; 0 makes batches on the main thread. Default 1. */
  workers?: number;
  /** Batches made ahead of the one being consumed. Default 2 per worker (2 without workers). */
  prefetch?: number;
  /** Memory for decoded images (RGB bytes), shared by all threads. Default 1024; 0 decodes every time. */
  cacheMB?: number;
  /** Where notices go (fallback to the main thread, a worker that died). Default console.warn. */
  log?: (message: string) => void;
  /** How long a worker may take to start. Default 60000. */
  workerStartTimeoutMs?: number;
}

export interface Batch {
  epoch: number;
  step: number;
  /** [B, H, W, 3] normalised RGB. */
  input: Float32Array;
  shape: [number, number, number, number];
  /** The target builder's arrays, image after image ([B * len]; a number per image becomes [B]). */
  targets: Record<string, Float32Array | Int32Array>;
  /** Dataset image ids, batch order. */
  images: ImageId[];
  /** Dataset indices, batch order. */
  indices: number[];
  /** Per image: boxes in input pixels after augmentation, classes, crowd flags, visible shares. */
  objects: SampleObjects[];
}

/** Messages to a loader worker. */
export interface WorkerRequest {
  type: 'batch';
  id: number;
  epoch: number;
  indices: number[];
}

/** Messages from a loader worker. */
export type WorkerReply =
  | { type: 'ready' }
  | { type: 'init-error'; message: string }
  | { type: 'batch'; id: number; data: BatchData }
  | { type: 'error'; id: number; message: string };

interface Job {
  epoch: number;
  indices: number[];
  resolve: (data: BatchData) => void;
  reject: (e: Error) => void;
}

interface PoolWorker {
  index: number;
  worker: Worker;
  jobs: Map<number, Job>;
  alive: boolean;
}

export async function createLoader(dataset: Dataset | readonly DatasetImage[], options: LoaderOptions): Promise<Loader> {
  const source = Array.isArray(dataset) ? (dataset as readonly DatasetImage[]) : (dataset as Dataset).images;
  if (!Array.isArray(source) || source.length === 0) throw new Error('loader: the dataset has no images');
  const o = options;
  const fail = (msg: string): never => {
    throw new Error(`loader: ${msg}`);
  };
  if (!Number.isInteger(o.batchSize) || o.batchSize < 1) fail(`batchSize must be a positive integer, got ${o.batchSize}`);
  const seed = o.seed ?? 1;
  if (!Number.isInteger(seed)) fail(`seed must be an integer, got ${o.seed}`);
  const workers = o.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 0) fail(`workers must be a non-negative integer, got ${o.workers}`);
  const prefetch = o.prefetch ?? 2 * Math.max(1, workers);
  if (!Number.isInteger(prefetch) || prefetch < 1) fail(`prefetch must be a positive integer, got ${o.prefetch}`);
  const cacheMB = o.cacheMB ?? 1024;
  if (!(cacheMB >= 0 && Number.isFinite(cacheMB))) fail(`cacheMB must be a non-negative number, got ${o.cacheMB}`);
  const dropLast = o.dropLast ?? true;
  if (dropLast && source.length < o.batchSize) fail(`${source.length} images make no full batch of ${o.batchSize} (pass dropLast: false or a smaller batchSize)`);
  const config: SampleConfig = { inputSize: o.inputSize, mean: o.mean, std: o.std, augment: o.augment ?? {}, ...(o.minBoxSize !== undefined ? { minBoxSize: o.minBoxSize } : {}) };
  checkSampleConfig(config);
  const targets = o.targets ? resolveTargetSpec(o.targets, o.inputSize, o.outputSize) : undefined;
  // fail here, on the main thread, with the module's own error, rather than in every worker
  if (targets) await loadTargetBuilder(targets);

  const images: ProducerImage[] = source.map((img, i) => {
    if (!img || typeof img.file !== 'string' || !Number.isInteger(img.width) || !Number.isInteger(img.height) || img.width < 1 || img.height < 1) {
      fail(`dataset image ${i} needs a file and positive integer width and height`);
    }
    if (img.boxes.length !== img.classIds.length || img.boxes.length !== img.iscrowd.length) fail(`dataset image ${i} (${img.file}): boxes, classIds and iscrowd differ in length`);
    return { file: img.file, width: img.width, height: img.height, boxes: img.boxes, classIds: img.classIds, iscrowd: img.iscrowd };
  });
  const setup: ProducerSetup = { images, cache: planImageCache(images, cacheMB * 2 ** 20), config, seed, ...(targets ? { targets } : {}) };
  const log = o.log ?? ((m: string) => console.warn(m));
  const loader = new Loader(setup, source.map((img) => img.id), { batchSize: o.batchSize, shuffle: o.shuffle ?? true, dropLast, prefetch, log });
  if (workers > 0) await loader.startWorkers(workers, o.workerStartTimeoutMs ?? 60000);
  return loader;
}

export class Loader {
  readonly batchSize: number;
  /** Images in the dataset. */
  readonly size: number;
  readonly stepsPerEpoch: number;
  readonly prefetch: number;
  private readonly shuffle: boolean;
  private readonly log: (message: string) => void;
  private pool: PoolWorker[] = [];
  private local: Promise<{ produce: Producer; store: ImageStore }> | undefined;
  private nextId = 0;
  private closed = false;
  private closing: Promise<void> | undefined;
  private startError: string | undefined;

  /** Use createLoader. */
  constructor(
    private readonly setup: ProducerSetup,
    private readonly ids: readonly ImageId[],
    o: { batchSize: number; shuffle: boolean; dropLast: boolean; prefetch: number; log: (message: string) => void },
  ) {
    this.batchSize = o.batchSize;
    this.size = ids.length;
    this.stepsPerEpoch = o.dropLast ? Math.floor(this.size / o.batchSize) : Math.ceil(this.size / o.batchSize);
    this.shuffle = o.shuffle;
    this.prefetch = o.prefetch;
    this.log = o.log;
  }

  /** 'workers' while at least one worker thread is alive, else 'in-process'. */
  get mode(): 'workers' | 'in-process' {
    return this.pool.some((w) => w.alive) ? 'workers' : 'in-process';
  }

  /** Why workers were asked for but could not start (undefined otherwise). */
  get workerStartError(): string | undefined {
    return this.startError;
  }

  /** Live worker threads. */
  get workerCount(): number {
    return this.pool.filter((w) => w.alive).length;
  }

  /** Images whose decoded bytes are in the shared cache. */
  get cachedImages(): number {
    return countCached(this.setup.cache);
  }

  /** Images with room in the cache (the rest are decoded on every visit). */
  get cacheableImages(): number {
    return countCacheable(this.setup.cache);
  }

  /** Dataset indices in the order epoch `epoch` visits them. */
  order(epoch: number): Int32Array {
    checkEpoch(epoch);
    return epochOrder(this.size, this.setup.seed, epoch, this.shuffle);
  }

  /** Dataset indices of batch `step` of `epoch`. */
  indicesOf(epoch: number, step: number, order = this.order(epoch)): number[] {
    if (!Number.isInteger(step) || step < 0 || step >= this.stepsPerEpoch) throw new Error(`loader: step must be an integer in [0, ${this.stepsPerEpoch}), got ${step}`);
    return Array.from(order.subarray(step * this.batchSize, Math.min(this.size, (step + 1) * this.batchSize)));
  }

  /**
   * The batches of one epoch from startStep (default 0; a resumed run passes the step it stopped
   * at), `prefetch` of them in the making at any time. Breaking out of the loop abandons the
   * batches made ahead.
   */
  epoch(epoch: number, options: { startStep?: number } = {}): AsyncGenerator<Batch, void, undefined> {
    checkEpoch(epoch);
    const startStep = options.startStep ?? 0;
    if (!Number.isInteger(startStep) || startStep < 0 || startStep > this.stepsPerEpoch) {
      throw new Error(`loader: startStep must be an integer in [0, ${this.stepsPerEpoch}], got ${options.startStep}`);
    }
    return this.run(epoch, startStep, epoch + 1);
  }

  /**
   * Batches of epoch after epoch from (startEpoch, startStep), without end: like chaining epoch()
   * calls, but the first batches of the next epoch are made while the last of this one train.
   */
  stream(startEpoch = 0, startStep = 0): AsyncGenerator<Batch, void, undefined> {
    checkEpoch(startEpoch);
    if (!Number.isInteger(startStep) || startStep < 0 || startStep > this.stepsPerEpoch) {
      throw new Error(`loader: startStep must be an integer in [0, ${this.stepsPerEpoch}], got ${startStep}`);
    }
    return this.run(startEpoch, startStep, Infinity);
  }

  private async *run(epoch: number, step: number, endEpoch: number): AsyncGenerator<Batch, void, undefined> {
    if (this.stepsPerEpoch === 0) return;
    // (epoch, step) of the next batch to start making; orders cached per epoch
    let nextEpoch = epoch;
    let nextStep = step;
    const orders = new Map<number, Int32Array>();
    const ahead: Promise<Batch>[] = [];
    const startOne = () => {
      if (nextStep === this.stepsPerEpoch) {
        nextEpoch++;
        nextStep = 0;
      }
      if (nextEpoch >= endEpoch) return false;
      let order = orders.get(nextEpoch);
      if (!order) {
        order = this.order(nextEpoch);
        orders.set(nextEpoch, order);
      }
      const p = this.makeBatch(nextEpoch, nextStep, order);
      p.catch(() => {}); // awaited in turn below; a batch abandoned by a break must not be an unhandled rejection
      ahead.push(p);
      nextStep++;
      return true;
    };
    while (ahead.length < this.prefetch && startOne());
    while (ahead.length > 0) {
      const batch = await ahead.shift()!;
      orders.delete(batch.epoch - 1);
      startOne();
      yield batch;
    }
  }

  /** One batch, made now (no prefetch): for random access and tests. */
  batch(epoch: number, step: number): Promise<Batch> {
    return this.makeBatch(epoch, step, this.order(epoch));
  }

  /** Stops the workers; batches still being made reject. Safe to call twice. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    const pool = this.pool;
    this.pool = [];
    this.closing = Promise.all(
      pool.map(async (w) => {
        w.alive = false;
        failJobs(w, new Error('loader: closed while the batch was being made'));
        await w.worker.terminate();
      }),
    ).then(() => undefined);
    return this.closing;
  }

  /** Starts the worker threads and waits until each has loaded its modules; falls back on failure. */
  async startWorkers(count: number, timeoutMs: number): Promise<void> {
    const started = await Promise.allSettled(Array.from({ length: count }, (_, i) => this.spawn(i, timeoutMs)));
    const ok = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failed = started.flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).message] : []));
    if (failed.length === 0) {
      this.pool = ok;
      return;
    }
    for (const w of ok) w.alive = false;
    await Promise.all(ok.map((w) => w.worker.terminate()));
    this.startError = failed[0];
    this.log(`loader: worker threads could not start (${failed[0]}); making batches on the main thread instead, where augmentation competes with training for the CPU`);
  }

  private spawn(index: number, timeoutMs: number): Promise<PoolWorker> {
    return new Promise((resolve, reject) => {
      let worker: Worker;
      try {
        worker = newWorker(this.setup);
      } catch (e) {
        reject(e as Error);
        return;
      }
      const w: PoolWorker = { index, worker, jobs: new Map(), alive: false };
      const timer = setTimeout(() => {
        reject(new Error(`worker ${index} did not start within ${timeoutMs} ms`));
        void worker.terminate();
      }, timeoutMs);
      const onStartFailure = (why: string) => {
        clearTimeout(timer);
        reject(new Error(why));
      };
      worker.on('message', (msg: WorkerReply) => {
        if (msg.type === 'ready') {
          clearTimeout(timer);
          w.alive = true;
          worker.unref();
          resolve(w);
        } else if (msg.type === 'init-error') {
          onStartFailure(msg.message);
        } else {
          this.settle(w, msg);
        }
      });
      worker.on('error', (e: Error) => (w.alive ? this.lost(w, `error: ${e.message}`) : onStartFailure(e.message)));
      worker.on('exit', (code) => (w.alive ? this.lost(w, `exit code ${code}`) : onStartFailure(`worker ${index} exited with code ${code} before it was ready`)));
    });
  }

  private settle(w: PoolWorker, msg: WorkerReply): void {
    if (msg.type !== 'batch' && msg.type !== 'error') return;
    const job = w.jobs.get(msg.id);
    if (!job) return;
    w.jobs.delete(msg.id);
    if (w.jobs.size === 0) w.worker.unref();
    if (msg.type === 'batch') job.resolve(msg.data);
    else job.reject(new Error(msg.message));
  }

  /** A worker died after starting: its jobs are made again elsewhere (they are deterministic). */
  private lost(w: PoolWorker, why: string): void {
    if (!w.alive || this.closed) return;
    w.alive = false;
    const alive = this.workerCount;
    this.log(`loader: worker ${w.index} stopped (${why}); ${alive > 0 ? `continuing with ${alive} worker(s)` : 'making batches on the main thread from now on'}`);
    const jobs = [...w.jobs.values()];
    w.jobs.clear();
    for (const job of jobs) this.dispatch(job.epoch, job.indices).then(job.resolve, job.reject);
  }

  private dispatch(epoch: number, indices: number[]): Promise<BatchData> {
    if (this.closed) return Promise.reject(new Error('loader: closed'));
    let best: PoolWorker | undefined;
    for (const w of this.pool) if (w.alive && (!best || w.jobs.size < best.jobs.size)) best = w;
    if (!best) return this.makeLocally(epoch, indices);
    const w = best;
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      w.jobs.set(id, { epoch, indices, resolve, reject });
      w.worker.ref();
      w.worker.postMessage({ type: 'batch', id, epoch, indices } satisfies WorkerRequest);
    });
  }

  private async makeLocally(epoch: number, indices: number[]): Promise<BatchData> {
    this.local ??= createProducer(this.setup);
    const { produce } = await this.local;
    return produce(epoch, indices);
  }

  private async makeBatch(epoch: number, step: number, order: Int32Array): Promise<Batch> {
    const indices = this.indicesOf(epoch, step, order);
    const data = await this.dispatch(epoch, indices);
    return { epoch, step, ...data, images: indices.map((i) => this.ids[i]), indices };
  }
}

function newWorker(setup: ProducerSetup): Worker {
  return startModuleWorker(import.meta.url, 'loader-worker', { setup });
}

function failJobs(w: PoolWorker, e: Error): void {
  const jobs = [...w.jobs.values()];
  w.jobs.clear();
  for (const job of jobs) job.reject(e);
}

function checkEpoch(epoch: number): void {
  if (!Number.isInteger(epoch) || epoch < 0) throw new Error(`loader: epoch must be a non-negative integer, got ${epoch}`);
}
