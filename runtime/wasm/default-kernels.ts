// Where init() gets the kernels when the caller passes none. By default: the .wasm file beside this
// module, read with the file system (Node, Deno, Bun) or fetched (browsers: a file served next to the
// JavaScript, no CDN). Runtimes that forbid compiling WebAssembly from bytes (Cloudflare's workerd)
// use the entry runtime/entries/workerd.ts, which registers modules imported at build time instead.
import type { WasmVariant } from './loader.js';
import { nodeFs } from '../util/node-fs.js';

/** A kernel build: the two single-threaded variants, or SIMD128 on shared memory for the worker pool (runtime/threads/). */
export type KernelBuild = WasmVariant | 'simd-threads';

export type KernelProvider = (variant: KernelBuild) => WebAssembly.Module | BufferSource | Promise<WebAssembly.Module | BufferSource>;

let provider: KernelProvider = readKernelFile;

/** Replaces where the default kernels come from (an entry point calls this once, at import). */
export function setDefaultKernels(next: KernelProvider): void {
  provider = next;
}

export function defaultKernels(variant: KernelBuild): Promise<WebAssembly.Module | BufferSource> {
  return Promise.resolve(provider(variant));
}

export function kernelFileName(variant: KernelBuild): string {
  return `anchorless-${variant}.wasm`;
}

async function readKernelFile(variant: KernelBuild): Promise<ArrayBuffer> {
  const name = kernelFileName(variant);
  let url: URL;
  try {
    url = new URL(`./${name}`, import.meta.url);
  } catch {
    throw new Error(
      `init: cannot locate ${name} beside the anchorless module (this runtime gives it no usable URL: ${String(import.meta.url)}). ` +
        "In Cloudflare Workers import 'anchorless' through wrangler or a bundler with the 'workerd' condition (the kernels then come in as imported modules); elsewhere pass init({ wasm })",
    );
  }
  if (url.protocol === 'file:') return readFile(url, name);
  if (url.protocol === 'http:' || url.protocol === 'https:' || url.protocol === 'blob:') return fetchFile(url, name);
  throw new Error(`init: cannot load ${name} from ${url.href} (unsupported scheme ${url.protocol}); pass init({ wasm }) with a WebAssembly.Module, the bytes or an http(s) URL`);
}

async function readFile(url: URL, name: string): Promise<ArrayBuffer> {
  const fs = await nodeFs();
  if (!fs) throw new Error(`init: cannot read ${url.href}: this runtime has no file system; pass init({ wasm }) with a WebAssembly.Module or the bytes of ${name}`);
  try {
    const bytes = await fs.readFile(url);
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  } catch (e) {
    const err = e as { name?: string; code?: string; message?: string };
    // Deno refuses reads without --allow-read; say so rather than a bare "PermissionDenied"
    if (err.name === 'PermissionDenied' || err.name === 'NotCapable' || err.code === 'ERR_ACCESS_DENIED') {
      throw new Error(`init: reading the kernel file ${url.pathname} was refused by the runtime's permissions (Deno: --allow-read=${url.pathname}); or pass init({ wasm }) with the bytes`);
    }
    throw new Error(`init: cannot read the kernel file ${url.pathname} (${err.code ?? err.message}); the package is incomplete: reinstall it, or pass init({ wasm })`);
  }
}

async function fetchFile(url: URL, name: string): Promise<ArrayBuffer> {
  const hint = `serve ${name} next to your JavaScript bundle (copy node_modules/anchorless/dist/runtime/wasm/*.wasm) or pass init({ wasm }) with its URL`;
  let response: Response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new Error(`init: cannot fetch the kernel file ${url.href} (${(e as Error).message}): ${hint}`);
  }
  if (!response.ok) throw new Error(`init: fetching the kernel file ${url.href} failed with HTTP ${response.status}: ${hint}`);
  return response.arrayBuffer();
}
