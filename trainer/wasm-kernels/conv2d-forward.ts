// Conv2D on the TF.js wasm backend with our SIMD convolution (the runtime's igemm and 1x1 GEMM):
// x [n, h, w, cin] and filter [kh, kw, cin, cout] (NHWC, HWIO) -> y [n, oh, ow, cout]. Replaces the
// backend's XNNPACK call, which ran centernet-tiny's training convs at ~18 GFLOP/s here against our
// kernels' ~33 (`node --import tsx bench/run.ts train-step`). The filter changes every step, so it
// is packed on every call (a copy of kh*kw*cin*cout floats: ~1% of the conv's time). NCHW calls and
// grouped filters (which Conv2D cannot express) go to the backend's own kernel.
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { sizeOf, type NativeContext } from './context.js';
import { gradGeometry, shape4 } from './geometry.js';
import { copyIn, copyOut, wasmBackend, zerosOut } from './tfjs-wasm-io.js';
import { prefersIgemmRows, winogradFits } from '../../runtime/ops/conv-packed.js';
import { winogradConv } from './winograd.js';

const NAME = 'Conv2D';

/** `original`: the wasm backend's own kernel, kept for NCHW. */
export function conv2dForwardConfig(ctx: NativeContext, original: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const attrs = args.attrs as NamedAttrMap;
    if (attrs.dataFormat === 'NCHW') return original.kernelFunc(args);
    // Below 16 output channels (the heads' last 1x1 convs) our 8-wide panels waste most of their lanes.
    if ((args.inputs.filter as TensorInfo | undefined)?.shape[3]! < 16) return original.kernelFunc(args);
    if (attrs.dataFormat !== undefined && attrs.dataFormat !== 'NHWC') throw new Error(`${NAME}: dataFormat must be 'NHWC' or 'NCHW', got ${JSON.stringify(attrs.dataFormat)}`);
    const backend = wasmBackend(NAME, args.backend);
    const x = args.inputs.x as TensorInfo;
    const filter = args.inputs.filter as TensorInfo;
    if (!x || !filter) throw new Error(`${NAME}: inputs x and filter are required`);
    const inShape = shape4(NAME, 'x shape', x.shape);
    const filterShape = shape4(NAME, 'filter shape', filter.shape);
    if (filterShape[2] !== inShape[3]) throw new Error(`${NAME}: filter [${filterShape}] takes ${filterShape[2]} input channels but x [${inShape}] has ${inShape[3]}`);
    const g = gradGeometry(ctx.tf, NAME, inShape, filterShape, attrs, false);
    if (g.empty) return zerosOut(backend, g.outShape);
    const [n, h, w, cin] = g.inShape;
    const [, oh, ow, cout] = g.outShape;
    const [kh, kw] = filterShape;
    const [sh, sw] = g.stride;
    const [dh, dw] = g.dilation;
    const ks = kh * kw;
    const { k, bufs } = ctx;
    const ex = k.exports;
    const px = copyIn(NAME, 'x', backend, x, bufs, 'a');
    const pw = copyIn(NAME, 'filter', backend, filter, bufs, 'b');
    if (winogradFits(kh, kw, cin, cout, 1, [sh, sw], [dh, dw])) {
      const py = bufs.get('out', sizeOf(g.outShape) * 4);
      winogradConv(ctx, px, [n, h, w, cin], pw, false, cout, g.pad[0], g.pad[2], oh, ow, py);
      return copyOut(backend, k, g.outShape, py);
    }
    const packed = bufs.get('packed', ex.gemmPackedFloats(ks, cin, cout, 1) * 4);
    ex.packGemmWeights(pw, ks, cin, cout, 1, 0, 0, packed);
    const py = bufs.get('out', sizeOf(g.outShape) * 4);
    const pointwise = ks === 1 && sh === 1 && sw === 1 && g.pad.every((p) => p === 0);
    if (pointwise) {
      ex.conv2d1x1Gemm(px, n * h * w, cin, packed, cout, 1, 0, py);
    } else if (prefersIgemmRows(kw, cin, 1, dw)) {
      // few input channels (the stem): filter rows as taps, as the runtime's plan
      const scratch = bufs.get('scratch', ex.conv2dIgemmScratchBytes(kw * cin, kh, 1));
      ex.conv2dIgemm(px, n, h, w, cin, packed, kh, kw, cout, 1, sh, sw, g.pad[0], g.pad[2], dh, 1, oh, ow, 0, py, scratch, 1);
    } else {
      const scratch = bufs.get('scratch', ex.conv2dIgemmScratchBytes(cin, ks, 0));
      ex.conv2dIgemm(px, n, h, w, cin, packed, kh, kw, cout, 1, sh, sw, g.pad[0], g.pad[2], dh, dw, oh, ow, 0, py, scratch, 0);
    }
    return copyOut(backend, k, g.outShape, py);
  };
  return { kernelName: NAME, backendName: 'wasm', kernelFunc, ...(original.setupFunc ? { setupFunc: original.setupFunc } : {}) };
}
