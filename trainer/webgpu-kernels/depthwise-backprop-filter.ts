// DepthwiseConv2dNativeBackpropFilter (a depthwise conv's weight gradient: DLA-34's up-sampling,
// trainer/model/torch-ops.ts) on the webgpu backend, in place of tfjs-backend-webgpu's kernel,
// which, as its Conv2DBackpropFilter, gives each weight one thread that loops over every batch
// position alone (see conv-backprop-filter.ts for what that cost).
//
// dW[ky, kx, c, q] = sum over positions p = (n, oy, ox) of x[n, oy*s + ky*d - pad,
// ox*s + kx*d - pad, c] * dy[n, oy, ox, c*mul + q]. Each weight is its own dot product (no product
// of matrices to tile), so one invocation sums one weight over one chunk of positions; neighbouring
// invocations take neighbouring channels, so their reads are contiguous. The chunks' partials are
// added in order by split-k.ts.
import type { TF } from '../backend.js';
import { replaceWebGpuKernel, scalarUniforms, type TensorInfo, type WebGpuBackendLike, type WebGpuProgram } from './program.js';
import { runSplitK, splitPositions } from './split-k.js';

const WORKGROUP = 64;

function partialsProgram(weights: number, chunks: number): WebGpuProgram {
  return {
    variableNames: ['x', 'dy'],
    outputShape: [chunks, weights],
    shaderKey: 'anchorlessDepthwiseWeightGradient',
    dispatchLayout: { x: [1], y: [0] },
    dispatch: [Math.ceil(weights / WORKGROUP), chunks, 1],
    workgroupSize: [WORKGROUP, 1, 1],
    uniforms: 'strides : vec2<i32>, pads : vec2<i32>, dilations : vec2<i32>, kernelW : i32, inChannels : i32, channelMul : i32, inHeight : i32, inWidth : i32, outHeight : i32, outWidth : i32, positions : i32, chunkLen : i32, weights : i32,',
    getUserCode: () => `
      ${'fn main()'} {
        let e = i32(workgroupId.x) * ${WORKGROUP} + i32(localId.x);
        let chunk = i32(workgroupId.y);
        if (e >= uniforms.weights) { return; }
        // e = ((ky * kernelW + kx) * inChannels + c) * channelMul + q
        let q = e % uniforms.channelMul;
        let c = (e / uniforms.channelMul) % uniforms.inChannels;
        let tap = e / (uniforms.channelMul * uniforms.inChannels);
        let dyChannels = uniforms.inChannels * uniforms.channelMul;
        let offsetY = (tap / uniforms.kernelW) * uniforms.dilations.x - uniforms.pads.x;
        let offsetX = (tap % uniforms.kernelW) * uniforms.dilations.y - uniforms.pads.y;
        let pBegin = chunk * uniforms.chunkLen;
        let pEnd = min(pBegin + uniforms.chunkLen, uniforms.positions);
        var sum = 0.0;
        for (var p = pBegin; p < pEnd; p = p + 1) {
          let ox = p % uniforms.outWidth;
          let t = p / uniforms.outWidth;
          let oy = t % uniforms.outHeight;
          let b = t / uniforms.outHeight;
          let iy = oy * uniforms.strides.x + offsetY;
          let ix = ox * uniforms.strides.y + offsetX;
          if (iy >= 0 && iy < uniforms.inHeight && ix >= 0 && ix < uniforms.inWidth) {
            sum = sum + x[((b * uniforms.inHeight + iy) * uniforms.inWidth + ix) * uniforms.inChannels + c] * dy[p * dyChannels + c * uniforms.channelMul + q];
          }
        }
        result[chunk * uniforms.weights + e] = sum;
      }
    `,
  };
}

interface KernelArgs {
  inputs: { x: TensorInfo; dy: TensorInfo };
  backend: WebGpuBackendLike;
  attrs: { strides: number | [number, number]; dilations: number | [number, number]; pad: 'valid' | 'same' | number | number[]; dimRoundingMode?: 'floor' | 'round' | 'ceil'; filterShape: [number, number, number, number] };
}

/** Registers the depthwise weight-gradient kernel on 'webgpu' (after the backend is registered). */
export function registerWebGpuDepthwiseBackpropFilter(tf: TF): void {
  replaceWebGpuKernel(tf, 'DepthwiseConv2dNativeBackpropFilter', () => ((args: KernelArgs) => {
    const { x, dy } = args.inputs;
    const { strides, dilations, pad, dimRoundingMode, filterShape } = args.attrs;
    const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, dilations, pad as never, dimRoundingMode, true);
    const [kh, kw, cin, mul] = filterShape;
    const weights = kh * kw * cin * mul;
    const positions = info.batchSize * info.outHeight * info.outWidth;
    const { chunkLen, chunks } = splitPositions(positions, Math.ceil(weights / WORKGROUP), weights, 1);
    const uniforms = [
      { type: 'int32', data: [info.strideHeight, info.strideWidth] },
      { type: 'int32', data: [info.padInfo.top, info.padInfo.left] },
      { type: 'int32', data: [info.dilationHeight, info.dilationWidth] },
      ...scalarUniforms('int32', [kw, cin, mul, info.inHeight, info.inWidth, info.outHeight, info.outWidth, positions, chunkLen, weights]),
    ];
    return runSplitK(args.backend, partialsProgram(weights, chunks), [x, dy], uniforms, filterShape, chunks);
  }) as never);
}
