// Loads the kernel module once per process: the SIMD128 build, or the relaxed-SIMD build where the
// engine validates relaxed SIMD and a short calibration finds it faster on this machine
// (calibrate.ts). Works in Node, Deno, Bun, browsers and workers: the binaries come from the file
// beside this module, from modules the runtime's entry imported (default-kernels.ts,
// runtime/entries/), or from the caller.
import { defaultKernels } from './default-kernels.js';
import { fasterBuild } from './calibrate.js';
import { relaxedSimdSupported, simdSupported } from './features.js';
import { WasmHeap } from './heap.js';
import type { KernelExports } from './exports.js';
import type { KernelPool } from '../threads/pool.js';
import { checkOptionNames } from '../util/options.js';
import { nodeFs } from '../util/node-fs.js';

export type WasmVariant = 'simd' | 'relaxed';
export type WasmSource = WebAssembly.Module | BufferSource | URL | string;

export interface InitOptions {
  /** A compiled module or the bytes (or a URL / path) of one of the two builds. */
  wasm?: WasmSource;
  /** Force a build: 'simd' (SIMD128) or 'relaxed' (relaxed SIMD, fused multiply-add). */
  variant?: WasmVariant;
  /**
   * Where the calibration between the two builds is kept per machine (calibration-cache.ts): a
   * folder, true for the default ($ANCHORLESS_CACHE_DIR, else ~/.cache/anchorless), false for none.
   */
  calibrationCache?: string | boolean;
}

export interface Kernels {
  readonly exports: KernelExports;
  readonly heap: WasmHeap;
  readonly variant: WasmVariant;
  /** The worker pool that splits heavy kernel calls across threads (the shared-memory build only; runtime/threads/). */
  readonly pool?: KernelPool;
}

const INIT_OPTIONS = ['wasm', 'variant', 'calibrationCache'] as const;

let current: Kernels | undefined;
let pending: Promise<Kernels> | undefined;
/** The kernels added last (a module that has them has the others the runtime calls): checked at init, so that an older build is refused by name. */
const NEWEST_EXPORTS = ['bnFoldF32'] as const;

/** Instances whose build init() chose by timing both (calibrate.ts), rather than one forced or given. */
const calibratedChoices = new WeakSet<Kernels>();

/** Loads the kernels once; later calls return the same instance (unless a different variant is forced). */
export async function init(opts: InitOptions = {}): Promise<Kernels> {
  if (typeof opts !== 'object' || opts === null) throw new Error(`init: opts must be an object { wasm?, variant?, calibrationCache? }, got ${opts === null ? 'null' : typeof opts}`);
  checkOptionNames('init', 'opts', opts, INIT_OPTIONS);
  if (opts.variant !== undefined && opts.variant !== 'simd' && opts.variant !== 'relaxed') {
    throw new Error(`init: opts.variant must be 'simd' or 'relaxed', got ${String(opts.variant)}`);
  }
  const cache = opts.calibrationCache;
  if (cache !== undefined && typeof cache !== 'boolean' && (typeof cache !== 'string' || cache === '')) {
    throw new Error(`init: opts.calibrationCache must be a folder path, true or false, got ${typeof cache === 'string' ? 'an empty string' : String(cache)}`);
  }
  if (current && (opts.variant === undefined || opts.variant === current.variant) && opts.wasm === undefined) return current;
  if (pending && opts.variant === undefined && opts.wasm === undefined) return pending;
  pending = load(opts);
  try {
    current = await pending;
    return current;
  } finally {
    pending = undefined;
  }
}

/**
 * Makes `k` the instance init() and kernels() return: the detector's worker installs its
 * shared-memory kernels (runtime/threads/) before it builds the detector.
 */
export function installKernels(k: Kernels): void {
  current = k;
}

/** Whether init() chose `k`'s build by calibration (neither a variant nor a module was given). */
export function chosenByCalibration(k: Kernels): boolean {
  return calibratedChoices.has(k);
}

/**
 * A new instance of one of the bundled builds, on memory of its own, which init() and kernels() do
 * not return: the relaxed kernels an int8 model takes where init() kept SIMD128 for fp32
 * (engine/int8-kernels.ts).
 */
export function loadKernelInstance(variant: WasmVariant): Promise<Kernels> {
  if (variant !== 'simd' && variant !== 'relaxed') throw new Error(`loadKernelInstance: variant must be 'simd' or 'relaxed', got ${String(variant)}`);
  if (variant === 'relaxed' && !relaxedSimdSupported()) throw new Error("loadKernelInstance: this engine lacks relaxed SIMD (Node 20 needs --experimental-wasm-relaxed-simd)");
  return load({ variant });
}

/** The loaded kernels; throws a clear Error when init() has not been awaited. */
export function kernels(): Kernels {
  if (!current) throw new Error('anchorless: call `await init()` before using ops or detectors');
  return current;
}

