// The kernel pool's leader side: `threads - 1` helper workers share the leader's kernel memory
// (the shared-memory build), and each heavy kernel call is split by output rows across all of
// them, the leader included. The leader blocks (Atomics.wait) until the helpers are done, so it
// must itself run in a worker: the detector's worker (detector-worker.ts), never a page's main thread.
// The int8 kernel module is not part of the start: the helpers instantiate it only when the leader
// loads it (int8-loader.ts calls attachInt8), so a pool that runs an f32 model never fetches it.
import {
  CONTROL_INTS, FAILED, GEN, MESSAGE, NEXT, PENDING, STOP, isInt8Kernel, poolKernel, runChunks, writeTask,
  type PoolInstances, type RowTask,
} from './pool-protocol.js';
import { siblingModule, spawnWorker, type WorkerHandle } from './worker-port.js';
import type { KernelExports } from '../wasm/exports.js';
import type { Int8Exports } from '../wasm/int8-exports.js';

/**
 * Work below this many multiply-adds (or element visits) per call runs on the leader alone: waking
 * the helpers costs tens of microseconds.
 */
const MIN_PARALLEL_WORK = 1 << 17;
/** Chunks per thread by default: enough for a delayed thread to take fewer, few enough to keep blocks whole. */
const CHUNKS_PER_THREAD = 4;

/** A helper worker and whoever waits for its next answer ({ ready } or { error }). */
class Helper {
  private waiter?: (answer: unknown) => void;

  constructor(readonly handle: WorkerHandle) {
    handle.listen(
      (m) => this.waiter?.(m),
      (e) => this.waiter?.(e),
    );
  }

  /** Posts `message` and resolves on the helper's answer; rejects on its error, its death, or fail(). */
  request(message: unknown): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiter = (answer) => {
        this.waiter = undefined;
        const error = answer instanceof Error ? answer : (answer as { error?: string }).error;
        if (error === undefined) resolve();
        else reject(error instanceof Error ? error : new Error(error));
      };
      this.handle.post(message);
    });
  }

  /** Ends a wait that no answer will end (the pool is closing). */
  fail(error: Error): void {
    this.waiter?.(error);
  }
}

export class KernelPool {
  private closed = false;
  /** While the helpers are away from their wait loop (attachInt8): every call runs whole on the leader. */
  private attaching: Promise<void> | undefined;
  /** The leader's instances: `int8` is set once every helper has the same int8 module. */
  private readonly on: PoolInstances;
  /** Calls shared out across the threads, calls run whole on the leader (too small, or one row), and the chunks the split calls were cut into. */
  readonly stats = { split: 0, whole: 0, chunks: 0 };
  /** Inside alone(): every call runs whole on the leader. */
  private leaderOnly = false;

  private constructor(
    readonly threads: number,
    ex: KernelExports,
    private readonly ctl: Int32Array,
    private readonly helpers: Helper[],
  ) {
    this.on = { main: ex };
  }

  /** Starts `threads - 1` helpers on `module` over `memory` (the leader's instance is `ex`). */
  static async start(threads: number, module: WebAssembly.Module, memory: WebAssembly.Memory, ex: KernelExports): Promise<KernelPool> {
    const ctl = new Int32Array(new SharedArrayBuffer(CONTROL_INTS * 4));
    const helpers: Helper[] = [];
    try {
      await Promise.all(
        Array.from({ length: threads - 1 }, async (_, i) => {
          const handle = await spawnWorker(siblingModule(import.meta.url, 'pool-helper'), `anchorless-kernels-${i + 1}`);
          const helper = new Helper(handle);
          helpers.push(helper);
          await helper.request({ module, memory, control: ctl.buffer, thread: i + 1 });
          // a started helper does not keep the process alive (waiting for its answer did)
          handle.keepAlive(false);
        }),
      );
    } catch (e) {
      for (const h of helpers) h.handle.terminate();
      throw new Error(`kernel pool: cannot start ${threads - 1} helper threads: ${(e as Error).message}`);
    }
    return new KernelPool(threads, ex, ctl, helpers);
  }

