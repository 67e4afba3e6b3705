// The caller's side of a detector in worker mode: requests go to the detector's worker
// (detector-worker.ts) and come back as promises, so the calling thread (a server's event loop)
// stays free while the network runs. Requests queue in the worker in the order they were made;
// to spread them over several workers, create several detectors.
import { siblingModule, spawnWorker, type WorkerHandle } from './worker-port.js';
import type { CreateRequest, WorkerRequest } from './detector-worker.js';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

export class RemoteDetector {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private failure: Error | undefined;
  private closed = false;

  private constructor(private readonly worker: WorkerHandle) {
    worker.listen(
      (message) => this.settle(message as { id: number; result?: unknown; error?: string }),
      (error) => this.fail(error),
    );
  }

  /** Starts the worker and builds the detector there; resolves with what create() returned in the worker. */
  static async start(request: CreateRequest): Promise<{ remote: RemoteDetector; created: unknown }> {
    const worker = await spawnWorker(siblingModule(import.meta.url, 'detector-worker'), 'anchorless-detector');
    const remote = new RemoteDetector(worker);
    try {
      return { remote, created: await remote.request('create', request) };
    } catch (e) {
      remote.close();
      throw e;
    }
  }

  /** Sends one request; the worker answers them in order. */
  request(op: WorkerRequest['op'], args: unknown): Promise<unknown> {
    if (this.failure) return Promise.reject(new Error(`ObjectDetector: the detector's worker failed earlier (${this.failure.message})`));
    if (this.closed) return Promise.reject(new Error('ObjectDetector: used after close()'));
    const id = this.nextId++;
    const answer = new Promise<unknown>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    // a worker with work in flight keeps the process alive; an idle one does not (Node)
    this.worker.keepAlive(true);
    this.worker.post({ id, op, args } satisfies WorkerRequest);
    return answer;
  }

  /** Frees the worker (after the requests already sent); later requests are Errors. */
  close(): void {
    if (this.closed) return;
    if (this.failure) {
      this.closed = true;
      this.worker.terminate();
      return;
    }
    // the worker stops its pool's helpers, then goes
    const last = this.request('close', null);
    this.closed = true;
    void last.catch(() => {}).finally(() => this.worker.terminate());
  }

  private settle(message: { id: number; result?: unknown; error?: string }): void {
    const p = this.pending.get(message.id);
    if (!p) return;
    this.pending.delete(message.id);
    if (this.pending.size === 0) this.worker.keepAlive(false);
    if (message.error !== undefined) p.reject(new Error(message.error));
    else p.resolve(message.result);
  }

  private fail(error: Error): void {
    if (this.closed && this.pending.size === 0) return;
    this.failure = error;
    for (const p of this.pending.values()) p.reject(new Error(`ObjectDetector: the detector's worker failed: ${error.message}`));
    this.pending.clear();
    this.worker.keepAlive(false);
  }
}
