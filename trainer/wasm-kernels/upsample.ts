// Nearest up-sampling (the kernels of trainer/layers/upsample-kernels.ts) on the TF.js wasm backend:
// forward with the main module's upsampleNearestNhwc (what inference runs), backward with the
// training module's upsampleNearestBackward (assembly/train.ts); both equal the JavaScript spec.
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { UPSAMPLE_NEAREST, UPSAMPLE_NEAREST_GRAD, upsampleAttrs } from '../layers/upsample-kernels.js';
import { sizeOf, type NativeContext } from './context.js';
import type { TrainExports } from './train-module.js';
import { copyIn, copyOut, wasmBackend } from './tfjs-wasm-io.js';

export function upsampleConfigs(ctx: NativeContext, train: TrainExports): KernelConfig[] {
  const forward: KernelFunc = (args) => {
    const backend = wasmBackend(UPSAMPLE_NEAREST, args.backend);
    const x = args.inputs.x as TensorInfo;
    const { shape, factor } = upsampleAttrs(UPSAMPLE_NEAREST, x, 'x', args.attrs as NamedAttrMap);
    const [n, h, w, c] = shape;
    const out = [n, h * factor, w * factor, c];
    const { k, bufs } = ctx;
    const px = copyIn(UPSAMPLE_NEAREST, 'x', backend, x, bufs, 'a');
    const py = bufs.get('out', sizeOf(out) * 4);
    k.exports.upsampleNearestNhwc(px, n, h, w, c, factor, py);
    return copyOut(backend, k, out, py);
  };
  const backward: KernelFunc = (args) => {
    const backend = wasmBackend(UPSAMPLE_NEAREST_GRAD, args.backend);
    const dy = args.inputs.dy as TensorInfo;
    const { shape, factor } = upsampleAttrs(UPSAMPLE_NEAREST_GRAD, dy, 'dy', args.attrs as NamedAttrMap);
    const { k, bufs } = ctx;
    const pdy = copyIn(UPSAMPLE_NEAREST_GRAD, 'dy', backend, dy, bufs, 'b');
    const pdx = bufs.get('out', sizeOf(shape) * 4);
    train.upsampleNearestBackward(pdy, ...shape, factor, pdx);
    return copyOut(backend, k, [...shape], pdx);
  };
  return [
    { kernelName: UPSAMPLE_NEAREST, backendName: 'wasm', kernelFunc: forward },
    { kernelName: UPSAMPLE_NEAREST_GRAD, backendName: 'wasm', kernelFunc: backward },
  ];
}
