// Corner pooling (the kernels of trainer/layers/corner-pool-kernels.ts) on the TF.js wasm backend:
// forward with the main module's SIMD cornerPoolNhwc (what inference runs), backward with the
// training module's cornerPoolBackward (assembly/train.ts); both equal the JavaScript spec bit for bit.
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { CORNER_CODES, CORNER_POOL, CORNER_POOL_GRAD, cornerPoolAttrs } from '../layers/corner-pool-kernels.js';
import { sizeOf, type NativeContext } from './context.js';
import type { TrainExports } from './train-module.js';
import { copyIn, copyOut, wasmBackend } from './tfjs-wasm-io.js';

export function cornerPoolConfigs(ctx: NativeContext, train: TrainExports): KernelConfig[] {
  const forward: KernelFunc = (args) => {
    const backend = wasmBackend(CORNER_POOL, args.backend);
    const x = args.inputs.x as TensorInfo;
    const { shape, direction } = cornerPoolAttrs(CORNER_POOL, x, args.attrs as NamedAttrMap);
    const { k, bufs } = ctx;
    const px = copyIn(CORNER_POOL, 'x', backend, x, bufs, 'a');
    const py = bufs.get('out', sizeOf(shape) * 4);
    k.exports.cornerPoolNhwc(px, ...shape, CORNER_CODES[direction], py);
    return copyOut(backend, k, [...shape], py);
  };
  const backward: KernelFunc = (args) => {
    const backend = wasmBackend(CORNER_POOL_GRAD, args.backend);
    const x = args.inputs.x as TensorInfo;
    const dy = args.inputs.dy as TensorInfo;
    const { shape, direction } = cornerPoolAttrs(CORNER_POOL_GRAD, x, args.attrs as NamedAttrMap, dy ?? null);
    const { k, bufs } = ctx;
    const dir = CORNER_CODES[direction];
    const px = copyIn(CORNER_POOL_GRAD, 'x', backend, x, bufs, 'a');
    const pdy = copyIn(CORNER_POOL_GRAD, 'dy', backend, dy, bufs, 'b');
    const pdx = bufs.get('out', sizeOf(shape) * 4);
    const scratch = bufs.get('corner-scratch', train.cornerPoolBackwardScratchBytes(shape[2], shape[3], dir));
    train.cornerPoolBackward(px, pdy, ...shape, dir, pdx, scratch);
    return copyOut(backend, k, [...shape], pdx);
  };
  return [
    { kernelName: CORNER_POOL, backendName: 'wasm', kernelFunc: forward },
    { kernelName: CORNER_POOL_GRAD, backendName: 'wasm', kernelFunc: backward },
  ];
}
