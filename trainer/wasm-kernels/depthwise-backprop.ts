// The depthwise conv gradients on the TF.js wasm backend from our kernels (NHWC, filter [kh, kw, c,
// multiplier], TF semantics incl. dilation):
// - DepthwiseConv2dNativeBackpropFilter: x [n, h, w, c], dy [n, oh, ow, c*m] -> dW [kh, kw, c, m],
//   the grouped weight gradient with groups = c (SIMD for m = 1, the scalar spec otherwise);
// - DepthwiseConv2dNativeBackpropInput: dy [n, oh, ow, c*m], filter [kh, kw, c, m] -> dx [n, h, w,
//   c] (assembly/conv/depthwise-backprop-input.ts for m = 1, its scalar spec otherwise).
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { conv2dBackpropFilterInto } from './weight-gradient.js';
import type { TrainExports } from './train-module.js';
import { sizeOf, type NativeContext } from './context.js';
import { checkShape, gradGeometry, shape4 } from './geometry.js';
import { copyIn, copyOut, wasmBackend, zerosOut } from './tfjs-wasm-io.js';

const FILTER = 'DepthwiseConv2dNativeBackpropFilter';
const INPUT = 'DepthwiseConv2dNativeBackpropInput';

export function depthwiseBackpropFilterConfig(ctx: NativeContext, train: TrainExports): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const attrs = args.attrs as NamedAttrMap;
    const backend = wasmBackend(FILTER, args.backend);
    const x = args.inputs.x as TensorInfo;
    const dy = args.inputs.dy as TensorInfo;
    if (!x || !dy) throw new Error(`${FILTER}: inputs x and dy are required`);
    const g = gradGeometry(ctx.tf, FILTER, shape4(FILTER, 'x shape', x.shape), shape4(FILTER, 'filterShape', attrs.filterShape), attrs, true);
    const [kh, kw, c, m] = g.filterShape;
    if (c !== g.inShape[3]) throw new Error(`${FILTER}: filterShape [${g.filterShape}] takes ${c} input channels but x [${x.shape}] has ${g.inShape[3]}`);
    checkShape(FILTER, 'dy', dy.shape, g.outShape, 'the depthwise conv output');
    if (g.empty) return zerosOut(backend, g.filterShape);
    const { k, bufs } = ctx;
    const px = copyIn(FILTER, 'x', backend, x, bufs, 'a');
    const pdy = copyIn(FILTER, 'dy', backend, dy, bufs, 'b');
    const pdw = bufs.get('out', sizeOf(g.filterShape) * 4);
    // [kh, kw, c, m] is the memory layout of the grouped filter [kh, kw, 1, c*m] (output ch = ci*m + j).
    conv2dBackpropFilterInto(k, train, px, g.inShape, pdy, g.outShape, pdw, [kh, kw, 1, c * m], { stride: g.stride, pad: g.pad, dilation: g.dilation, groups: c });
    return copyOut(backend, k, g.filterShape, pdw);
  };
  return { kernelName: FILTER, backendName: 'wasm', kernelFunc };
}

export function depthwiseBackpropInputConfig(ctx: NativeContext, train: TrainExports): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const attrs = args.attrs as NamedAttrMap;
    const backend = wasmBackend(INPUT, args.backend);
    const dy = args.inputs.dy as TensorInfo;
    const filter = args.inputs.filter as TensorInfo;
    if (!dy || !filter) throw new Error(`${INPUT}: inputs dy and filter are required`);
    const inShape = shape4(INPUT, 'inputShape', attrs.inputShape);
    const filterShape = shape4(INPUT, 'filter shape', filter.shape);
    const [kh, kw, c, m] = filterShape;
    if (c !== inShape[3]) throw new Error(`${INPUT}: filter [${filterShape}] takes ${c} input channels but inputShape [${inShape}] has ${inShape[3]}`);
    const g = gradGeometry(ctx.tf, INPUT, inShape, filterShape, attrs, true);
    checkShape(INPUT, 'dy', dy.shape, g.outShape, 'the depthwise conv output');
    if (g.empty) return zerosOut(backend, g.inShape);
    const [n, h, w] = g.inShape;
    const [, oh, ow] = g.outShape;
    const [sh, sw] = g.stride;
    const [dh, dw] = g.dilation;
    const [padTop, , padLeft] = g.pad;
    const { k, bufs } = ctx;
    const pdy = copyIn(INPUT, 'dy', backend, dy, bufs, 'a');
    const pw = copyIn(INPUT, 'filter', backend, filter, bufs, 'b');
    const pdx = bufs.get('out', sizeOf(g.inShape) * 4);
    if (m === 1) train.depthwiseBackpropInput(pdy, n, oh, ow, c, pw, kh, kw, sh, sw, padTop, padLeft, dh, dw, h, w, pdx);
    else train.depthwiseBackpropInputScalar(pdy, n, oh, ow, c, m, pw, kh, kw, sh, sw, padTop, padLeft, dh, dw, h, w, pdx);
    return copyOut(backend, k, g.inShape, pdx);
  };
  return { kernelName: INPUT, backendName: 'wasm', kernelFunc };
}
