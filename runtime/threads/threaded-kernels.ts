// The kernels of a worker pool: the shared-memory SIMD128 build, instantiated here (the pool's
// leader) on a new shared memory that every helper instantiates the same module against.
import { defaultKernels } from '../wasm/default-kernels.js';
import type { KernelExports } from '../wasm/exports.js';
import { WasmHeap } from '../wasm/heap.js';
import type { Kernels } from '../wasm/loader.js';
import { KernelPool } from './pool.js';

/** Pages of the build's declared memory: initialMemory and maximumMemory in asconfig.json (simd-threads). */
const INITIAL_PAGES = 16;
const MAXIMUM_PAGES = 65536;

/** Loads the shared-memory kernels (from `wasm` when given) and starts `threads - 1` helpers (no pool for one thread). */
export async function loadThreadedKernels(threads: number, wasm?: WebAssembly.Module | BufferSource): Promise<Kernels> {
  const what = wasm === undefined ? 'the bundled simd-threads kernels' : 'options.wasm';
  const source = wasm ?? (await defaultKernels('simd-threads'));
  const module = source instanceof WebAssembly.Module ? source : await WebAssembly.compile(source);
  if (!WebAssembly.Module.imports(module).some((i) => i.module === 'env' && i.name === 'memory' && i.kind === 'memory')) {
    throw new Error(`ObjectDetector.create: threads > 1 needs the shared-memory kernel build (anchorless-simd-threads.wasm), but ${what} is a single-threaded build`);
  }
  const memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAXIMUM_PAGES, shared: true });
  const instance = await WebAssembly.instantiate(module, { env: { memory, abort: onAbort } });
  const ex = instance.exports as unknown as KernelExports;
  const pool = threads > 1 ? await KernelPool.start(threads, module, memory, ex) : undefined;
  return { exports: ex, heap: new WasmHeap(memory, ex.heapBase()), variant: 'simd', pool };
}

function onAbort(): never {
  throw new Error('anchorless: kernel assertion failed (a bug: please report it)');
}
