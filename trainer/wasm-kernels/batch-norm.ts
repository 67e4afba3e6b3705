// Batch norm in training mode (the kernels of trainer/model/batch-norm-kernels.ts) on the TF.js wasm
// backend, with the training module's SIMD kernels (assembly/train.ts): bit for bit the float64
// arithmetic of the JavaScript spec there, which the cpu backend runs.
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD, batchNormAttrs } from '../model/batch-norm-kernels.js';
import type { NativeContext } from './context.js';
import type { TrainExports } from './train-module.js';
import { copyIn, copyOut, wasmBackend } from './tfjs-wasm-io.js';

export function batchNormTrainConfigs(ctx: NativeContext, train: TrainExports): KernelConfig[] {
  const forward: KernelFunc = (args) => {
    const op = BATCH_NORM_TRAIN;
    const backend = wasmBackend(op, args.backend);
    const { x, gamma, beta } = args.inputs as Record<string, TensorInfo>;
    const { c, pixels, eps } = batchNormAttrs(op, x, [['gamma', gamma], ['beta', beta]], args.attrs as NamedAttrMap);
    const { k, bufs } = ctx;
    const px = copyIn(op, 'x', backend, x, bufs, 'a');
    const pg = copyIn(op, 'gamma', backend, gamma, bufs, 'v1');
    const pb = copyIn(op, 'beta', backend, beta, bufs, 'v2');
    const py = bufs.get('out', pixels * c * 4);
    const pm = bufs.get('v3', c * 4);
    const pv = bufs.get('v4', c * 4);
    const scratch = bufs.get('bn-scratch', train.batchNormScratchBytes(c));
    train.batchNormTrainForward(px, pixels, c, pg, pb, eps, py, pm, pv, scratch);
    return [copyOut(backend, k, x.shape, py), copyOut(backend, k, [c], pm), copyOut(backend, k, [c], pv)];
  };
  const backward: KernelFunc = (args) => {
    const op = BATCH_NORM_TRAIN_GRAD;
    const backend = wasmBackend(op, args.backend);
    const { dy, x, mean, variance, gamma } = args.inputs as Record<string, TensorInfo>;
    const { c, pixels, eps } = batchNormAttrs(op, x, [['mean', mean], ['variance', variance], ['gamma', gamma]], args.attrs as NamedAttrMap, dy);
    const { k, bufs } = ctx;
    const pdy = copyIn(op, 'dy', backend, dy, bufs, 'b');
    const px = copyIn(op, 'x', backend, x, bufs, 'a');
    const pm = copyIn(op, 'mean', backend, mean, bufs, 'v1');
    const pv = copyIn(op, 'variance', backend, variance, bufs, 'v2');
    const pg = copyIn(op, 'gamma', backend, gamma, bufs, 'v3');
    const pdx = bufs.get('out', pixels * c * 4);
    const pdg = bufs.get('v4', c * 4);
    const pdb = bufs.get('v5', c * 4);
    const scratch = bufs.get('bn-scratch', train.batchNormScratchBytes(c));
    train.batchNormTrainBackward(pdy, px, pixels, c, pm, pv, pg, eps, pdx, pdg, pdb, scratch);
    return [copyOut(backend, k, x.shape, pdx), copyOut(backend, k, [c], pdg), copyOut(backend, k, [c], pdb)];
  };
  return [
    { kernelName: BATCH_NORM_TRAIN, backendName: 'wasm', kernelFunc: forward },
    { kernelName: BATCH_NORM_TRAIN_GRAD, backendName: 'wasm', kernelFunc: backward },
  ];
}
