// Loads the kernel module once per process, choosing the relaxed-SIMD build where the engine
// validates relaxed SIMD and the SIMD128 build elsewhere. Works in Node, Deno, browsers and
// workers: the binaries are embedded (runtime/wasm/embedded.ts), or given by the caller.
import { RELAXED_WASM_BASE64, SIMD_WASM_BASE64 } from './embedded.js';
import { relaxedSimdSupported, simdSupported } from './features.js';
import { WasmHeap } from './heap.js';
import type { KernelExports } from './exports.js';

export type WasmVariant = 'simd' | 'relaxed';
export type WasmSource = WebAssembly.Module | BufferSource | URL | string;

export interface InitOptions {
  /** A compiled module or the bytes (or a URL / path) of one of the two builds. */
  wasm?: WasmSource;
  /** Force a build: 'simd' (SIMD128) or 'relaxed' (relaxed SIMD, fused multiply-add). */
  variant?: WasmVariant;
}

export interface Kernels {
  readonly exports: KernelExports;
  readonly heap: WasmHeap;
  readonly variant: WasmVariant;
}

let current: Kernels | undefined;
let pending: Promise<Kernels> | undefined;

/** Loads the kernels once; later calls return the same instance (unless a different variant is forced). */
export async function init(opts: InitOptions = {}): Promise<Kernels> {
  if (opts.variant !== undefined && opts.variant !== 'simd' && opts.variant !== 'relaxed') {
    throw new Error(`init: opts.variant must be 'simd' or 'relaxed', got ${String(opts.variant)}`);
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

/** The loaded kernels; throws a clear Error when init() has not been awaited. */
export function kernels(): Kernels {
  if (!current) throw new Error('anchorless: call `await init()` before using ops or detectors');
  return current;
}

async function load(opts: InitOptions): Promise<Kernels> {
  if (!simdSupported()) throw new Error('anchorless: this JavaScript engine does not support WebAssembly SIMD128');
  const variant: WasmVariant = opts.variant ?? (relaxedSimdSupported() ? 'relaxed' : 'simd');
  if (variant === 'relaxed' && !relaxedSimdSupported()) {
    throw new Error("init: variant 'relaxed' requested but this engine lacks relaxed SIMD (Node 20 needs --experimental-wasm-relaxed-simd)");
  }
  const module = await compile(opts.wasm ?? base64Bytes(variant === 'relaxed' ? RELAXED_WASM_BASE64 : SIMD_WASM_BASE64));
  const instance = await WebAssembly.instantiate(module, { env: { abort: onAbort } });
  const exports = instance.exports as unknown as KernelExports;
  const loaded = exports.isRelaxedBuild() === 1 ? 'relaxed' : 'simd';
  if (opts.wasm !== undefined && opts.variant !== undefined && loaded !== opts.variant) {
    throw new Error(`init: opts.wasm is the '${loaded}' build but opts.variant asked for '${opts.variant}'`);
  }
  return { exports, heap: new WasmHeap(exports.memory, exports.heapBase()), variant: loaded };
}

async function compile(source: WasmSource): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return source;
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    try {
      return await WebAssembly.compile(source);
    } catch (e) {
      throw new Error(`init: opts.wasm is not a valid kernel module: ${(e as Error).message}`);
    }
  }
  if (typeof source === 'string' || source instanceof URL) return compile(await readSource(source));
  throw new Error('init: opts.wasm must be a WebAssembly.Module, BufferSource, URL or path string');
}

async function readSource(source: string | URL): Promise<ArrayBuffer> {
  const url = typeof source === 'string' && !/^[a-z]+:/i.test(source) ? undefined : new URL(source);
  if (url === undefined || url.protocol === 'file:') {
    // A file path (Node, Deno, Bun): read it with the runtime's own file API.
    const fs = await import('node:fs/promises').catch(() => undefined);
    if (!fs) throw new Error(`init: cannot read ${String(source)}: no file system in this runtime; pass the bytes instead`);
    try {
      const bytes = await fs.readFile(url ?? (source as string));
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    } catch (e) {
      throw new Error(`init: cannot read wasm file ${String(source)}: ${(e as Error).message}`);
    }
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`init: fetching ${url.href} failed with HTTP ${response.status}`);
  return response.arrayBuffer();
}

function base64Bytes(b64: string): Uint8Array<ArrayBuffer> {
  if (typeof atob === 'function') {
    const bin = atob(b64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return bytes;
  }
  throw new Error('anchorless: no base64 decoder (atob) in this runtime');
}

function onAbort(msgPtr: number, filePtr: number, line: number, column: number): never {
  throw new Error(`anchorless: kernel assertion failed at line ${line}:${column} (a bug: please report it)`);
}
