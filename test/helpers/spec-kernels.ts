// The scalar specs of the main module's kernels (assembly/spec.ts, built into test/wasm/ by
// `npm run build:wasm`, not shipped), instantiated on the memory of loaded kernels: a test or a
// benchmark runs a SIMD kernel (k.exports) and its spec (specKernels(k)) on the same heap buffers.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Kernels } from '../../runtime/wasm/loader.js';

/** Pointers are byte offsets into the kernels' memory, as in runtime/wasm/exports.ts. */
export interface SpecExports {
  addF32Scalar(a: number, b: number, out: number, n: number, relu: number): void;
  expF32Scalar(x: number, out: number, n: number): void;
  sigmoidF32Scalar(x: number, out: number, n: number): void;
  reluF32Scalar(x: number, out: number, n: number): void;
  upsampleNearestNhwcScalar(x: number, n: number, h: number, w: number, c: number, factor: number, out: number): void;
  copyChannelsNhwcScalar(src: number, pixels: number, cSrc: number, dst: number, cDst: number, cOffset: number): void;
  affineChannelsNhwcScalar(x: number, pixels: number, c: number, scale: number, shift: number, relu: number, out: number): void;
  maxPool2dNhwcScalar(x: number, n: number, h: number, w: number, c: number, kh: number, kw: number, sh: number, sw: number, padTop: number, padLeft: number, oh: number, ow: number, out: number): void;
  cornerPoolNhwcScalar(x: number, n: number, h: number, w: number, c: number, dir: number, out: number): void;
  cornerPoolPairAddNhwcScalar(a: number, b: number, n: number, h: number, w: number, c: number, dirA: number, dirB: number, scratch: number, out: number): void;
  topKF32Scalar(values: number, n: number, k: number, order: number, outValues: number, outIndices: number): void;
  peaksMaskNhwcScalar(heat: number, h: number, w: number, c: number, kernel: number, out: number): void;
  nmsF32Scalar(boxes: number, scores: number, n: number, iouThreshold: number, scratch: number, keep: number): number;
  softNmsF32Scalar(boxes: number, scores: number, n: number, method: number, iouThreshold: number, sigma: number, scoreThreshold: number, scratch: number, outIndices: number, outScores: number): number;
}

/** What the module exports: every SpecExports member (the spec-module test checks the binary against it). */
export const SPEC_EXPORT_NAMES = [
  'addF32Scalar', 'expF32Scalar', 'sigmoidF32Scalar', 'reluF32Scalar', 'upsampleNearestNhwcScalar', 'copyChannelsNhwcScalar',
  'affineChannelsNhwcScalar', 'maxPool2dNhwcScalar', 'cornerPoolNhwcScalar', 'cornerPoolPairAddNhwcScalar', 'topKF32Scalar',
  'peaksMaskNhwcScalar', 'nmsF32Scalar', 'softNmsF32Scalar',
] as const satisfies readonly (keyof SpecExports)[];

export const SPEC_WASM = fileURLToPath(new URL('../wasm/anchorless-spec.wasm', import.meta.url));

let compiled: WebAssembly.Module | undefined;
const instances = new WeakMap<Kernels, SpecExports>();

/** The specs on `k`'s memory (one instance per kernels). */
export function specKernels(k: Kernels): SpecExports {
  let spec = instances.get(k);
  if (!spec) {
    if (!compiled) {
      let bytes: Uint8Array<ArrayBuffer>;
      try {
        bytes = new Uint8Array(readFileSync(SPEC_WASM));
      } catch (e) {
        throw new Error(`the scalar-spec module ${SPEC_WASM} cannot be read (${(e as Error).message}); \`npm run build:wasm\` builds it`);
      }
      compiled = new WebAssembly.Module(bytes);
    }
    spec = new WebAssembly.Instance(compiled, { env: { memory: k.exports.memory } }).exports as unknown as SpecExports;
    instances.set(k, spec);
  }
  return spec;
}
