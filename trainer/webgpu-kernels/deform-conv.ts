// DCNv2's sampling (trainer/layers/deform-conv.ts: the columns that a 1x1 conv with the weight
// turns into the output) and its two gradients as three webgpu programs, in place of the layer's
// ~50 TF.js ops per call (floors, casts, clips, stacks, a gather of 4 x points x taps rows, and in
// the backward pass that gather's ScatterNd and ~200 more kernels).
//
// Why: on an H200 centernet-dla34's step at 512, batch 8, took 18.8 s with the op-by-op layer
// (12,110 kernels, each recorded and dispatched by the CPU; 1.5 s of GPU time), 0.53 s with these.
//
// columns[p, t * cin + c] = mask[p, t] * bilinear(x[b], py, px)[c], with (py, px) tap t's sampling
// point (its undeformed position plus the offsets); a neighbour outside the image counts 0 (as the
// layer and torchvision's deform_conv2d).
// Gradients, given dcols (the columns' gradient):
//   doffset, dmask [p, t]: one invocation per (point, tap), a loop over the channels;
//   dx: one invocation per column entry, which adds dcols * mask * weight into each of its four
//   neighbours. WebGPU has no float atomics, and float compare-exchange loops (tfjs' ScatterNd,
//   which the op-by-op layer ran here; PyTorch's CUDA kernel uses atomicAdd) add in whatever order
//   the GPU runs them, so dx would differ from run to run in its last bits and a resumed run would
//   not end with the same weights. So the additions are of 64-bit fixed-point integers (two i32
//   atomics with a carry), whose sum does not depend on their order, then one pass turns them into
//   floats: the same dx every run, within ~1e-7 of the float sum.
import type { NamedAttrMap } from '@tensorflow/tfjs-core';
import type { TF } from '../backend.js';
import { DEFORM_COLUMNS, DEFORM_COLUMNS_GRAD_OFFSET_MASK, DEFORM_COLUMNS_GRAD_X, deformColumnsArgs, type DeformColumnsArgs } from '../layers/deform-conv.js';
import { flatDispatch, scalarUniforms, type TensorInfo, type WebGpuBackendLike, type WebGpuProgram } from './program.js';

const UNIFORMS = 'work : i32, fractionBits : i32, flagAt : i32, inHeight : i32, inWidth : i32, inChannels : i32, outHeight : i32, outWidth : i32, kernelW : i32, taps : i32, stride : i32, pad : i32, dilation : i32,';

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

