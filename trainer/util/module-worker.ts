// Starts a worker thread from one of the trainer's own modules, whether the trainer runs as the
// compiled .js (dist/) or as the .ts sources under tsx (tests, development).
import { Worker } from 'node:worker_threads';

/**
 * Under tsx, a worker does not inherit tsx's module hooks on Node 20: this bootstrap registers them
 * in the worker, then imports the .ts worker module. Only dynamic imports, so it runs whether the
 * inherited flags make eval code CommonJS or ESM.
 */
const TSX_BOOTSTRAP = `
import('node:worker_threads')
  .then(({ workerData }) => import(workerData.boot.tsxApi).then((api) => { api.register(); return import(workerData.boot.entry); }));
`;

/**
 * A worker running module `name` (no extension) of the folder of `callerUrl` (import.meta.url of
 * the caller), with `workerData` as its workerData (the tsx bootstrap adds a `boot` field).
 */
export function startModuleWorker(callerUrl: string, name: string, workerData: Record<string, unknown>): Worker {
  if (callerUrl.endsWith('.ts')) {
    const entry = new URL(`./${name}.ts`, callerUrl);
    let tsxApi: string | undefined;
    try {
      tsxApi = import.meta.resolve('tsx/esm/api');
    } catch {
      // no tsx: a Node that strips types itself can still run the .ts worker directly
    }
    if (tsxApi) return new Worker(TSX_BOOTSTRAP, { eval: true, workerData: { ...workerData, boot: { tsxApi, entry: entry.href } } });
    return new Worker(entry, { workerData });
  }
  return new Worker(new URL(`./${name}.js`, callerUrl), { workerData });
}
