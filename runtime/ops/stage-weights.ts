// Weights copied into kernel memory for packing, with batch norm's per-column factors applied there
// rather than in a folded JavaScript copy: on a cold create() every fresh page costs (measured here
// ~14 us per 4 KB, a page fault in this VM), and a folded copy of the default model's weights was
// ~880 fresh pages, ~12 ms, for values that were copied into kernel memory next anyway.
import type { Kernels } from '../wasm/loader.js';
import { HalfFloats, type WeightData } from '../weights/half-floats.js';
import { withScope } from './heap-scope.js';

/** Throws unless w is a Float32Array or HalfFloats (an F16 file's weights, decoded as they are staged). */
export function checkWeightData(op: string, name: string, w: unknown): WeightData {
  if (!(w instanceof Float32Array) && !(w instanceof HalfFloats)) throw new Error(`${op}: ${name} must be a Float32Array (or HalfFloats)`);
  return w;
}

/**
 * `columnScale`: w viewed as rows of columnScale.length values, each column times its factor (exact
 * f32 products): conv and dcn weights (HWIO) per output channel, a deconv's [kh, kw, cout/groups, cin]
 * per element of a tap. Throws unless it is a Float32Array whose length divides w's.
 */
export function checkColumnScale(op: string, columnScale: unknown, wLength: number): Float32Array | undefined {
  if (columnScale === undefined) return undefined;
  if (!(columnScale instanceof Float32Array)) throw new Error(`${op}: columnScale must be a Float32Array`);
  if (columnScale.length === 0 || wLength % columnScale.length !== 0) {
    throw new Error(`${op}: columnScale has ${columnScale.length} values, which do not divide the weights' ${wLength}`);
  }
  return columnScale;
}

/**
 * w as f32 in kernel memory (the caller releases it; half bits decoded there, exactly), its columns
 * times columnScale where given.
 */
export function stageWeights(k: Kernels, w: WeightData, columnScale?: Float32Array): number {
  const ptr = w instanceof HalfFloats ? stageHalf(k, w) : k.heap.allocF32(w);
  if (columnScale) scaleColumnsInPlace(k, ptr, w.length, columnScale);
  return ptr;
}

function stageHalf(k: Kernels, w: HalfFloats): number {
  const ptr = k.heap.alloc(w.length * 4);
  try {
    withScope(k, (scope) => {
      const src = scope.alloc(w.bits.length);
      k.heap.u8(src, w.bits.length).set(w.bits);
      k.exports.decodeF16(src, w.length, ptr);
    });
  } catch (e) {
    k.heap.release(ptr);
    throw e;
  }
  return ptr;
}

/**
 * The `length` floats at ptr, as rows of factors.length columns, each column times its factor, on
 * the per-channel affine kernel: x * scale + -0 is one rounding even fused, and y + -0 is y for every
 * y, -0 included (+0 would turn -0 into +0), so the products are exact f32 ones.
 */
export function scaleColumnsInPlace(k: Kernels, ptr: number, length: number, factors: Float32Array): void {
  const cols = factors.length;
  withScope(k, (scope) => {
    const zeros = scope.alloc(cols * 4);
    k.heap.f32(zeros, cols).fill(-0);
    k.exports.affineChannelsNhwc(ptr, length / cols, cols, scope.f32(factors), zeros, 0, ptr);
  });
}
