// DCNv2's sampling and its two gradients (the kernels named in deform-conv.ts) in JavaScript: the
// spec of the webgpu programs (trainer/webgpu-kernels/deform-conv.ts), and what the cpu and wasm
// backends run in place of the layer's op-by-op form. That form's gather of 4 x points x taps rows,
// its ScatterNd and ~250 more kernels a call took 85% of a centernet-dla34 training step on the wasm
// backend (128 px, batch 4: 8.5 s a step, 1.4 s with plain convs in place of the dcn nodes).
//
// Sampling point of (point p = (b, oy, ox), tap t = i kw + j): (oy s - pad + i d + dy, ox s - pad +
// j d + dx) in float32, as the layer and torchvision; its four neighbours (y0 or y0 + 1, x0 or
// x0 + 1) with bilinear weights, a neighbour outside the image counting 0. Every sum runs in a
// fixed order (x's gradient: points, then taps, then channels), so the results are the same from
// run to run, and the trainer's resume exact.
import type { KernelBackend, KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { cpuIo, wasmIo, type TensorIo } from '../util/tensor-io.js';
import { DEFORM_COLUMNS, DEFORM_COLUMNS_GRAD_OFFSET_MASK, DEFORM_COLUMNS_GRAD_X, deformColumnsArgs, type DeformColumnsArgs } from './deform-conv.js';

type Geometry = Omit<DeformColumnsArgs, 'x' | 'offset' | 'mask' | 'dcols'>;

/** One sampling point: its neighbours' pixel indices (b H + y) W + x, -1 outside the image, their weights, and ly, lx. */
interface Sample {
  pixel: Int32Array;
  weight: Float64Array;
  ly: number;
  lx: number;
}

function newSample(): Sample {
  return { pixel: new Int32Array(4), weight: new Float64Array(4), ly: 0, lx: 0 };
}

function neighbour(g: Geometry, b: number, y: number, x: number): number {
  return y >= 0 && y <= g.h - 1 && x >= 0 && x <= g.w - 1 ? (b * g.h + y) * g.w + x : -1;
}

/** Fills `s` for point p, tap t. */
function sampleAt(g: Geometry, offset: Float32Array, p: number, t: number, s: Sample): void {
  const ox = p % g.ow;
  const q = (p - ox) / g.ow;
  const oy = q % g.oh;
  const b = (q - oy) / g.oh;
  const o = (p * g.taps + t) * 2;
  const i = Math.floor(t / g.kw);
  const py = Math.fround(oy * g.stride - g.pad + i * g.dilation + offset[o]);
  const px = Math.fround(ox * g.stride - g.pad + (t - i * g.kw) * g.dilation + offset[o + 1]);
  const y0 = Math.floor(py);
  const x0 = Math.floor(px);
  const ly = py - y0;
  const lx = px - x0;
  s.ly = ly;
  s.lx = lx;
  s.weight[0] = (1 - ly) * (1 - lx);
  s.weight[1] = (1 - ly) * lx;
  s.weight[2] = ly * (1 - lx);
  s.weight[3] = ly * lx;
  s.pixel[0] = neighbour(g, b, y0, x0);
  s.pixel[1] = neighbour(g, b, y0, x0 + 1);
  s.pixel[2] = neighbour(g, b, y0 + 1, x0);
  s.pixel[3] = neighbour(g, b, y0 + 1, x0 + 1);
}

/** columns [points, taps cin] = mask times the bilinear samples of x. */
export function deformColumnsForward(g: Geometry, x: Float32Array, offset: Float32Array, mask: Float32Array, cols: Float32Array): void {
  const s = newSample();
  const c = g.cin;
  for (let p = 0; p < g.points; p++) {
    for (let t = 0; t < g.taps; t++) {
      sampleAt(g, offset, p, t, s);
      const m = mask[p * g.taps + t];
      const row = (p * g.taps + t) * c;
      cols.fill(0, row, row + c);
      for (let k = 0; k < 4; k++) {
        const pixel = s.pixel[k];
        if (pixel < 0) continue;
        const w = s.weight[k] * m;
        const src = pixel * c;
        for (let ch = 0; ch < c; ch++) cols[row + ch] += w * x[src + ch];
      }
    }
  }
}

/** dx (x's shape) from dcols: each column entry's gradient times mask and weight, into its four neighbours. */
export function deformColumnsGradX(g: Geometry, dcols: Float32Array, offset: Float32Array, mask: Float32Array, dx: Float32Array): void {
  const s = newSample();
  const c = g.cin;
  // float64 sums (deterministic whatever the order; rounded to float32 once)
  const acc = new Float64Array(dx.length);
  for (let p = 0; p < g.points; p++) {
    for (let t = 0; t < g.taps; t++) {
      const m = mask[p * g.taps + t];
      sampleAt(g, offset, p, t, s);
      const row = (p * g.taps + t) * c;
      for (let k = 0; k < 4; k++) {
        const pixel = s.pixel[k];
        if (pixel < 0) continue;
        const w = s.weight[k] * m;
        const dst = pixel * c;
        for (let ch = 0; ch < c; ch++) acc[dst + ch] += w * dcols[row + ch];
      }
    }
  }
  dx.set(acc);
}

/**
 * [points, 3 taps]: the offsets' gradient (d/dy, d/dx of each tap, the offsets' layout) in the first
 * 2 taps entries of a row, the mask's in the last taps.
 */
export function deformColumnsGradOffsetMask(g: Geometry, dcols: Float32Array, x: Float32Array, offset: Float32Array, mask: Float32Array, out: Float32Array): void {
  const s = newSample();
  const c = g.cin;
  const v = new Float64Array(4);
  for (let p = 0; p < g.points; p++) {
    for (let t = 0; t < g.taps; t++) {
      sampleAt(g, offset, p, t, s);
      const row = (p * g.taps + t) * c;
      // each neighbour's first channel (negative outside the image); four locals, no array per sample
      const p0 = s.pixel[0] * c;
      const p1 = s.pixel[1] * c;
      const p2 = s.pixel[2] * c;
      const p3 = s.pixel[3] * c;
      let dValue = 0;
      let dLy = 0;
      let dLx = 0;
      for (let ch = 0; ch < c; ch++) {
        const gr = dcols[row + ch];
        v[0] = p0 < 0 ? 0 : x[p0 + ch];
        v[1] = p1 < 0 ? 0 : x[p1 + ch];
        v[2] = p2 < 0 ? 0 : x[p2 + ch];
        v[3] = p3 < 0 ? 0 : x[p3 + ch];
        dValue += gr * (v[0] * s.weight[0] + v[1] * s.weight[1] + v[2] * s.weight[2] + v[3] * s.weight[3]);
        dLy += gr * ((1 - s.lx) * (v[2] - v[0]) + s.lx * (v[3] - v[1]));
        dLx += gr * ((1 - s.ly) * (v[1] - v[0]) + s.ly * (v[3] - v[2]));
      }
      const m = mask[p * g.taps + t];
      const base = p * 3 * g.taps;
      out[base + 2 * t] = m * dLy;
      out[base + 2 * t + 1] = m * dLx;
      out[base + 2 * g.taps + t] = dValue;
    }
  }
}

function kernels(backendName: 'cpu' | 'wasm', ioOf: (op: string, backend: unknown) => TensorIo): KernelConfig[] {
  const make = (op: string, gradient: boolean, outShape: (a: DeformColumnsArgs) => number[], run: (a: DeformColumnsArgs, io: TensorIo, out: Float32Array) => void): KernelConfig => ({
    kernelName: op,
    backendName,
    kernelFunc: ((args: { inputs: Record<string, TensorInfo | undefined>; backend: unknown; attrs: NamedAttrMap }) => {
      const a = deformColumnsArgs(op, args.inputs, args.attrs, gradient);
      const io = ioOf(op, args.backend);
      // the output made before any view is taken (on wasm a new output may detach older views)
      const out = io.make(outShape(a));
      run(a, io, io.view(out));
      return out;
    }) as KernelFunc,
  });
  return [
    make(DEFORM_COLUMNS, false, (a) => [a.points, a.taps * a.cin], (a, io, out) => deformColumnsForward(a, io.view(a.x), io.view(a.offset), io.view(a.mask), out)),
    make(DEFORM_COLUMNS_GRAD_X, true, (a) => [...a.x.shape], (a, io, out) => deformColumnsGradX(a, io.view(a.dcols!), io.view(a.offset), io.view(a.mask), out)),
    make(DEFORM_COLUMNS_GRAD_OFFSET_MASK, true, (a) => [a.n, a.oh, a.ow, 3 * a.taps], (a, io, out) => deformColumnsGradOffsetMask(a, io.view(a.dcols!), io.view(a.x), io.view(a.offset), io.view(a.mask), out)),
  ];
}

/** The kernels for the cpu and wasm backends (registered with the trainer's fused cpu kernels). */
export const DEFORM_CPU_KERNELS: KernelConfig[] = [...kernels('cpu', (_op, b) => cpuIo(b as KernelBackend)), ...kernels('wasm', wasmIo)];
