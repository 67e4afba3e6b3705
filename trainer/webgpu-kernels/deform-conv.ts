// DCNv2's sampling (trainer/layers/deform-conv.ts: the columns that one matmul with the weight
// turns into the output) and its two gradients as three webgpu programs, in place of the layer's
// ~50 TF.js ops per call (floors, casts, clips, stacks, a gather of 4 x points x taps rows, and in
// the backward pass that gather's ScatterNd and ~200 more kernels).
//
// Why: centernet-dla34 at 512, batch 8, on an H200 took 15.3 s a step while its GPU time was 1.6 s;
// on a software adapter here its 128 px step took 2.2 s to record, 0.54 s with the dcn nodes
// replaced by plain convs (10,503 kernels a backward pass, 2,343 without them).
//
// columns[p, t * cin + c] = mask[p, t] * bilinear(x[b], py, px)[c], with (py, px) tap t's sampling
// point (its undeformed position plus the offsets); a neighbour outside the image counts 0 (as the
// layer and torchvision's deform_conv2d).
// Gradients, given dcols (the columns' gradient):
//   doffset, dmask [p, t]: one invocation per (point, tap), a loop over the channels;
//   dx: one invocation per column entry, which adds dcols * mask * weight into each of its four
//   neighbours with a float compare-exchange loop (WebGPU has no float atomics; tfjs' ScatterNd,
//   which the op-by-op layer ran here, does the same). The order of those additions varies from run
//   to run, so dx is not bit for bit reproducible on webgpu, as the layer's ScatterNd was not (and
//   as PyTorch's CUDA kernel, which uses atomicAdd, is not).
import type { NamedAttrMap } from '@tensorflow/tfjs-core';
import type { TF } from '../backend.js';
import { DEFORM_COLUMNS, DEFORM_COLUMNS_GRAD_OFFSET_MASK, DEFORM_COLUMNS_GRAD_X, deformColumnsArgs, type DeformColumnsArgs } from '../layers/deform-conv.js';
import { flatDispatch, scalarUniforms, type TensorInfo, type WebGpuBackendLike, type WebGpuProgram } from './program.js';

const UNIFORMS = 'work : i32, inHeight : i32, inWidth : i32, inChannels : i32, outHeight : i32, outWidth : i32, kernelW : i32, taps : i32, stride : i32, pad : i32, dilation : i32,';

/**
 * WGSL: the sampling point of (point p, tap t), its four neighbours' weights and pixel indices
 * (pixel = (b * H + y) * W + x; -1 for a neighbour outside the image), as the layer computes them.
 */
const SAMPLE = `
      struct Sample { w : vec4<f32>, pixel : vec4<i32>, ly : f32, lx : f32 };
      fn neighbour(b : i32, y : f32, x : f32) -> i32 {
        if (y >= 0.0 && y <= f32(uniforms.inHeight - 1) && x >= 0.0 && x <= f32(uniforms.inWidth - 1)) {
          return (b * uniforms.inHeight + i32(y)) * uniforms.inWidth + i32(x);
        }
        return -1;
      }
      fn sample(p : i32, t : i32) -> Sample {
        let ox = p % uniforms.outWidth;
        let q = p / uniforms.outWidth;
        let oy = q % uniforms.outHeight;
        let b = q / uniforms.outHeight;
        let o = (p * uniforms.taps + t) * 2;
        let py = f32(oy * uniforms.stride - uniforms.pad + (t / uniforms.kernelW) * uniforms.dilation) + offset[o];
        let px = f32(ox * uniforms.stride - uniforms.pad + (t % uniforms.kernelW) * uniforms.dilation) + offset[o + 1];
        let y0 = floor(py);
        let x0 = floor(px);
        let ly = py - y0;
        let lx = px - x0;
        var s : Sample;
        s.ly = ly;
        s.lx = lx;
        s.w = vec4<f32>((1.0 - ly) * (1.0 - lx), (1.0 - ly) * lx, ly * (1.0 - lx), ly * lx);
        s.pixel = vec4<i32>(neighbour(b, y0, x0), neighbour(b, y0, x0 + 1.0), neighbour(b, y0 + 1.0, x0), neighbour(b, y0 + 1.0, x0 + 1.0));
        return s;
      }`;

/** WGSL: neighbour `pixel`'s channel c (0 outside the image); for the programs that read x. */
const PIXEL = `
      fn pixelValue(pixel : i32, c : i32) -> f32 {
        if (pixel < 0) { return 0.0; }
        return x[pixel * uniforms.inChannels + c];
      }`;

function program(key: string, variableNames: string[], outputShape: number[], work: number, body: string, atomic = false): WebGpuProgram & { atomic?: boolean } {
  return {
    variableNames,
    outputShape,
    shaderKey: `anchorlessDeformColumns_${key}`,
    dispatchLayout: { x: outputShape.map((_, i) => i) },
    ...flatDispatch(work),
    size: false,
    atomic,
    uniforms: UNIFORMS,
    getUserCode: () => `
      ${SAMPLE}
      ${variableNames.includes('x') ? PIXEL : ''}
      ${'fn main(index : i32)'} {
        if (index >= uniforms.work) { return; }
        ${body}
      }
    `,
  };
}

/** columns [points, taps * cin]: one invocation per entry. */
const COLUMNS_BODY = `
        let c = index % uniforms.inChannels;
        let pt = index / uniforms.inChannels;
        let s = sample(pt / uniforms.taps, pt % uniforms.taps);
        let v = vec4<f32>(pixelValue(s.pixel.x, c), pixelValue(s.pixel.y, c), pixelValue(s.pixel.z, c), pixelValue(s.pixel.w, c));
        result[index] = (v.x * s.w.x + v.y * s.w.y + v.z * s.w.z + v.w * s.w.w) * mask[pt];`;

