// Picks the TensorFlow.js backend the trainer runs on, best first: tfjs-node-gpu, tfjs-node (both
// native, optional: their install downloads libtensorflow, which fails where only the npm registry
// is reachable), webgpu when its adapter is a real GPU (a software one only when asked for), the
// wasm backend with the training kernels it lacks supplied by us, then the plain cpu backend.
// Says which one it chose and why it skipped the others.

import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { registerFastCpuKernels, registerFusedCpuKernels } from './cpu-kernels/register.js';
import { quietCpuBackend } from './wasm-kernels/cpu-fallback.js';
import { registerWasmTrainingKernels, type WasmKernelReport } from './wasm-kernels/register.js';
import { registerWebGpu, type WebGpuAdapter } from './webgpu.js';

export type TF = typeof tf;
export type BackendName = 'tfjs-node-gpu' | 'tfjs-node' | 'webgpu' | 'wasm' | 'cpu';
/** In order of preference. */
export const BACKENDS: readonly BackendName[] = ['tfjs-node-gpu', 'tfjs-node', 'webgpu', 'wasm', 'cpu'];

export interface SelectedBackend {
  name: BackendName;
  /** The tfjs-core namespace, with every op's gradient registered. */
  tf: TF;
  /** tf.getBackend() afterwards: 'tensorflow' for the native ones, else 'webgpu', 'wasm' or 'cpu'. */
  tfBackend: string;
  /** One line per preferred backend that was skipped, saying why. */
  skipped: string[];
  /** wasm only: where the training kernels the wasm backend lacks come from. */
  wasmKernels?: WasmKernelReport;
  /** webgpu only: the adapter it runs on. */
  adapter?: WebGpuAdapter;
  /** cpu and wasm: tfjs cpu kernels replaced by our faster TypeScript ones (cpu-kernels/). */
  cpuKernels?: string[];
}

export interface SelectOptions {
  /** Where the one-line account of the choice goes; default console.error (stdout may be JSON). */
  log?: (line: string) => void;
}

let gradients: Promise<void> | undefined;

/**
 * Registers the gradient of every tfjs-core op. tfjs-core ships them only as extension-less ES
 * modules that Node cannot import; the @tensorflow/tfjs Node bundle carries them and registers
 * them into the same global registry on import.
 */
export function ensureGradients(): Promise<void> {
  gradients ??= import('@tensorflow/tfjs').then(() => undefined);
  return gradients;
}

/**
 * Selects a backend: `forced` (e.g. from --backend) must load or this throws an Error saying why;
 * without it the first in BACKENDS that loads wins.
 */
export async function selectBackend(forced?: string, opts: SelectOptions = {}): Promise<SelectedBackend> {
  const log = opts.log ?? ((line: string) => console.error(line));
  if (forced !== undefined && !BACKENDS.includes(forced as BackendName)) {
    throw new Error(`--backend must be one of ${BACKENDS.join(', ')}, got ${JSON.stringify(forced)}`);
  }
  await ensureGradients();
  const candidates = forced ? [forced as BackendName] : BACKENDS;
  const skipped: string[] = [];
  for (const name of candidates) {
    let loaded: Loaded;
    try {
      // Before the wasm fallback registration: the fallback runs whatever the cpu backend has.
      if (name === 'cpu' || name === 'wasm') {
        registerFastCpuKernels(tf);
        registerFusedCpuKernels(tf);
      }
      loaded = await LOADERS[name](forced !== undefined);
    } catch (e) {
      const why = (e as Error).message;
      if (forced) throw new Error(`--backend ${name}: ${why}`);
      skipped.push(`${name}: ${why}`);
      continue;
    }
    await tf.ready();
    const cpuKernels = name === 'cpu' || name === 'wasm' ? registerFastCpuKernels(tf) : undefined;
    const chosen: SelectedBackend = { name, tf, tfBackend: tf.getBackend(), skipped, ...loaded, ...(cpuKernels ? { cpuKernels } : {}) };
    log(describe(chosen, forced !== undefined));
    return chosen;
  }
  throw new Error(`no TensorFlow.js backend could be loaded:\n  ${skipped.join('\n  ')}`);
}

function describe(b: SelectedBackend, forced: boolean): string {
  const lines = [`backend: ${b.name}${forced ? ' (forced)' : ''}${b.adapter ? ` on ${b.adapter.description}` : ''}`];
  for (const s of b.skipped) lines.push(`  skipped ${s}`);
  if (b.wasmKernels) {
    if (b.wasmKernels.native.length) lines.push(`  training kernels from our wasm SIMD build: ${b.wasmKernels.native.join(', ')}`);
    if (b.wasmKernels.cpuFallback.length) lines.push(`  training kernels run on the cpu backend's code (data copied in and out): ${b.wasmKernels.cpuFallback.join(', ')}`);
  }
  if (b.cpuKernels?.length) lines.push(`  cpu kernels replaced by anchorless TypeScript loops: ${b.cpuKernels.join(', ')}`);
  return lines.join('\n');
}

/** What a loader reports beyond success. */
type Loaded = Pick<SelectedBackend, 'wasmKernels' | 'adapter'>;

/** Each loads its backend and makes it the current one, or throws saying why not. */
const LOADERS: Record<BackendName, (forced: boolean) => Promise<Loaded>> = {
  'tfjs-node-gpu': () => loadNative('@tensorflow/tfjs-node-gpu'),
  'tfjs-node': () => loadNative('@tensorflow/tfjs-node'),
  // a software adapter only when forced: automatic selection wants a real GPU here
  webgpu: async (forced) => {
    const adapter = await registerWebGpu(tf, forced);
    if (!(await tf.setBackend('webgpu'))) throw new Error(`the webgpu backend failed to initialise on ${adapter.description} (see the warning above)`);
    return { adapter };
  },
  wasm: async () => ({ wasmKernels: await loadWasm() }),
  cpu: async () => {
    if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend failed to initialise');
    quietCpuBackend(tf);
    return {};
  },
};

async function loadNative(pkg: string): Promise<Loaded> {
  try {
    // A variable specifier: the package is optional and absent from package.json.
    const specifier: string = pkg;
    await import(specifier);
  } catch (e) {
    const err = e as { code?: string; message?: string };
    if ((err.code === 'ERR_MODULE_NOT_FOUND' || err.code === 'MODULE_NOT_FOUND') && err.message?.includes(pkg)) {
      throw new Error(`${pkg} is not installed (npm install ${pkg}; its install script downloads libtensorflow, which needs internet)`);
    }
    throw new Error(`native binding failed to load: libtensorflow is downloaded at install time, which needs internet (${firstLine(err.message)})`);
  }
  if (!(await tf.setBackend('tensorflow'))) throw new Error(`${pkg} loaded but its 'tensorflow' backend failed to initialise`);
  return {};
}

let wasmPathsSet = false;

async function loadWasm(): Promise<WasmKernelReport> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  if (!wasmPathsSet) {
    // In Node the backend reads its .wasm files from disk: point it at the package's dist folder.
    const require = createRequire(import.meta.url);
    const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
    wasm.setWasmPaths(dir + path.sep);
    wasmPathsSet = true;
  }
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend failed to initialise (see the warning above)');
  return registerWasmTrainingKernels(tf);
}

function firstLine(s: string | undefined): string {
  return (s ?? 'unknown error').split('\n')[0];
}