function program(key: string, variableNames: string[], outputShape: number[], work: number, body: string, atomic = false): WebGpuProgram {
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
      ${variableNames.includes('offset') ? SAMPLE : ''}
      ${variableNames.includes('x') ? PIXEL : ''}
      ${variableNames.includes('dcolsMax') ? FIXED_POINT : ''}
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

/**
 * WGSL: the fixed-point scale of dx's sums. Every addend is dcols * mask * (a bilinear weight in
 * [0, 1]), so below 2^e with 2^e > max|dcols| * max(1, max|mask|) (e from the float's exponent
 * bits); it is stored as a 64-bit integer in units of 2^(e - FRACTION_BITS). A power of two is
 * applied as two factors so that neither over- nor underflows.
 */
const FIXED_POINT = `
      fn boundExponent() -> i32 {
        let bound = dcolsMax[0] * max(1.0, maskMax[0]);
        return i32((bitcast<u32>(bound) >> 23u) & 0xffu) - 126;
      }
      fn timesPowerOfTwo(v : f32, k : i32) -> f32 {
        let a = k / 2;
        return v * bitcast<f32>(u32(a + 127) << 23u) * bitcast<f32>(u32(k - a + 127) << 23u);
      }`;

/**
 * dx as 64-bit integers (pairs of i32: low word, high word; zeros to begin with): one invocation per
 * column entry adds its four contributions with integer atomics, whose sum does not depend on their
 * order, so dx is the same from run to run (exact resume). The low word's carry goes to the high word.
 * A contribution that is not finite sets the flag after the pairs (the float sum would be inf or NaN).
 */
const X_SUM_BODY = `
        let c = index % uniforms.inChannels;
        let pt = index / uniforms.inChannels;
        let g = dcols[index] * mask[pt];
        if (g == 0.0) { return; }
        if ((bitcast<u32>(g) & 0x7f800000u) == 0x7f800000u) {
          atomicStore(&result[uniforms.flagAt], 1);
          return;
        }
        let s = sample(pt / uniforms.taps, pt % uniforms.taps);
        let shift = uniforms.fractionBits - boundExponent();
        for (var k = 0; k < 4; k = k + 1) {
          let pixel = s.pixel[k];
          if (pixel >= 0) {
            let v = timesPowerOfTwo(g * s.w[k], shift);
            let a = abs(v);
            var hi = u32(floor(a * ${2 ** -32}));
            var lo = u32(a - f32(hi) * ${2 ** 32}.0);
            if (v < 0.0) {
              hi = ~hi + select(0u, 1u, lo == 0u);
              lo = ~lo + 1u;
            }
            let at = 2 * (pixel * uniforms.inChannels + c);
            let old = bitcast<u32>(atomicAdd(&result[at], bitcast<i32>(lo)));
            let carry = select(0u, 1u, old + lo < old);
            atomicAdd(&result[at + 1], bitcast<i32>(hi + carry));
          }
        }`;

/** dx [n, h, w, cin] from the 64-bit sums; NaN everywhere if a contribution was not finite. */
const X_VALUE_BODY = `
        if (sums[uniforms.flagAt] != 0) {
          result[index] = uniforms.NAN;
          return;
        }
        let sum = f32(sums[2 * index + 1]) * ${2 ** 32}.0 + f32(bitcast<u32>(sums[2 * index]));
        result[index] = timesPowerOfTwo(sum, boundExponent() - uniforms.fractionBits);`;

/**
 * dx's fixed point keeps this many bits below the addends' bound, fewer where a pixel could receive
 * more than 2^(62 - FRACTION_BITS) addends (one per sampling point and tap at most): resolution
 * ~1e-12 of the largest addend, far finer than float32's own rounding of the sum.
 */
const FRACTION_BITS = 40;

function uniformsOf(a: DeformColumnsArgs, work: number): { type: string; data: number[] }[] {
  // the non-finite flag's index (uniform flagAt): after dx's two i32 words per value of x
  const flagAt = 2 * a.n * a.h * a.w * a.cin;
  // the programs index with i32
  const largest = Math.max(a.points * a.taps * a.cin, flagAt + 1);
  if (largest > 2 ** 31 - 1) throw new Error(`deformable conv on webgpu: x [${a.x.shape}] with ${a.taps} taps at ${a.oh}x${a.ow} needs ${largest} indices, more than 2^31 - 1: use a smaller batch or input`);
  const fractionBits = Math.min(FRACTION_BITS, 62 - Math.ceil(Math.log2(a.points * a.taps + 1)));
  return scalarUniforms('int32', [work, fractionBits, flagAt, a.h, a.w, a.cin, a.oh, a.ow, a.kw, a.taps, a.stride, a.pad, a.dilation]);
}

interface KernelArgs {
  inputs: Record<string, TensorInfo | undefined>;
  backend: WebGpuBackendLike;
  attrs: NamedAttrMap;
}

/** Registers the three deformable-sampling kernels on 'webgpu' (tfjs-backend-webgpu has none of these names). */
export function registerWebGpuDeformConv(tf: TF): void {
  if (tf.getKernel(DEFORM_COLUMNS, 'webgpu')) return;
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
      const size = a.n * a.h * a.w * a.cin;
      const run = (name: string, runInputs: Record<string, TensorInfo>, runAttrs: NamedAttrMap = {}) => tf.getKernel(name, 'webgpu')!.kernelFunc({ backend: backend as never, inputs: runInputs, attrs: runAttrs }) as TensorInfo;
      const maxAbs = (t: TensorInfo) => {
        const abs = run('Abs', { x: t });
        const m = run('Max', { x: abs }, { reductionIndices: t.shape.map((_, i) => i), keepDims: false });
        backend.disposeData(abs.dataId);
        return m;
      };
      const [dcolsMax, maskMax] = [maxAbs(a.dcols!), maxAbs(a.mask)];
      const zeros = run('Fill', {}, { shape: [2 * size + 1], value: 0, dtype: 'int32' });
      const uniforms = uniformsOf(a, work);
      const sums = backend.runWebGPUProgram(program('xSum', ['dcols', 'offset', 'mask', 'dcolsMax', 'maskMax'], [2 * size + 1], work, X_SUM_BODY, true), [a.dcols!, a.offset, a.mask, dcolsMax, maskMax], 'int32', uniforms, zeros);
      const dx = backend.runWebGPUProgram(program('xValue', ['sums', 'dcolsMax', 'maskMax'], [...a.x.shape], size, X_VALUE_BODY), [sums, dcolsMax, maskMax], 'float32', uniformsOf(a, size));
      for (const t of [dcolsMax, maskMax, sums]) backend.disposeData(t.dataId);
      return dx;
    },
  };
  for (const [kernelName, kernelFunc] of Object.entries(kernels)) tf.registerKernel({ kernelName, backendName: 'webgpu', kernelFunc: kernelFunc as never });
}
