// Which of the two kernel builds runs faster on this machine: init()'s choice where the engine has
// relaxed SIMD. Fused multiply-add is not faster everywhere (on some x64 cores the relaxed build's
// 3x3 convs run at 0.93x the SIMD128 build's; on ARM the fused form saves an instruction), so the
// two builds time the same small 3x3 convolution, alternately, and relaxed is kept only when it is
// clearly ahead. About 10-30 ms once per process (compiling both, the probe in baseline code
// until V8 tiers it up); the answer is cached for the process, and on disk per machine where there
// is a file system (calibration-cache.ts): once SAMPLES processes have measured, later ones take
// the median of their ratios and compile only the build it picks. That cache is registered by the
// package's Node, Deno and Bun entries (runtime/entries/calibration-on-disk.ts), not imported here,
// so that a page's bundle does not carry it.
import type { CalibrationCacheOption, CalibrationStore } from './calibration-cache.js';
import type { KernelExports } from './exports.js';
import type { WasmVariant } from './loader.js';

/** Relaxed must beat SIMD128 by this factor: below it, timing noise could pick either. */
const MARGIN = 0.97;
/** The probe: a 3x3 conv, 12x12 pixels, 32 -> 32 channels (2.7 MFLOP; smaller probes, timed mostly in the baseline compiler's code, picked either build at random here). */
const [SIDE, CIN, COUT, KS] = [12, 32, 32, 9];
const ROUNDS = 9;
const CALLS_PER_ROUND = 3;

export interface Calibration {
  variant: WasmVariant;
  module: WebAssembly.Module;
  /** relaxed / SIMD128 time: this process's measurement, or the median of the cached ones. */
  ratio: number;
}

type KernelSource = WebAssembly.Module | BufferSource;

let cached: Promise<Calibration> | undefined;

/** Opens the disk cache for the two builds' binaries; undefined where there is none. */
export type CalibrationStoreOpener = (option: CalibrationCacheOption, kernels: readonly KernelSource[]) => Promise<CalibrationStore | undefined>;

let openStore: CalibrationStoreOpener | undefined;

/** Gives init()'s calibration its disk cache (runtime/entries/calibration-on-disk.ts); without one, every process measures. */
export function setCalibrationStore(open: CalibrationStoreOpener): void {
  openStore = open;
}

/** The calibration's outcome in this process (for benchmarks), or undefined when none ran. */
export async function calibration(): Promise<Omit<Calibration, 'module'> | undefined> {
  if (!cached) return undefined;
  const { module: _module, ...rest } = await cached;
  return rest;
}

/**
 * The faster of the two builds on this machine (compiled), once per process: from the cache folder
 * where it holds SAMPLES measurements, else measured here (and the measurement added to it).
 */
export function fasterBuild(sources: Promise<readonly [KernelSource, KernelSource]>, compile: CompileBuild, cacheOption: CalibrationCacheOption): Promise<Calibration> {
  cached ??= (async () => {
    const [simd, relaxed] = await sources;
    return chooseBuild(simd, relaxed, compile, cacheOption);
  })();
  return cached;
}

/** Compiles one build's binary (init's compile(), whose Errors name the build). */
type CompileBuild = (source: KernelSource, variant: WasmVariant) => Promise<WebAssembly.Module>;

async function chooseBuild(simd: KernelSource, relaxed: KernelSource, compile: CompileBuild, cacheOption: CalibrationCacheOption): Promise<Calibration> {
  const store = await openStore?.(cacheOption, [simd, relaxed]);
  const known = store?.answer();
  if (known) {
    const variant = pick(known.ratio);
    return { variant, module: await compile(variant === 'relaxed' ? relaxed : simd, variant), ratio: known.ratio };
  }
  const modules = await Promise.all([compile(simd, 'simd'), compile(relaxed, 'relaxed')]);
  const ratio = await measureRatio(modules[0], modules[1]);
  store?.add(ratio);
  const variant = pick(ratio);
  return { variant, module: modules[variant === 'relaxed' ? 1 : 0], ratio };
}

function pick(ratio: number): WasmVariant {
  return ratio < MARGIN ? 'relaxed' : 'simd';
}

/** Times the probe conv on both builds, alternately: the relaxed / SIMD128 time ratio. */
async function measureRatio(simdModule: WebAssembly.Module, relaxedModule: WebAssembly.Module): Promise<number> {
  const probes = await Promise.all([probe(simdModule), probe(relaxedModule)]);
  const times: number[][] = [[], []];
  for (let r = 0; r < ROUNDS; r++) {
    // alternate which build goes first: a frequency step or another process hits both alike
    const order = r % 2 === 0 ? [0, 1] : [1, 0];
    for (const i of order) {
      const t = performance.now();
      for (let c = 0; c < CALLS_PER_ROUND; c++) probes[i]();
      times[i].push(performance.now() - t);
    }
  }
  // the later rounds: by then both builds' hot functions have left the baseline compiler
  const late = (xs: number[]) => xs.slice(ROUNDS >> 1).sort((a, b) => a - b)[(ROUNDS - (ROUNDS >> 1)) >> 1];
  return late(times[1]) / late(times[0]);
}

/** A throwaway instance with the probe conv's buffers in place; the returned function runs it once. */
async function probe(module: WebAssembly.Module): Promise<() => void> {
  const instance = await WebAssembly.instantiate(module, { env: { abort: () => { throw new Error('anchorless: kernel assertion failed during calibration'); } } });
  const ex = instance.exports as unknown as KernelExports;
  let top = (ex.heapBase() + 15) & ~15;
  const alloc = (bytes: number) => {
    const p = top;
    top += (bytes + 15) & ~15;
    if (top > ex.memory.buffer.byteLength) ex.memory.grow(Math.ceil((top - ex.memory.buffer.byteLength) / 65536));
    return p;
  };
  const x = alloc(SIDE * SIDE * CIN * 4);
  const w = alloc(KS * CIN * COUT * 4);
  const packed = alloc(ex.gemmPackedFloats(KS, CIN, COUT, 1) * 4);
  const scratch = alloc(ex.conv2dIgemmScratchBytes(CIN, KS, 0));
  const out = alloc(SIDE * SIDE * COUT * 4);
  new Float32Array(ex.memory.buffer, x, SIDE * SIDE * CIN).fill(0.5);
  new Float32Array(ex.memory.buffer, w, KS * CIN * COUT).fill(0.25);
  ex.packGemmWeights(w, KS, CIN, COUT, 1, 0, 0, packed);
  return () => ex.conv2dIgemm(x, 1, SIDE, SIDE, CIN, packed, 3, 3, COUT, 1, 1, 1, 1, 1, 1, 1, SIDE, SIDE, 0, out, scratch, 0);
}
