// Conv2DBackpropFilter on the TF.js wasm backend with our SIMD weight-gradient kernel: x [n, h, w,
// cin] and dy [n, oh, ow, cout] (NHWC) -> dW [kh, kw, cin, cout]. NCHW calls go to the cpu fallback.
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { conv2dBackpropFilterInto } from './weight-gradient.js';
import type { TrainExports } from './train-module.js';
import { cpuFallbackKernelFunc } from './cpu-fallback.js';
import { sizeOf, type NativeContext } from './context.js';
import { checkShape, gradGeometry, isOne, shape4 } from './geometry.js';
import { copyIn, copyOut, wasmBackend, zerosOut } from './tfjs-wasm-io.js';

const NAME = 'Conv2DBackpropFilter';

export function conv2dBackpropFilterConfig(ctx: NativeContext, train: TrainExports): KernelConfig {
  const nchw = cpuFallbackKernelFunc(ctx.tf, NAME);
  const kernelFunc: KernelFunc = (args) => {
    const attrs = args.attrs as NamedAttrMap;
    if (attrs.dataFormat === 'NCHW') return nchw(args);
    if (attrs.dataFormat !== undefined && attrs.dataFormat !== 'NHWC') throw new Error(`${NAME}: dataFormat must be 'NHWC' or 'NCHW', got ${JSON.stringify(attrs.dataFormat)}`);
    // tfjs's conv2d gradient rejects dilation > 1 and its kernels take none: say so rather than ignore it.
    if (attrs.dilations !== undefined && !isOne(attrs.dilations)) throw new Error(`${NAME}: dilations > 1 are not supported (tfjs conv2d gradients have none), got ${JSON.stringify(attrs.dilations)}`);
    const backend = wasmBackend(NAME, args.backend);
    const x = args.inputs.x as TensorInfo;
    const dy = args.inputs.dy as TensorInfo;
    if (!x || !dy) throw new Error(`${NAME}: inputs x and dy are required`);
    const g = gradGeometry(ctx.tf, NAME, shape4(NAME, 'x shape', x.shape), shape4(NAME, 'filterShape', attrs.filterShape), attrs, false);
    checkShape(NAME, 'dy', dy.shape, g.outShape, 'the conv output');
    if (g.empty) return zerosOut(backend, g.filterShape);
    const { k, bufs } = ctx;
    const px = copyIn(NAME, 'x', backend, x, bufs, 'a');
    const pdy = copyIn(NAME, 'dy', backend, dy, bufs, 'b');
    const pdw = bufs.get('out', sizeOf(g.filterShape) * 4);
    conv2dBackpropFilterInto(k, train, px, g.inShape, pdy, g.outShape, pdw, g.filterShape, { stride: g.stride, pad: g.pad, dilation: g.dilation }, (bytes) => bufs.get('scratch', bytes));
    return copyOut(backend, k, g.filterShape, pdw);
  };
  return { kernelName: NAME, backendName: 'wasm', kernelFunc };
}
