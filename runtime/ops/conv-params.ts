// Option checking and geometry for conv2d, conv2dTranspose and the weight gradient: strides,
// padding (numbers, [top, bottom, left, right], or TF 'same'), dilation, output sizes. Pure
// TypeScript, shared by the public ops and the pointer-level entry points so that both throw the
// same errors.
import { checkNonNegativeInt, checkPositiveInt } from './tensor.js';

export type Pair = number | readonly [number, number];

/** Whether a stride or dilation is 1 along both axes. */
export function isUnitPair(p: Pair): boolean {
  return typeof p === 'number' ? p === 1 : p[0] === 1 && p[1] === 1;
}
export type ConvPad = number | readonly [number, number, number, number] | 'same';
export type Activation = 'none' | 'relu';

/** A validated 2-D convolution window: filter size, stride, dilation, and resolved padding. */
export interface ConvGeometry {
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
  padTop: number;
  padBottom: number;
  padLeft: number;
  padRight: number;
  oh: number;
  ow: number;
}

/** One positive integer for both axes, or [y, x]. */
export function pair(op: string, name: string, v: unknown, fallback: number): [number, number] {
  if (v === undefined) return [fallback, fallback];
  if (typeof v === 'number') {
    checkPositiveInt(op, name, v);
    return [v, v];
  }
  if (Array.isArray(v) && v.length === 2) {
    return [checkPositiveInt(op, `${name}[0]`, v[0]), checkPositiveInt(op, `${name}[1]`, v[1])];
  }
  throw new Error(`${op}: ${name} must be a positive integer or [y, x], got ${JSON.stringify(v)}`);
}

/** Like pair, for non-negative values (output padding). */
export function nonNegativePair(op: string, name: string, v: unknown): [number, number] {
  if (v === undefined) return [0, 0];
  if (typeof v === 'number') {
    checkNonNegativeInt(op, name, v);
    return [v, v];
  }
  if (Array.isArray(v) && v.length === 2) {
    return [checkNonNegativeInt(op, `${name}[0]`, v[0]), checkNonNegativeInt(op, `${name}[1]`, v[1])];
  }
  throw new Error(`${op}: ${name} must be a non-negative integer or [y, x], got ${JSON.stringify(v)}`);
}

/** Explicit padding [top, bottom, left, right] from a number or a 4-array ('same' is resolved elsewhere). */
export function explicitPad(op: string, pad: unknown): [number, number, number, number] {
  if (pad === undefined) return [0, 0, 0, 0];
  if (typeof pad === 'number') {
    checkNonNegativeInt(op, 'pad', pad);
    return [pad, pad, pad, pad];
  }
  if (Array.isArray(pad) && pad.length === 4) {
    return [0, 1, 2, 3].map((i) => checkNonNegativeInt(op, `pad[${i}]`, pad[i])) as [number, number, number, number];
  }
  throw new Error(`${op}: pad must be a non-negative integer, [top, bottom, left, right] or 'same', got ${JSON.stringify(pad)}`);
}

