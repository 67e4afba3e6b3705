// The machine's f32x4 multiply-add peak loop in a build's arithmetic (assembly/conv/peak.ts), from
// the benchmark's own module (bench/wasm/, built by `npm run build:wasm`; not part of the package).
import { readFile } from 'node:fs/promises';

export interface PeakLoop {
  /** Runs iters iterations; returns a value that depends on every accumulator. */
  simdPeakLoop(iters: number): number;
  /** Flops per iteration: accumulators x 4 lanes x 2. */
  simdPeakFlopsPerIter(): number;
}

export async function loadPeakLoop(variant: 'simd' | 'relaxed'): Promise<PeakLoop> {
  const file = new URL(`./wasm/anchorless-peak-${variant}.wasm`, import.meta.url);
  const bytes = await readFile(file).catch((e: Error) => {
    throw new Error(`the peak module ${file.pathname} cannot be read (run npm run build:wasm first): ${e.message}`);
  });
  const { instance } = await WebAssembly.instantiate(bytes, { env: { abort: () => { throw new Error('anchorless: the peak module aborted'); } } });
  return instance.exports as unknown as PeakLoop;
}
