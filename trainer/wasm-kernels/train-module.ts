// Loads the trainer's own kernel module (assembly/train.ts, built to
// runtime/wasm/anchorless-train-simd.wasm) on the memory of the main kernels the trainer loaded:
// a module of its own so that the inference module stays within its size budget. It imports that
// memory and has no static data, so its kernels take the main heap's pointers.
import { readFile } from 'node:fs/promises';
import type { Kernels } from '../../runtime/wasm/loader.js';

/** The exports of assembly/train.ts. */
export interface TrainExports {
  batchNormScratchBytes(c: number): number;
  batchNormTrainForward(x: number, pixels: number, c: number, gamma: number, beta: number, eps: number, y: number, mean: number, variance: number, scratch: number): void;
  batchNormTrainBackward(
    dy: number, x: number, pixels: number, c: number, mean: number, variance: number, gamma: number, eps: number,
    dx: number, dGamma: number, dBeta: number, scratch: number,
  ): void;
  cornerPoolBackwardScratchBytes(w: number, c: number, dir: number): number;
  cornerPoolBackward(x: number, dy: number, n: number, h: number, w: number, c: number, dir: number, dx: number, scratch: number): void;
  upsampleNearestBackward(dy: number, n: number, h: number, w: number, c: number, factor: number, dx: number): void;
  maxPoolBackward(dy: number, x: number, n: number, h: number, w: number, c: number, kernel: number, stride: number, pad: number, oh: number, ow: number, dx: number): void;
  // conv weight gradients (weight-gradient.ts) and depthwise input gradients (depthwise-backprop.ts)
  conv2dBackpropFilterScalar(x: number, n: number, h: number, w: number, cin: number, dy: number, oh: number, ow: number, cout: number, kh: number, kw: number, groups: number, sh: number, sw: number, padTop: number, padLeft: number, dh: number, dw: number, dW: number): void;
  conv2dBackpropFilter(x: number, n: number, h: number, w: number, cin: number, dy: number, oh: number, ow: number, cout: number, kh: number, kw: number, sh: number, sw: number, padTop: number, padLeft: number, dh: number, dw: number, dW: number): void;
  conv2dBackpropFilterRows(x: number, n: number, h: number, w: number, cin: number, dy: number, oh: number, ow: number, cout: number, kh: number, kw: number, sh: number, sw: number, padTop: number, padLeft: number, dh: number, dW: number): void;
  conv2dBackpropFilterWinograd(x: number, n: number, h: number, w: number, cin: number, dy: number, oh: number, ow: number, cout: number, padTop: number, padLeft: number, dW: number, scratch: number, blockTiles: number): void;
  conv2dBackpropFilterWinogradScratchBytes(cin: number, cout: number, blockTiles: number): number;
  depthwiseBackpropFilter(x: number, n: number, h: number, w: number, c: number, dy: number, oh: number, ow: number, kh: number, kw: number, sh: number, sw: number, padTop: number, padLeft: number, dh: number, dw: number, dW: number): void;
  depthwiseBackpropInputScalar(dy: number, n: number, oh: number, ow: number, c: number, mult: number, w: number, kh: number, kw: number, sh: number, sw: number, padTop: number, padLeft: number, dh: number, dw: number, h: number, wd: number, dx: number): void;
  depthwiseBackpropInput(dy: number, n: number, oh: number, ow: number, c: number, w: number, kh: number, kw: number, sh: number, sw: number, padTop: number, padLeft: number, dh: number, dw: number, h: number, wd: number, dx: number): void;
}

const FILE = new URL('../../runtime/wasm/anchorless-train-simd.wasm', import.meta.url);
/** Every export TrainExports declares: a module lacking one is refused at load. */
export const TRAIN_EXPORTS: readonly (keyof TrainExports)[] = [
  'batchNormScratchBytes', 'batchNormTrainForward', 'batchNormTrainBackward', 'cornerPoolBackwardScratchBytes', 'cornerPoolBackward',
  'upsampleNearestBackward', 'maxPoolBackward', 'conv2dBackpropFilterScalar', 'conv2dBackpropFilter', 'conv2dBackpropFilterRows', 'conv2dBackpropFilterWinograd',
  'conv2dBackpropFilterWinogradScratchBytes', 'depthwiseBackpropFilter', 'depthwiseBackpropInputScalar', 'depthwiseBackpropInput',
];

/** Instantiates the training module on `k`'s memory (single-threaded kernels only). */
export async function loadTrainKernels(k: Kernels): Promise<TrainExports> {
  const memory = k.exports.memory;
  if (typeof SharedArrayBuffer === 'function' && memory.buffer instanceof SharedArrayBuffer) {
    throw new Error('loadTrainKernels: the training kernels run on the single-threaded kernel build, not on shared memory');
  }
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = new Uint8Array(await readFile(FILE));
  } catch (e) {
    throw new Error(`loadTrainKernels: cannot read ${FILE.pathname} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); run \`npm run build:wasm\``);
  }
  const instance = await WebAssembly.instantiate(await WebAssembly.compile(bytes), {
    env: {
      memory,
      abort: () => {
        throw new Error('anchorless: training kernel assertion failed (a bug: please report it)');
      },
    },
  });
  const missing = TRAIN_EXPORTS.filter((name) => typeof instance.exports[name] !== 'function');
  if (missing.length > 0) throw new Error(`loadTrainKernels: ${FILE.pathname} is not the training kernel module (it lacks ${missing.join(', ')})`);
  return instance.exports as unknown as TrainExports;
}