/** TF 'SAME': out = ceil(in / stride), the total padding split with the odd one at the end. */
export function samePad(size: number, k: number, s: number, d: number): [number, number] {
  const out = Math.ceil(size / s);
  const total = Math.max((out - 1) * s + (k - 1) * d + 1 - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** Geometry of a forward convolution of an h x w input by a kh x kw filter. */
export function convGeometry(
  op: string, h: number, w: number, kh: number, kw: number,
  opts: { stride?: Pair; pad?: ConvPad; dilation?: Pair },
): ConvGeometry {
  const [sh, sw] = pair(op, 'stride', opts.stride, 1);
  const [dh, dw] = pair(op, 'dilation', opts.dilation, 1);
  let padTop: number, padBottom: number, padLeft: number, padRight: number;
  if (opts.pad === 'same') {
    [padTop, padBottom] = samePad(h, kh, sh, dh);
    [padLeft, padRight] = samePad(w, kw, sw, dw);
  } else {
    [padTop, padBottom, padLeft, padRight] = explicitPad(op, opts.pad);
  }
  const oh = Math.floor((h + padTop + padBottom - (kh - 1) * dh - 1) / sh) + 1;
  const ow = Math.floor((w + padLeft + padRight - (kw - 1) * dw - 1) / sw) + 1;
  if (oh < 1 || ow < 1) {
    throw new Error(
      `${op}: output size ${oh}x${ow} < 1: input ${h}x${w} padded by [${padTop}, ${padBottom}, ${padLeft}, ${padRight}] ` +
        `is smaller than the ${kh}x${kw} filter at dilation [${dh}, ${dw}]`,
    );
  }
  checkOutputSize(op, oh, ow, [padTop, padBottom, padLeft, padRight]);
  return { kh, kw, sh, sw, dh, dw, padTop, padBottom, padLeft, padRight, oh, ow };
}

/**
 * 2^26 output pixels (8192 x 8192): one channel of it is 256 MiB of the 4 GiB kernel memory. A
 * larger output comes from a padding or stride that is surely a mistake: say which, instead of
 * failing later in the allocator.
 */
const MAX_OUTPUT_PIXELS = 2 ** 26;

function checkOutputSize(op: string, oh: number, ow: number, pad: number[]): void {
  if (oh * ow > MAX_OUTPUT_PIXELS) {
    throw new Error(`${op}: output size ${oh}x${ow} is too large for kernel memory (pad [${pad.join(', ')}]; at most ${MAX_OUTPUT_PIXELS} output pixels)`);
  }
}

/** Geometry of a transposed convolution (PyTorch ConvTranspose2d: dilation 1). */
export function convTransposeGeometry(
  op: string, h: number, w: number, kh: number, kw: number,
  opts: { stride?: Pair; pad?: number | readonly [number, number, number, number]; outputPadding?: Pair },
): ConvGeometry {
  const [sh, sw] = pair(op, 'stride', opts.stride, 1);
  const [padTop, padBottom, padLeft, padRight] = explicitPad(op, opts.pad);
  const [oph, opw] = nonNegativePair(op, 'outputPadding', opts.outputPadding);
  if (oph >= sh || opw >= sw) throw new Error(`${op}: outputPadding [${oph}, ${opw}] must be smaller than stride [${sh}, ${sw}]`);
  const oh = (h - 1) * sh - padTop - padBottom + kh + oph;
  const ow = (w - 1) * sw - padLeft - padRight + kw + opw;
  if (oh < 1 || ow < 1) {
    throw new Error(`${op}: output size ${oh}x${ow} < 1: pad [${padTop}, ${padBottom}, ${padLeft}, ${padRight}] crops more than the ${(h - 1) * sh + kh}x${(w - 1) * sw + kw} full output`);
  }
  checkOutputSize(op, oh, ow, [padTop, padBottom, padLeft, padRight]);
  return { kh, kw, sh, sw, dh: 1, dw: 1, padTop, padBottom, padLeft, padRight, oh, ow };
}

export function checkActivation(op: string, a: unknown): 0 | 1 {
  if (a === undefined || a === 'none') return 0;
  if (a === 'relu') return 1;
  throw new Error(`${op}: activation must be 'none' or 'relu', got ${JSON.stringify(a)}`);
}

/** A 4-D NHWC shape with every dimension >= 1. */
export function checkShape4(op: string, name: string, shape: readonly number[]): [number, number, number, number] {
  if (!Array.isArray(shape) || shape.length !== 4 || !shape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new Error(`${op}: ${name} must be 4 positive integers, got ${JSON.stringify(shape)}`);
  }
  return [shape[0], shape[1], shape[2], shape[3]];
}

/** The bias as a Float32Array of length n (a plain Float32Array or a { data, shape } tensor). */
export function checkBias(op: string, bias: unknown, n: number): Float32Array | undefined {
  if (bias === undefined) return undefined;
  const data = bias instanceof Float32Array ? bias : (bias as { data?: unknown } | null)?.data;
  if (!(data instanceof Float32Array)) throw new Error(`${op}: bias must be a Float32Array or a tensor { data: Float32Array, shape }`);
  if (data.length !== n) throw new Error(`${op}: bias has ${data.length} values but the filter has ${n} output channels`);
  return data;
}
