// Max pooling (the kernels of trainer/layers/max-pool-kernels.ts) on the TF.js wasm backend: forward
// with the main module's maxPool2dNhwc (what inference runs), backward with the training module's
// maxPoolBackward (assembly/train.ts); both equal the JavaScript spec.
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { MAX_POOL, MAX_POOL_GRAD, maxPoolAttrs } from '../layers/max-pool-kernels.js';
import { sizeOf, type NativeContext } from './context.js';
import type { TrainExports } from './train-module.js';
import { copyIn, copyOut, wasmBackend } from './tfjs-wasm-io.js';

export function maxPoolConfigs(ctx: NativeContext, train: TrainExports): KernelConfig[] {
  const forward: KernelFunc = (args) => {
    const backend = wasmBackend(MAX_POOL, args.backend);
    const x = args.inputs.x as TensorInfo;
    const g = maxPoolAttrs(MAX_POOL, x, args.attrs as NamedAttrMap);
    const [n, h, w, c] = g.shape;
    const out = [n, g.oh, g.ow, c];
    const { k, bufs } = ctx;
    const px = copyIn(MAX_POOL, 'x', backend, x, bufs, 'a');
    const py = bufs.get('out', sizeOf(out) * 4);
    k.exports.maxPool2dNhwc(px, n, h, w, c, g.kernel, g.kernel, g.stride, g.stride, g.pad, g.pad, g.oh, g.ow, py);
    return copyOut(backend, k, out, py);
  };
  const backward: KernelFunc = (args) => {
    const backend = wasmBackend(MAX_POOL_GRAD, args.backend);
    const { dy, x } = args.inputs as Record<string, TensorInfo | undefined>;
    if (!dy) throw new Error(`${MAX_POOL_GRAD}: input dy is missing`);
    const g = maxPoolAttrs(MAX_POOL_GRAD, x, args.attrs as NamedAttrMap, dy);
    const { k, bufs } = ctx;
    const pdy = copyIn(MAX_POOL_GRAD, 'dy', backend, dy, bufs, 'b');
    const px = copyIn(MAX_POOL_GRAD, 'x', backend, x, bufs, 'a');
    const pdx = bufs.get('out', sizeOf(g.shape) * 4);
    train.maxPoolBackward(pdy, px, ...g.shape, g.kernel, g.stride, g.pad, g.oh, g.ow, pdx);
    return copyOut(backend, k, [...g.shape], pdx);
  };
  return [
    { kernelName: MAX_POOL, backendName: 'wasm', kernelFunc: forward },
    { kernelName: MAX_POOL_GRAD, backendName: 'wasm', kernelFunc: backward },
  ];
}