async function load(opts: InitOptions): Promise<Kernels> {
  if (!simdSupported()) throw new Error('anchorless: this JavaScript engine does not support WebAssembly SIMD128');
  // neither forced nor given, and the engine runs both builds: the faster on this machine (calibrate.ts)
  const calibrated = opts.variant === undefined && opts.wasm === undefined && relaxedSimdSupported()
    ? await fasterBuild(
        Promise.all([defaultKernels('simd'), defaultKernels('relaxed')]),
        (source, variant) => compile(source, `the bundled ${variant} kernels`),
        opts.calibrationCache === true ? undefined : opts.calibrationCache,
      )
    : undefined;
  const variant: WasmVariant = calibrated?.variant ?? opts.variant ?? (relaxedSimdSupported() ? 'relaxed' : 'simd');
  if (variant === 'relaxed' && !relaxedSimdSupported()) {
    throw new Error("init: variant 'relaxed' requested but this engine lacks relaxed SIMD (Node 20 needs --experimental-wasm-relaxed-simd)");
  }
  // errors name what was loaded: the caller's opts.wasm, or the package's own kernels
  const what = opts.wasm === undefined ? `the bundled ${variant} kernels` : 'opts.wasm';
  const module = calibrated?.module ?? (await compile(opts.wasm ?? (await defaultKernels(variant)), what));
  let instance: WebAssembly.Instance;
  try {
    instance = await WebAssembly.instantiate(module, { env: { abort: onAbort } });
  } catch (e) {
    throw new Error(`init: ${what} is not an anchorless kernel module (it cannot be instantiated: ${(e as Error).message})`);
  }
  const exports = instance.exports as unknown as KernelExports;
  // a valid but unrelated module lacks our exports: say so instead of a TypeError on first use
  const lacking = (names: readonly string[]) => names.filter((name) => typeof (exports as unknown as Record<string, unknown>)[name] !== 'function');
  const missing = [...(exports.memory instanceof WebAssembly.Memory ? [] : ['memory']), ...lacking(['heapBase', 'isRelaxedBuild'])];
  if (missing.length > 0) {
    throw new Error(`init: ${what} is not an anchorless kernel module (it lacks the exports ${missing.join(', ')})`);
  }
  // a kernel module of an older version lacks the newer kernels: say so instead of a TypeError when a plan first needs one
  const stale = lacking(NEWEST_EXPORTS);
  if (stale.length > 0) {
    throw new Error(`init: ${what} is a kernel module of another anchorless version (it lacks the exports ${stale.join(', ')}): pass this version's .wasm (anchorless/wasm/simd or anchorless/wasm/relaxed)`);
  }
  const loaded = exports.isRelaxedBuild() === 1 ? 'relaxed' : 'simd';
  if (opts.wasm !== undefined && opts.variant !== undefined && loaded !== opts.variant) {
    throw new Error(`init: opts.wasm is the '${loaded}' build but opts.variant asked for '${opts.variant}'`);
  }
  const k: Kernels = { exports, heap: new WasmHeap(exports.memory, exports.heapBase()), variant: loaded };
  if (calibrated) calibratedChoices.add(k);
  return k;
}

/** Who compiles, for the Errors: init() by default, or another loader of ours (int8-loader.ts). */
export interface CompileCaller {
  readonly op: string;
  /** How a Worker passes the module imported at build time instead. */
  readonly importExample: string;
}

const INIT_CALLER: CompileCaller = { op: 'init', importExample: "import wasm from 'anchorless/wasm/simd'; await init({ wasm })" };

/** A compiled module from a WasmSource (bytes, URL or path read and compiled); Errors name `what` and the caller. */
export async function compile(source: WasmSource, what: string, caller: CompileCaller = INIT_CALLER): Promise<WebAssembly.Module> {
  const op = caller.op;
  if (source instanceof WebAssembly.Module) return source;
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    try {
      return await WebAssembly.compile(source);
    } catch (e) {
      const message = (e as Error).message;
      // workerd (Cloudflare Workers) and other edge runtimes compile only modules imported at build time
      if (/disallowed by embedder|code generation/i.test(message)) {
        throw new Error(
          `${op}: this runtime forbids compiling WebAssembly from bytes (${message}), so ${what} cannot be given as bytes or a URL. ` +
            `Import the kernels as a module instead: \`${caller.importExample}\`, ` +
            "or import 'anchorless' with the 'workerd' condition (wrangler does), which does that for you",
        );
      }
      throw new Error(`${op}: ${what} is not a valid kernel module: ${message}`);
    }
  }
  if (typeof source === 'string' || source instanceof URL) return compile(await readSource(source, op), what, caller);
  throw new Error(`${op}: opts.wasm must be a WebAssembly.Module, BufferSource, URL or path string`);
}

async function readSource(source: string | URL, op: string): Promise<ArrayBuffer> {
  // a scheme has two or more letters: "C:\\kernels.wasm" is a Windows path, not a URL
  let url: URL | undefined;
  try {
    url = typeof source === 'string' && !/^[a-z][a-z0-9+.-]+:/i.test(source) ? undefined : new URL(source);
  } catch {
    throw new Error(`${op}: opts.wasm ${String(source)} is not a valid URL`);
  }
  if (url === undefined || url.protocol === 'file:') {
    // A file path (Node, Deno, Bun): read it with the runtime's own file API.
    const fs = await nodeFs();
    if (!fs) throw new Error(`${op}: cannot read ${String(source)}: no file system in this runtime; pass the bytes instead`);
    try {
      const bytes = await fs.readFile(url ?? (source as string));
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    } catch (e) {
      throw new Error(`${op}: cannot read wasm file ${String(source)}: ${(e as Error).message}`);
    }
  }
  let response: Response;
  try {
    response = await fetch(url);
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(`${op}: cannot fetch ${url.href} (${cause?.code ?? cause?.message ?? (e as Error).message})`);
  }
  if (!response.ok) throw new Error(`${op}: fetching ${url.href} failed with HTTP ${response.status}`);
  return response.arrayBuffer();
}


function onAbort(msgPtr: number, filePtr: number, line: number, column: number): never {
  throw new Error(`anchorless: kernel assertion failed at line ${line}:${column} (a bug: please report it)`);
}