  /** The int8 instance whose kernels the pool splits (the one of the last attachInt8), if any. */
  get int8(): Int8Exports | undefined {
    return this.on.int8;
  }

  /**
   * Has every helper instantiate the int8 `module` on the shared memory; `exports` is the leader's
   * instance of it. Until it resolves, every call runs whole on the leader. Rejects with the
   * first helper's error (the pool then splits no int8 kernel, and still splits the others).
   */
  async attachInt8(module: WebAssembly.Module, exports: Int8Exports): Promise<void> {
    while (this.attaching) await this.attaching.catch(() => {});
    if (this.closed) throw new Error('kernel pool: used after close()');
    this.on.int8 = undefined;
    const ctl = this.ctl;
    // the message waits in each helper's queue; MESSAGE sends them back to their event loop to read it.
    // The helpers keep the process alive while it waits for their answers (an idle pool does not).
    for (const h of this.helpers) h.handle.keepAlive(true);
    const answers = this.helpers.map((h) => h.request({ int8: module }));
    Atomics.store(ctl, MESSAGE, 1);
    Atomics.add(ctl, GEN, 1);
    Atomics.notify(ctl, GEN);
    const attaching = Promise.allSettled(answers).then((settled) => {
      // every helper is back in its wait loop (or dead): the next task may go out
      Atomics.store(ctl, MESSAGE, 0);
      for (const h of this.helpers) h.handle.keepAlive(false);
      const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed) throw failed.reason;
      if (!this.closed) this.on.int8 = exports;
    });
    this.attaching = attaching;
    try {
      await attaching;
    } finally {
      if (this.attaching === attaching) this.attaching = undefined;
    }
  }

  /** Runs `task` over all threads (the calling thread included), or alone when it is small; returns when every row is done. */
  run(task: RowTask, work: number): void {
    if (this.closed) throw new Error('kernel pool: used after close()');
    if (isInt8Kernel(task.fn) && !this.on.int8) throw new Error(`kernel pool: ${task.fn} is an int8 kernel, but the pool has no int8 module (a bug: please report it)`);
    if (work < MIN_PARALLEL_WORK || task.rows <= 1 || this.attaching || this.leaderOnly) {
      this.stats.whole++;
      poolKernel(this.on, task.fn)(...task.args);
      return;
    }
    this.stats.split++;
    const align = task.align ?? 1;
    const grain = Math.ceil(task.rows / (this.threads * (task.chunksPerThread ?? CHUNKS_PER_THREAD)) / align) * align;
    const chunks = Math.ceil(task.rows / grain);
    this.stats.chunks += chunks;
    const ctl = this.ctl;
    writeTask(ctl, task, grain, chunks);
    Atomics.store(ctl, NEXT, 0);
    Atomics.store(ctl, FAILED, 0);
    Atomics.store(ctl, PENDING, this.helpers.length);
    Atomics.add(ctl, GEN, 1);
    Atomics.notify(ctl, GEN);
    let failure: unknown;
    try {
      runChunks(this.on, ctl, 0);
    } catch (e) {
      failure = e;
      // the helpers may still be reading this task: let them finish before anything is rewritten
    }
    for (let left = Atomics.load(ctl, PENDING); left !== 0; left = Atomics.load(ctl, PENDING)) Atomics.wait(ctl, PENDING, left);
    if (failure !== undefined) throw failure;
    if (Atomics.load(ctl, FAILED) !== 0) throw new Error(`anchorless: kernel ${task.fn} failed on a pool thread (a bug: please report it)`);
  }

  /**
   * `fn`'s kernel calls run whole on the calling thread: for timing a kernel against another
   * without the split's cost (int8-layout.ts' probe, whose small layer would measure the split).
   */
  alone<T>(fn: () => T): T {
    const was = this.leaderOnly;
    this.leaderOnly = true;
    try {
      return fn();
    } finally {
      this.leaderOnly = was;
    }
  }

  /** Stops and terminates the helpers. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.ctl, STOP, 1);
    Atomics.add(this.ctl, GEN, 1);
    Atomics.notify(this.ctl, GEN);
    for (const h of this.helpers) {
      h.handle.terminate();
      h.fail(new Error('kernel pool: closed'));
    }
  }
}
