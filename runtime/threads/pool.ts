// The kernel pool's leader side: `threads - 1` helper workers share the leader's kernel memory
// (the shared-memory build), and each heavy kernel call is split by output rows across all of
// them, the leader included. The leader blocks (Atomics.wait) until the helpers are done, so it
// must itself run in a worker: the detector's worker (detector-worker.ts), never a page's main thread.
import { CONTROL_INTS, FAILED, GEN, NEXT, PENDING, STOP, runChunks, writeTask, type RowTask } from './pool-protocol.js';
import { siblingModule, spawnWorker, type WorkerHandle } from './worker-port.js';
import type { KernelExports } from '../wasm/exports.js';

/**
 * Work below this many multiply-adds (or element visits) per call runs on the leader alone: waking
 * the helpers costs tens of microseconds.
 */
const MIN_PARALLEL_WORK = 1 << 17;
/** Chunks per thread: enough for a delayed thread to take fewer, few enough to keep blocks whole. */
const CHUNKS_PER_THREAD = 4;

export class KernelPool {
  private closed = false;
  /** Calls shared out across the threads, and calls run whole on the leader (too small, or one row). */
  readonly stats = { split: 0, whole: 0 };

  private constructor(
    readonly threads: number,
    private readonly ex: KernelExports,
    private readonly ctl: Int32Array,
    private readonly helpers: WorkerHandle[],
  ) {}

  /** Starts `threads - 1` helpers on `module` over `memory` (the leader's instance is `ex`). */
  static async start(threads: number, module: WebAssembly.Module, memory: WebAssembly.Memory, ex: KernelExports): Promise<KernelPool> {
    const ctl = new Int32Array(new SharedArrayBuffer(CONTROL_INTS * 4));
    const helpers: WorkerHandle[] = [];
    try {
      await Promise.all(
        Array.from({ length: threads - 1 }, async (_, i) => {
          const helper = await spawnWorker(siblingModule(import.meta.url, 'pool-helper'), `anchorless-kernels-${i + 1}`);
          helpers.push(helper);
          helper.keepAlive(false);
          await new Promise<void>((resolve, reject) => {
            helper.listen((m) => {
              const reply = m as { ready?: boolean; error?: string };
              if (reply.error) reject(new Error(reply.error));
              else resolve();
            }, reject);
            helper.post({ module, memory, control: ctl.buffer, thread: i + 1 });
          });
        }),
      );
    } catch (e) {
      for (const h of helpers) h.terminate();
      throw new Error(`kernel pool: cannot start ${threads - 1} helper threads: ${(e as Error).message}`);
    }
    return new KernelPool(threads, ex, ctl, helpers);
  }

  /** Runs `task` over all threads (the calling thread included), or alone when it is small; returns when every row is done. */
  run(task: RowTask, work: number): void {
    if (this.closed) throw new Error('kernel pool: used after close()');
    if (work < MIN_PARALLEL_WORK || task.rows <= 1) {
      this.stats.whole++;
      (this.ex[task.fn] as (...args: number[]) => void)(...task.args);
      return;
    }
    this.stats.split++;
    const align = task.align ?? 1;
    const grain = Math.ceil(task.rows / (this.threads * CHUNKS_PER_THREAD) / align) * align;
    const chunks = Math.ceil(task.rows / grain);
    const ctl = this.ctl;
    writeTask(ctl, task, grain, chunks);
    Atomics.store(ctl, NEXT, 0);
    Atomics.store(ctl, FAILED, 0);
    Atomics.store(ctl, PENDING, this.helpers.length);
    Atomics.add(ctl, GEN, 1);
    Atomics.notify(ctl, GEN);
    let failure: unknown;
    try {
      runChunks(this.ex, ctl, 0);
    } catch (e) {
      failure = e;
      // the helpers may still be reading this task: let them finish before anything is rewritten
    }
    for (let left = Atomics.load(ctl, PENDING); left !== 0; left = Atomics.load(ctl, PENDING)) Atomics.wait(ctl, PENDING, left);
    if (failure !== undefined) throw failure;
    if (Atomics.load(ctl, FAILED) !== 0) throw new Error(`anchorless: kernel ${task.fn} failed on a pool thread (a bug: please report it)`);
  }

  /** Stops and terminates the helpers. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.ctl, STOP, 1);
    Atomics.add(this.ctl, GEN, 1);
    Atomics.notify(this.ctl, GEN);
    for (const h of this.helpers) h.terminate();
  }
}
