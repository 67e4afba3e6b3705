// Weights copied into kernel memory for packing, with batch norm's per-column factors applied there
// rather than in a folded JavaScript copy: on a cold create() every fresh page costs (measured here
// ~14 us per 4 KB, a page fault in this VM), and a folded copy of the default model's weights was
// ~880 fresh pages, ~12 ms, for values that were copied into kernel memory next anyway.
import type { Kernels } from '../wasm/loader.js';
import { firstNonFiniteHalf, HalfFloats, nonFiniteHalfValue, type WeightData } from '../weights/half-floats.js';
import { checkBuffer, withScope } from './heap-scope.js';

/**
 * Kernel memory a packer may copy the weights into instead of allocating its own: the execution
 * plan lends its activation arena, which nothing uses until the first run. Memory allocated for the
 * copy sits above everything packed so far, and the copy of the last large layer was pages touched
 * for nothing (768 KB for the default model, 10 MB for centernet-resnet18 at 512).
 */
export interface StagingArea {
  readonly ptr: number;
  readonly bytes: number;
}

/** Throws unless `area` is a StagingArea inside kernel memory (4-byte aligned). */
export function checkStagingArea(op: string, k: Kernels, area: unknown): StagingArea | undefined {
  if (area === undefined) return undefined;
  const { ptr, bytes } = (typeof area === 'object' && area !== null ? area : {}) as { ptr?: unknown; bytes?: unknown };
  if (typeof bytes !== 'number' || !Number.isInteger(bytes) || bytes < 0) throw new Error(`${op}: staging must be { ptr, bytes } with bytes a non-negative integer`);
  checkBuffer(op, 'staging', k, ptr as number, bytes);
  return { ptr: ptr as number, bytes };
}

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
 * w as f32 in kernel memory (half bits decoded there, exactly), its columns times columnScale where
 * given: in `area` where it fits, else in memory of its own, which release() gives back.
 */
export function stageWeights(k: Kernels, w: WeightData, columnScale?: Float32Array, area?: StagingArea): { ptr: number; release: () => void } {
  const bytes = w.length * 4;
  const inArea = area !== undefined && area.bytes >= bytes;
  const ptr = inArea ? area.ptr : k.heap.alloc(bytes);
  try {
    if (w instanceof HalfFloats) {
      // the half bits beside the f32 values where the area holds both, else in scoped memory
      if (inArea && area.bytes >= bytes + w.bits.length) decodeHalf(k, w, ptr + bytes, ptr);
      else withScope(k, (scope) => decodeHalf(k, w, scope.alloc(w.bits.length), ptr));
    } else k.heap.f32(ptr, w.length).set(w);
    if (columnScale) scaleColumnsInPlace(k, ptr, w.length, columnScale);
  } catch (e) {
    if (!inArea) k.heap.release(ptr);
    throw e;
  }
  return { ptr, release: () => void (inArea || k.heap.release(ptr)) };
}

/**
 * The packers' common part: `packedFloats` of kernel memory for the packed weights, w staged
 * (stageWeights) and the bias copied into kernel memory, `pack` called with their pointers (bias 0
 * and hasBias 0 without one) and the packed weights' (returned). The staged copy and the bias are
 * given back after it; the packed weights too where staging or packing throws (a weight that is
 * not finite, say), so that a failed packer leaves nothing allocated.
 */
export function packStaged(
  k: Kernels, packedFloats: number, w: WeightData, bias: Float32Array | undefined, columnScale: Float32Array | undefined, area: StagingArea | undefined,
  pack: (wPtr: number, bPtr: number, hasBias: number, out: number) => void,
): number {
  const out = k.heap.alloc(packedFloats * 4);
  try {
    const staged = stageWeights(k, w, columnScale, area);
    try {
      withScope(k, (scope) => pack(staged.ptr, bias ? scope.f32(bias) : 0, bias ? 1 : 0, out));
    } finally {
      staged.release();
    }
  } catch (e) {
    k.heap.release(out);
    throw e;
  }
  return out;
}

/**
 * w's half bits copied to `src`, decoded into `out` (the two must not overlap) and checked finite:
 * the kernel flags an infinity or NaN in its 8-half steps, this function's loop looks at the last
 * length % 8, and the spec finds the index for the Error (naming w's label, the value and its
 * index). Checked here rather than at load: a JavaScript loop over every half of the file was ~6 ms
 * of a cold start (half-floats.ts).
 */
function decodeHalf(k: Kernels, w: HalfFloats, src: number, out: number): void {
  k.heap.u8(src, w.bits.length).set(w.bits);
  const flagged = k.exports.decodeF16(src, w.length, out);
  if (flagged || firstNonFiniteHalf(w, w.length - (w.length % 8)) >= 0) {
    const bad = firstNonFiniteHalf(w);
    throw new Error(`${w.label} holds ${nonFiniteHalfValue(w, bad)} at index ${bad}`);
  }
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