/**
 * [points, 3 taps]: the offsets' gradient (dy, dx of each tap, the offsets' layout) in the first
 * 2 taps entries of a row, the mask's in the last taps. One invocation per (point, tap).
 */
const OFFSET_MASK_BODY = `
        let p = index / uniforms.taps;
        let t = index % uniforms.taps;
        let s = sample(p, t);
        var dValue = 0.0;
        var dLy = 0.0;
        var dLx = 0.0;
        let first = index * uniforms.inChannels;
        for (var c = 0; c < uniforms.inChannels; c = c + 1) {
          let g = dcols[first + c];
          let v = vec4<f32>(pixelValue(s.pixel.x, c), pixelValue(s.pixel.y, c), pixelValue(s.pixel.z, c), pixelValue(s.pixel.w, c));
          dValue = dValue + g * (v.x * s.w.x + v.y * s.w.y + v.z * s.w.z + v.w * s.w.w);
          dLy = dLy + g * ((1.0 - s.lx) * (v.z - v.x) + s.lx * (v.w - v.y));
          dLx = dLx + g * ((1.0 - s.ly) * (v.y - v.x) + s.ly * (v.w - v.z));
        }
        let m = mask[index];
        let row = p * 3 * uniforms.taps;
        result[row + 2 * t] = m * dLy;
        result[row + 2 * t + 1] = m * dLx;
        result[row + 2 * uniforms.taps + t] = dValue;`;

/** dx [n, h, w, cin] (zeros to begin with): one invocation per column entry, four atomic adds. */
const X_BODY = `
        let c = index % uniforms.inChannels;
        let pt = index / uniforms.inChannels;
        let g = dcols[index] * mask[pt];
        if (g == 0.0) { return; }
        let s = sample(pt / uniforms.taps, pt % uniforms.taps);
        for (var k = 0; k < 4; k = k + 1) {
          let pixel = s.pixel[k];
          if (pixel >= 0) {
            let add = g * s.w[k];
            let at = pixel * uniforms.inChannels + c;
            var old = atomicLoad(&result[at]);
            loop {
              let swapped = atomicCompareExchangeWeak(&result[at], old, bitcast<i32>(bitcast<f32>(old) + add));
              if (swapped.exchanged) { break; }
              old = swapped.old_value;
            }
          }
        }`;

function uniformsOf(a: DeformColumnsArgs, work: number): { type: string; data: number[] }[] {
  return scalarUniforms('int32', [work, a.h, a.w, a.cin, a.oh, a.ow, a.kw, a.taps, a.stride, a.pad, a.dilation]);
}

interface KernelArgs {
  inputs: Record<string, TensorInfo | undefined>;
  backend: WebGpuBackendLike & { runWebGPUProgram(program: WebGpuProgram, inputs: TensorInfo[], dtype: string, uniforms: { type: string; data: number[] }[], output?: TensorInfo): TensorInfo };
  attrs: NamedAttrMap;
}

/** Registers the three deformable-sampling kernels on 'webgpu' (tfjs-backend-webgpu has none of these names). */
export function registerWebGpuDeformConv(tf: TF): void {
  if (tf.getKernel(DEFORM_COLUMNS, 'webgpu')) return;
  const fill = tf.getKernel('Fill', 'webgpu');
  const kernels: Record<string, (args: KernelArgs) => TensorInfo> = {
    [DEFORM_COLUMNS]: ({ inputs, backend, attrs }) => {
      const a = deformColumnsArgs(DEFORM_COLUMNS, inputs, attrs, false);
      const work = a.points * a.taps * a.cin;
      return backend.runWebGPUProgram(program('columns', ['x', 'offset', 'mask'], [a.points, a.taps * a.cin], work, COLUMNS_BODY), [a.x, a.offset, a.mask], 'float32', uniformsOf(a, work));
    },
    [DEFORM_COLUMNS_GRAD_OFFSET_MASK]: ({ inputs, backend, attrs }) => {
      const a = deformColumnsArgs(DEFORM_COLUMNS_GRAD_OFFSET_MASK, inputs, attrs, true);
      const work = a.points * a.taps;
      return backend.runWebGPUProgram(program('offsetMask', ['dcols', 'x', 'offset', 'mask'], [a.n, a.oh, a.ow, 3 * a.taps], work, OFFSET_MASK_BODY), [a.dcols!, a.x, a.offset, a.mask], 'float32', uniformsOf(a, work));
    },
    [DEFORM_COLUMNS_GRAD_X]: ({ inputs, backend, attrs }) => {
      const a = deformColumnsArgs(DEFORM_COLUMNS_GRAD_X, inputs, attrs, true);
      const work = a.points * a.taps * a.cin;
      const zeros = fill!.kernelFunc({ backend: backend as never, inputs: {}, attrs: { shape: a.x.shape, value: 0, dtype: 'float32' } }) as TensorInfo;
      return backend.runWebGPUProgram(program('x', ['dcols', 'offset', 'mask'], [...a.x.shape], work, X_BODY, true), [a.dcols!, a.offset, a.mask], 'float32', uniformsOf(a, work), zeros);
    },
  };
  for (const [kernelName, kernelFunc] of Object.entries(kernels)) tf.registerKernel({ kernelName, backendName: 'webgpu', kernelFunc: kernelFunc as never });
}
