// Loads the int8 kernel module (assembly/int8.ts) on the memory of loaded fp32 kernels: a module of
// its own, fetched only by int8 models, so that the main module stays within its size budget. It
// imports that memory and has no static data, so its kernels read and write the pointers of the
// main module's allocator (heap.ts) directly. The build follows the kernels: int8-simd or
// int8-relaxed beside the same single-threaded variant; on the shared memory of the worker pool's
// build (runtime/threads/, SIMD128), int8-relaxed-threads where the engine has relaxed SIMD (not V8 < 12: poolRelaxedInt8; its int8
// layers may then run in the c4 layout, engine/int8-layout.ts, while the pool's fp32 kernels stay
// SIMD128), else int8-simd-threads. Bytes come from the same place as the main kernels'
// (default-kernels.ts: the file beside this module, or the modules a runtime's entry registered).
// One load per kernel instance: later calls return the same Int8Kernels.
// On the worker pool's kernels the load also has every helper thread instantiate the module
// (KernelPool.attachInt8), so that the pool splits the int8 kernel calls as it splits the fp32 ones;
// a pool that only ever runs fp32 models never loads it.
import { defaultKernels, kernelFileName, type Int8Build } from './default-kernels.js';
import { INT8_EXPORT_NAMES, type Int8Exports } from './int8-exports.js';
import { WasmHeap } from './heap.js';
import { compile, type CompileCaller, type Kernels, type WasmSource, type WasmVariant } from './loader.js';
import { relaxedSimdSupported } from './features.js';
import { optionsObject } from '../util/options.js';

export type { Int8Build } from './default-kernels.js';

/** The int8 kernels on the memory of `base`: pointers, heap and packed weights are shared with it. */
export interface Int8Kernels {
  /** The fp32 kernels whose memory the int8 module imports. */
  readonly base: Kernels;
  readonly exports: Int8Exports;
  /** base.heap: int8 codes, packed int8 weights and f32 outputs live on the main heap. */
  readonly heap: WasmHeap;
  /**
   * The int8 build's: 'relaxed' adds the relaxed dot product of the c4 layout. base.variant, except on
   * the worker pool's SIMD128 kernels, whose int8 build is relaxed where the engine has relaxed SIMD.
   */
  readonly variant: WasmVariant;
  readonly build: Int8Build;
}

export interface LoadInt8Options {
  /** A compiled module, the bytes, or a URL / path of the int8 build that matches the kernels (anchorless-int8-*.wasm). */
  wasm?: WasmSource;
}

const OP = 'loadInt8Kernels';
const OPTIONS = ['wasm'] as const;
const CALLER: CompileCaller = { op: OP, importExample: "import wasm from 'anchorless/wasm/int8-simd'; await loadInt8Kernels(k, { wasm })" };

const loaded = new WeakMap<Kernels, Promise<Int8Kernels>>();
/** Every Int8Kernels this module made: what the int8 ops accept (checkInt8Kernels). */
const made = new WeakSet<Int8Kernels>();

/**
 * The int8 kernels for `k` (the Kernels of init(), or of the worker pool's shared-memory build).
 * Loaded once per `k`; with opts.wasm, that module is loaded and kept for `k` instead.
 */
export async function loadInt8Kernels(k: Kernels, opts?: LoadInt8Options): Promise<Int8Kernels> {
  const o = optionsObject(OP, 'opts', opts, OPTIONS);
  checkBaseKernels(k);
  const cached = loaded.get(k);
  if (cached && o.wasm === undefined) return cached;
  const pending = load(k, o.wasm);
  loaded.set(k, pending);
  try {
    return await pending;
  } catch (e) {
    // a failed load is not kept: the int8 kernels loaded before stay, or the next call tries again
    if (loaded.get(k) === pending) {
      if (cached) loaded.set(k, cached);
      else loaded.delete(k);
    }
    throw e;
  }
}

/** Throws unless `k` is an Int8Kernels from loadInt8Kernels (the int8 ops' first argument). */
export function checkInt8Kernels(op: string, k: unknown): Int8Kernels {
  if (typeof k === 'object' && k !== null && made.has(k as Int8Kernels)) return k as Int8Kernels;
  const fp32 = typeof k === 'object' && k !== null && (k as Partial<Kernels>).heap instanceof WasmHeap;
  throw new Error(
    `${op}: k must be the int8 kernels from \`await loadInt8Kernels(k)\`, got ${fp32 ? 'the fp32 kernels of init()' : k === null ? 'null' : typeof k}`,
  );
}

