// One message channel to a worker, the same in every runtime that has workers: Node's
// worker_threads, and the Web Worker API (Deno, Bun, browsers, where `Worker` is a global).
// Both sides speak plain structured-clone messages; a worker that dies is reported as an error.

export interface WorkerHandle {
  post(message: unknown): void;
  /** Called with every message; `onError` with an Error when the worker fails or exits unasked. */
  listen(onMessage: (message: unknown) => void, onError: (error: Error) => void): void;
  /** Whether a live worker keeps the process running (Node; a no-op elsewhere). */
  keepAlive(on: boolean): void;
  terminate(): void;
}

/** The current worker's side of the channel to whoever started it. */
export interface ParentPort {
  post(message: unknown): void;
  listen(onMessage: (message: unknown) => void): void;
}

interface WebWorker {
  postMessage(message: unknown): void;
  terminate(): void;
  addEventListener(type: string, fn: (event: { data?: unknown; message?: string; error?: unknown; preventDefault?: () => void }) => void): void;
}

type WebWorkerConstructor = new (url: URL | string, options: { type: 'module'; name?: string }) => WebWorker;

const WORKER_THREADS = 'node:worker_threads';

/** Starts the module at `url` in a new worker. */
export async function spawnWorker(url: URL, name: string): Promise<WorkerHandle> {
  const WebWorkerClass = (globalThis as { Worker?: WebWorkerConstructor }).Worker;
  if (typeof WebWorkerClass === 'function') return webWorker(new WebWorkerClass(url, { type: 'module', name }));
  let threads: typeof import('node:worker_threads');
  try {
    threads = (await import(/* @vite-ignore */ /* webpackIgnore: true */ WORKER_THREADS)) as typeof import('node:worker_threads');
  } catch {
    throw new Error('anchorless: this runtime has no workers (neither Worker nor node:worker_threads): use threads: 1');
  }
  const worker = url.pathname.endsWith('.ts') ? tsxWorker(threads, url, name) : new threads.Worker(url, { name });
  let closing = false;
  return {
    post: (message) => worker.postMessage(message),
    listen(onMessage, onError) {
      worker.on('message', onMessage);
      worker.on('error', (e) => onError(e instanceof Error ? e : new Error(String(e))));
      worker.on('exit', (code) => {
        if (!closing) onError(new Error(`the worker exited (code ${code})`));
      });
    },
    keepAlive: (on) => void (on ? worker.ref() : worker.unref()),
    terminate() {
      closing = true;
      void worker.terminate();
    },
  };
}

/**
 * Under tsx (tests, development), a Node 20 worker does not inherit tsx's module hooks: this
 * bootstrap registers them in the worker, then imports the .ts module (as trainer/util/module-worker.ts does).
 */
const TSX_BOOTSTRAP = `
import('node:worker_threads')
  .then(({ workerData }) => import(workerData.tsxApi).then((api) => { api.register(); return import(workerData.entry); }));
`;

function tsxWorker(threads: typeof import('node:worker_threads'), url: URL, name: string): import('node:worker_threads').Worker {
  let tsxApi: string | undefined;
  try {
    tsxApi = import.meta.resolve('tsx/esm/api');
  } catch {
    // no tsx: a Node that strips types itself can still run the .ts module directly
  }
  if (tsxApi === undefined) return new threads.Worker(url, { name });
  return new threads.Worker(TSX_BOOTSTRAP, { eval: true, name, workerData: { tsxApi, entry: url.href } });
}

function webWorker(worker: WebWorker): WorkerHandle {
  return {
    post: (message) => worker.postMessage(message),
    listen(onMessage, onError) {
      worker.addEventListener('message', (event) => onMessage(event.data));
      worker.addEventListener('error', (event) => {
        event.preventDefault?.();
        onError(event.error instanceof Error ? event.error : new Error(event.message ?? 'the worker failed'));
      });
      worker.addEventListener('messageerror', () => onError(new Error('a message from the worker could not be read')));
    },
    keepAlive: () => {},
    terminate: () => worker.terminate(),
  };
}

/** The port of the worker this code runs in. */
export async function parentPort(): Promise<ParentPort> {
  const scope = globalThis as { postMessage?: (m: unknown) => void; addEventListener?: (type: string, fn: (e: { data: unknown }) => void) => void; WorkerGlobalScope?: unknown };
  if (scope.WorkerGlobalScope !== undefined && typeof scope.postMessage === 'function' && typeof scope.addEventListener === 'function') {
    const post = scope.postMessage.bind(globalThis);
    const add = scope.addEventListener.bind(globalThis);
    return { post, listen: (fn) => add('message', (e) => fn(e.data)) };
  }
  const threads = (await import(/* @vite-ignore */ /* webpackIgnore: true */ WORKER_THREADS)) as typeof import('node:worker_threads');
  const port = threads.parentPort;
  if (!port) throw new Error('anchorless: this module runs only as a worker');
  return { post: (m) => port.postMessage(m), listen: (fn) => void port.on('message', fn) };
}

/** The URL of a sibling module, with this module's own extension (.ts under tsx and Deno, .js when built). */
export function siblingModule(base: string, name: string): URL {
  const ext = base.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./${name}${ext}`, base);
}
