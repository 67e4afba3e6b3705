// Which kernels an int8 model's plan runs on. init() picks its build by timing fp32 convs
// (calibrate.ts), and int8 can have the other answer: where the engine runs the relaxed dot product
// as one instruction (AVX-VNNI under V8 13.6+: Node 24 and Deno 2.9 on this machine), the relaxed
// build's int8 model runs in the c4 layout, centernet-resnet18 at 512 in 169 ms on Node 24 against
// 214 ms on the SIMD128 build's c2, while its fp32 convs are no faster there (371 against 352 ms),
// so init() keeps SIMD128. An int8 model on such kernels gets a relaxed instance of its own (memory
// of its own; init()'s kernels stay what every other caller gets) when that instance's layout probe
// (int8-layout.ts) takes c4, exact and faster. Only where init() chose SIMD128 by calibration: a
// build the caller forced or gave is kept, and so is the worker pool's shared-memory build (its fp32
// kernels are SIMD128, and int8-loader.ts gives it the relaxed int8 module where the engine has
// relaxed SIMD). The cost, once per process and only for an int8 model on such an engine: compiling
// the relaxed builds and the probe, ~40 ms.
import { int8LayoutFor } from './int8-layout.js';
import { loadInt8Kernels } from '../wasm/int8-loader.js';
import { chosenByCalibration, loadKernelInstance, type Kernels } from '../wasm/loader.js';

export interface Int8BaseKernels {
  /** The kernels to build the int8 model's plans on: `kn` itself, or a relaxed instance of its own. */
  readonly kernels: Kernels;
  /** Why, in a few words (for logs and benchmarks). */
  readonly reason: string;
}

const chosen = new WeakMap<Kernels, Promise<Int8BaseKernels>>();

/** The kernels an int8 model runs fastest on, given init()'s `kn` (decided once per `kn`). */
export function int8BaseKernels(kn: Kernels): Promise<Int8BaseKernels> {
  let choice = chosen.get(kn);
  if (!choice) {
    choice = decide(kn);
    chosen.set(kn, choice);
  }
  return choice;
}

async function decide(kn: Kernels): Promise<Int8BaseKernels> {
  if (kn.variant === 'relaxed') return { kernels: kn, reason: 'the kernels are the relaxed build already' };
  if (isShared(kn)) return { kernels: kn, reason: "the worker pool's build: its int8 module is chosen by loadInt8Kernels (relaxed where the engine has relaxed SIMD)" };
  if (!chosenByCalibration(kn)) return { kernels: kn, reason: 'SIMD128 forced or given, or the engine lacks relaxed SIMD' };
  let relaxed: Kernels;
  try {
    relaxed = await loadKernelInstance('relaxed');
  } catch (e) {
    // an engine that validates relaxed SIMD but cannot load the build here (a runtime that compiles only modules imported at build time, say): the faster path is optional
    return { kernels: kn, reason: `the relaxed build could not be loaded (${(e as Error).message})` };
  }
  return fasterInt8Kernels(kn, relaxed);
}

/**
 * Of SIMD128 kernels and relaxed ones, those an int8 model runs faster on: `relaxed` where its
 * layout probe (int8-layout.ts) takes c4, else `simd`.
 */
export async function fasterInt8Kernels(simd: Kernels, relaxed: Kernels): Promise<Int8BaseKernels> {
  if (simd.variant !== 'simd' || relaxed.variant !== 'relaxed') {
    throw new Error(`fasterInt8Kernels: takes SIMD128 and relaxed kernels, got '${simd.variant}' and '${relaxed.variant}'`);
  }
  const layout = int8LayoutFor(await loadInt8Kernels(relaxed));
  return layout.layout === 'c4'
    ? { kernels: relaxed, reason: `the relaxed build's int8 layers in c4 (${layout.reason}); SIMD128 kept for fp32` }
    : { kernels: simd, reason: `the relaxed build's int8 layout would be c2 (${layout.reason})` };
}

function isShared(k: Kernels): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && k.exports.memory.buffer instanceof SharedArrayBuffer;
}
