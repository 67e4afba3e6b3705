// Conv2DBackpropInput on the TF.js wasm backend with our transposed-conv SIMD kernel: dy [n, oh,
// ow, cout] and filter [kh, kw, cin, cout] (NHWC) -> dx [n, h, w, cin] = inputShape. It is the
// transposed convolution of dy by the filter read as TF.js conv2dTranspose weights [kh, kw, outC =
// cin, inC = cout], cropped by the forward conv's top/left padding to h x w (dx[iy] gets
// dy[oy] * w[ky] where iy = oy*stride - padTop + ky): one dense GEMM per stride phase, which is also
// what tf.conv2dTranspose (the deconv neck) runs. Replaces the backend's own kernel, a scalar C++
// loop; NCHW calls still go to that one.
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { sizeOf, type NativeContext } from './context.js';
import { checkShape, gradGeometry, isOne, shape4 } from './geometry.js';
import { copyIn, copyOut, wasmBackend, zerosOut } from './tfjs-wasm-io.js';
import { winogradFits } from '../../runtime/ops/conv-packed.js';
import { winogradConv } from './winograd.js';

const NAME = 'Conv2DBackpropInput';

/** `original`: the wasm backend's own kernel, kept for NCHW. */
export function conv2dBackpropInputConfig(ctx: NativeContext, original: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const attrs = args.attrs as NamedAttrMap;
    if (attrs.dataFormat === 'NCHW') return original.kernelFunc(args);
    if (attrs.dataFormat !== undefined && attrs.dataFormat !== 'NHWC') throw new Error(`${NAME}: dataFormat must be 'NHWC' or 'NCHW', got ${JSON.stringify(attrs.dataFormat)}`);
    if (attrs.dilations !== undefined && !isOne(attrs.dilations)) throw new Error(`${NAME}: dilations > 1 are not supported (tfjs conv2d gradients have none), got ${JSON.stringify(attrs.dilations)}`);
    const backend = wasmBackend(NAME, args.backend);
    const dy = args.inputs.dy as TensorInfo;
    const filter = args.inputs.filter as TensorInfo;
    if (!dy || !filter) throw new Error(`${NAME}: inputs dy and filter are required`);
    const inShape = shape4(NAME, 'inputShape', attrs.inputShape);
    const filterShape = shape4(NAME, 'filter shape', filter.shape);
    if (filterShape[2] !== inShape[3]) throw new Error(`${NAME}: filter [${filterShape}] takes ${filterShape[2]} input channels but inputShape [${inShape}] has ${inShape[3]}`);
    const g = gradGeometry(ctx.tf, NAME, inShape, filterShape, attrs, false);
    checkShape(NAME, 'dy', dy.shape, g.outShape, 'the conv output');
    if (g.empty) return zerosOut(backend, g.inShape);
    const [n, h, w, cin] = g.inShape;
    const [, oh, ow, cout] = g.outShape;
    const [kh, kw] = filterShape;
    const [sh, sw] = g.stride;
    const { k, bufs } = ctx;
    const ex = k.exports;
    const pdy = copyIn(NAME, 'dy', backend, dy, bufs, 'a');
    const pw = copyIn(NAME, 'filter', backend, filter, bufs, 'b');
    if (winogradFits(kh, kw, cout, cin, 1, [sh, sw])) {
      // stride 1: dx is the forward conv of dy by the filter rotated 180 degrees with its channel
      // axes swapped, padded by 2 - the forward's padding at the top and left
      const pdx = bufs.get('out', sizeOf(g.inShape) * 4);
      winogradConv(ctx, pdy, [n, oh, ow, cout], pw, true, cin, 2 - g.pad[0], 2 - g.pad[2], h, w, pdx);
      return copyOut(backend, k, g.inShape, pdx);
    }
    // As conv2dTranspose weights the kernel sees cin_t = cout (dy channels), cout_t = cin.
    const packed = bufs.get('packed', ex.deconvPackedFloats(kh, kw, sh, sw, cout, cin) * 4);
    const scratch = bufs.get('scratch', ex.conv2dTransposeScratchBytes(kh, kw, sh, sw, cout));
    const pdx = bufs.get('out', sizeOf(g.inShape) * 4);
    ex.packDeconvWeights(pw, kh, kw, sh, sw, cout, cin, 0, 0, packed);
    ex.conv2dTransposeIgemm(pdy, n, oh, ow, cout, packed, kh, kw, cin, sh, sw, g.pad[0], g.pad[2], h, w, 0, pdx, scratch);
    return copyOut(backend, k, g.inShape, pdx);
  };
  return { kernelName: NAME, backendName: 'wasm', kernelFunc, ...(original.setupFunc ? { setupFunc: original.setupFunc } : {}) };
}
