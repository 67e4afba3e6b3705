// Where init() gets the kernels when the caller passes none. By default: the .wasm file beside this
// module, read with the file system (Node, Deno, Bun) or fetched (browsers: a file served next to the
// JavaScript, no CDN). Runtimes that forbid compiling WebAssembly from bytes (Cloudflare's workerd)
// use the entry runtime/entries/workerd.ts, which registers modules imported at build time instead.
import type { WasmVariant } from './loader.js';
import { nodeFs } from '../util/node-fs.js';

/** A kernel build: the two single-threaded variants, or SIMD128 on shared memory for the worker pool (runtime/threads/). */
export type KernelBuild = WasmVariant | 'simd-threads' | Int8Build;

/** The int8 module's builds (int8-loader.ts), one on the memory of each main build. */
export type Int8Build = 'int8-simd' | 'int8-relaxed' | 'int8-simd-threads' | 'int8-relaxed-threads';

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

/** Who asked, and how the caller passes the module instead, for the Errors. */
function loaderOf(variant: KernelBuild): { op: string; pass: string } {
  return variant.startsWith('int8-') ? { op: 'loadInt8Kernels', pass: 'loadInt8Kernels(k, { wasm })' } : { op: 'init', pass: 'init({ wasm })' };
}

async function readKernelFile(variant: KernelBuild): Promise<ArrayBuffer> {
  const name = kernelFileName(variant);
  const { op, pass } = loaderOf(variant);
  let url: URL;
  try {
    url = new URL(`./${name}`, import.meta.url);
  } catch {
    throw new Error(
      `${op}: cannot locate ${name} beside the anchorless module (this runtime gives it no usable URL: ${String(import.meta.url)}). ` +
        `In Cloudflare Workers import 'anchorless' through wrangler or a bundler with the 'workerd' condition (the kernels then come in as imported modules); elsewhere pass ${pass}`,
    );
  }
  if (url.protocol === 'file:') return readFile(url, name, op, pass);
  if (url.protocol === 'http:' || url.protocol === 'https:' || url.protocol === 'blob:') return fetchFile(url, name, op, pass);
  throw new Error(`${op}: cannot load ${name} from ${url.href} (unsupported scheme ${url.protocol}); pass ${pass} with a WebAssembly.Module, the bytes or an http(s) URL`);
}

async function readFile(url: URL, name: string, op: string, pass: string): Promise<ArrayBuffer> {
  const fs = await nodeFs();
  if (!fs) throw new Error(`${op}: cannot read ${url.href}: this runtime has no file system; pass ${pass} with a WebAssembly.Module or the bytes of ${name}`);
  try {
    const bytes = await fs.readFile(url);
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  } catch (e) {
    const err = e as { name?: string; code?: string; message?: string };
    // Deno refuses reads without --allow-read; say so rather than a bare "PermissionDenied"
    if (err.name === 'PermissionDenied' || err.name === 'NotCapable' || err.code === 'ERR_ACCESS_DENIED') {
      throw new Error(`${op}: reading the kernel file ${url.pathname} was refused by the runtime's permissions (Deno: --allow-read=${url.pathname}); or pass ${pass} with the bytes`);
    }
    throw new Error(`${op}: cannot read the kernel file ${url.pathname} (${err.code ?? err.message}); the package is incomplete: reinstall it, or pass ${pass}`);
  }
}

async function fetchFile(url: URL, name: string, op: string, pass: string): Promise<ArrayBuffer> {
  const hint = `serve ${name} next to your JavaScript bundle (copy node_modules/anchorless/dist/runtime/wasm/*.wasm) or pass ${pass} with its URL`;
  let response: Response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new Error(`${op}: cannot fetch the kernel file ${url.href} (${(e as Error).message}): ${hint}`);
  }
  if (!response.ok) throw new Error(`${op}: fetching the kernel file ${url.href} failed with HTTP ${response.status}: ${hint}`);
  return response.arrayBuffer();
}