/** The int8 build that runs on `k`'s memory. */
export function int8BuildFor(k: Kernels): Int8Build {
  if (isShared(k.exports.memory)) {
    if (k.variant !== 'simd') throw new Error(`${OP}: there is no int8 build for '${k.variant}' kernels on shared memory (the worker pool's kernels are 'simd')`);
    return poolRelaxedInt8() ? 'int8-relaxed-threads' : 'int8-simd-threads';
  }
  return k.variant === 'relaxed' ? 'int8-relaxed' : 'int8-simd';
}

/**
 * Whether the worker pool's int8 module is the relaxed one: where the engine has relaxed SIMD, except
 * V8 before 12 (Node 20 with --experimental-wasm-relaxed-simd), whose baseline compiler computes the
 * relaxed dot product wrongly. The layout probe catches that on the calling thread, but a helper
 * thread's code can still be in that compiler after the probe (seen in CI: a c4 transposed conv's
 * helper rows came out 0), so there the pool keeps the SIMD128 module.
 */
export function poolRelaxedInt8(): boolean {
  const v8 = (globalThis as { process?: { versions?: { v8?: string } } }).process?.versions?.v8;
  return relaxedSimdSupported() && !(v8 !== undefined && Number(v8.split('.')[0]) < 12);
}

function checkBaseKernels(k: Kernels): void {
  const v = k as Partial<Kernels> | null;
  if (typeof k !== 'object' || v === null || !(v.heap instanceof WasmHeap) || !(v.exports?.memory instanceof WebAssembly.Memory) || (v.variant !== 'simd' && v.variant !== 'relaxed')) {
    throw new Error(`${OP}: k must be the kernels of \`await init()\` (or of the worker pool), got ${v === null ? 'null' : typeof k === 'object' ? 'another object' : typeof k}`);
  }
}

function isShared(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer === 'function' && memory.buffer instanceof SharedArrayBuffer;
}

async function load(base: Kernels, wasm: WasmSource | undefined): Promise<Int8Kernels> {
  const build = int8BuildFor(base);
  const file = kernelFileName(build);
  const what = wasm === undefined ? `the bundled ${build} kernels` : 'opts.wasm';
  const module = await compile(wasm ?? (await defaultKernels(build)), what, CALLER);
  // checked before instantiation: instantiating another module on this memory could overwrite its data
  const names = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
  const missing = INT8_EXPORT_NAMES.filter((name) => !names.has(name));
  if (missing.length > 0) {
    const main = names.has('heapBase') ? ': it is a main kernel build, for init()' : '';
    throw new Error(`${OP}: ${what} is not the anchorless int8 kernel module ${file} (it lacks the exports ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', ...' : ''}${main})`);
  }
  if (!WebAssembly.Module.imports(module).some((i) => i.module === 'env' && i.name === 'memory' && i.kind === 'memory')) {
    throw new Error(`${OP}: ${what} does not import the kernels' memory, so it is not a build of the int8 kernel module (want ${file})`);
  }
  let instance: WebAssembly.Instance;
  try {
    instance = await WebAssembly.instantiate(module, { env: { memory: base.exports.memory, abort: onAbort } });
  } catch (e) {
    const memory = isShared(base.exports.memory) ? "shared memory (the worker pool's kernels)" : 'unshared memory';
    throw new Error(`${OP}: ${what} cannot be instantiated on the kernels' ${memory}, whose int8 build is ${file}: ${(e as Error).message}`);
  }
  const exports = instance.exports as unknown as Int8Exports;
  const variant: WasmVariant = exports.isRelaxedBuild() === 1 ? 'relaxed' : 'simd';
  // on shared memory either int8 build suits the pool's SIMD128 kernels (opts.wasm may give the other one)
  if (variant !== base.variant && !isShared(base.exports.memory)) {
    throw new Error(`${OP}: ${what} is the '${variant}' int8 build but the kernels are the '${base.variant}' build (want ${file})`);
  }
  if (base.pool) {
    try {
      await base.pool.attachInt8(module, exports);
    } catch (e) {
      throw new Error(`${OP}: the worker pool's helper threads cannot load ${what}: ${(e as Error).message}`);
    }
  }
  // the build loaded (on shared memory opts.wasm may be either)
  const loaded: Int8Build = isShared(base.exports.memory) ? (variant === 'relaxed' ? 'int8-relaxed-threads' : 'int8-simd-threads') : build;
  const k8: Int8Kernels = { base, exports, heap: base.heap, variant, build: loaded };
  made.add(k8);
  return k8;
}

function onAbort(): never {
  throw new Error('anchorless: int8 kernel assertion failed (a bug: please report it)');
}
