// The `threads` option: how many threads a detector's kernels use, and whether this runtime can
// have more than one (shared memory, i.e. SharedArrayBuffer, and workers; never in workerd).

export type ThreadsOption = number | 'auto';

/** The most threads 'auto' picks: beyond 4 the small models' layers split too thin to gain. */
const AUTO_MAX = 4;

/** Whether this runtime can run the worker pool: SharedArrayBuffer (cross-origin isolated pages) and workers. */
export function threadsSupported(): boolean {
  const g = globalThis as { SharedArrayBuffer?: unknown; crossOriginIsolated?: boolean; Worker?: unknown; process?: { versions?: { node?: string } } };
  if (typeof g.SharedArrayBuffer !== 'function' || g.crossOriginIsolated === false) return false;
  return typeof g.Worker === 'function' || typeof g.process?.versions?.node === 'string';
}

/** The cores this runtime reports (navigator.hardwareConcurrency, else Node's os.availableParallelism). */
async function cores(): Promise<number> {
  const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  if (typeof n === 'number' && n >= 1) return n;
  try {
    const os = (await import(/* @vite-ignore */ /* webpackIgnore: true */ 'node:os' as string)) as typeof import('node:os');
    return os.availableParallelism?.() ?? os.cpus().length;
  } catch {
    return 1;
  }
}

/** Resolves and checks options.threads: 'auto' is the cores up to 4 where threads are supported, else 1. */
export async function resolveThreads(fn: string, v: unknown): Promise<number> {
  if (v === 'auto') return threadsSupported() ? Math.max(1, Math.min(AUTO_MAX, await cores())) : 1;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 64) {
    throw new Error(`${fn}: threads must be a whole number in [1, 64] or 'auto', got ${typeof v === 'string' ? JSON.stringify(v) : String(v)}`);
  }
  if (v > 1 && !threadsSupported()) {
    throw new Error(`${fn}: threads ${v} needs SharedArrayBuffer and workers, which this runtime lacks (browsers: serve the page cross-origin isolated; Cloudflare Workers: none): use threads: 1`);
  }
  return v;
}
