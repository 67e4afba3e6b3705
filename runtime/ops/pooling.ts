// Max pooling and CornerNet corner pooling on NHWC tensors: the public ops (maxPool2d, cornerPool)
// and the pointer-level entry points the execution plan calls on kernel-heap buffers (*Into).
import type { CornerDirection } from '../model/graph.js';
import { kernels, type Kernels } from '../wasm/loader.js';
import { runRows } from '../threads/run-rows.js';
import { checkBuffer, withScope } from './heap-scope.js';
import { checkNonNegativeInt, checkPositiveInt, checkTensor, type Tensor } from './tensor.js';
import { checkOptionNames } from '../util/options.js';

export type { CornerDirection } from '../model/graph.js';

/** Direction codes of assembly/pool/corner-scalar.ts (CORNER_TOP ...); the corner tests cover all four. */
const CORNER_CODES: Record<CornerDirection, number> = { top: 0, left: 1, bottom: 2, right: 3 };

export interface MaxPoolOptions {
  /** Window size: one number for a square window, or [kh, kw]. */
  kernel: number | readonly [number, number];
  /** Step between windows (default: the kernel size, as in PyTorch). */
  stride?: number | readonly [number, number];
  /** -infinity padding: one number for all sides, or [top, bottom, left, right]; each at most half the window. */
  pad?: number | readonly [number, number, number, number];
}

/** A validated pooling window. */
export interface PoolGeometry {
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  padTop: number;
  padBottom: number;
  padLeft: number;
  padRight: number;
}

export function poolGeometry(op: string, opts: MaxPoolOptions): PoolGeometry {
  if (typeof opts !== 'object' || opts === null) throw new Error(`${op}: options { kernel, stride?, pad? } are required`);
  checkOptionNames(op, 'options', opts, ['kernel', 'stride', 'pad']);
  const [kh, kw] = pair(op, 'kernel', opts.kernel);
  const [sh, sw] = opts.stride === undefined ? [kh, kw] : pair(op, 'stride', opts.stride);
  const pad = opts.pad ?? 0;
  let sides: number[];
  if (typeof pad === 'number') sides = [pad, pad, pad, pad];
  else if (Array.isArray(pad) && pad.length === 4) sides = [...pad];
  else throw new Error(`${op}: pad must be a number or [top, bottom, left, right], got ${JSON.stringify(pad)}`);
  sides.forEach((p, i) => checkNonNegativeInt(op, `pad[${i}]`, p));
  const [padTop, padBottom, padLeft, padRight] = sides;
  // PyTorch's rule; it also guarantees that every window overlaps the input
  if (padTop > kh >> 1 || padBottom > kh >> 1 || padLeft > kw >> 1 || padRight > kw >> 1) {
    throw new Error(`${op}: pad [${sides}] must be at most half the kernel [${kh}, ${kw}] on each side`);
  }
  return { kh, kw, sh, sw, padTop, padBottom, padLeft, padRight };
}

/** Output rows and columns (floor mode); throws when the padded input is smaller than the window. */
export function poolOutputSize(op: string, h: number, w: number, g: PoolGeometry): [number, number] {
  const oh = Math.floor((h + g.padTop + g.padBottom - g.kh) / g.sh) + 1;
  const ow = Math.floor((w + g.padLeft + g.padRight - g.kw) / g.sw) + 1;
  if (h < 1 || w < 1 || oh < 1 || ow < 1) {
    throw new Error(`${op}: input ${h}x${w} with padding [${g.padTop}, ${g.padBottom}, ${g.padLeft}, ${g.padRight}] is smaller than the ${g.kh}x${g.kw} window`);
  }
  return [oh, ow];
}

/** Pointer level: x [n, h, w, c] -> out [n, oh, ow, c] (poolOutputSize), both on the kernel heap. */
export function maxPool2dInto(kn: Kernels, x: number, shape: readonly number[], g: PoolGeometry, out: number): void {
  const [n, h, w, c] = checkShape4('maxPool2dInto', shape);
  const [oh, ow] = poolOutputSize('maxPool2dInto', h, w, g);
  checkBuffer('maxPool2dInto', 'x', kn, x, n * h * w * c * 4);
  checkBuffer('maxPool2dInto', 'out', kn, out, n * oh * ow * c * 4);
  // split by output rows (one image): rows r0.. see the top padding r0 * sh smaller
  runRows(kn, {
    fn: 'maxPool2dNhwc',
    args: [x, n, h, w, c, g.kh, g.kw, g.sh, g.sw, g.padTop, g.padLeft, oh, ow, out],
    rows: n === 1 ? oh : 1, rowsArg: 11, perRow: [[9, -g.sh], [13, ow * c * 4]],
  }, (n * oh * ow * c * g.kh * g.kw) / 4);
}

/** Max pooling with -infinity padding, floor mode (PyTorch MaxPool2d): x [n, h, w, c] -> [n, oh, ow, c]. */
export function maxPool2d(x: Tensor, opts: MaxPoolOptions): Tensor {
  checkTensor('maxPool2d', 'x', x, 4);
  const g = poolGeometry('maxPool2d', opts);
  const [n, h, w, c] = x.shape;
  const [oh, ow] = poolOutputSize('maxPool2d', h, w, g);
  const kn = kernels();
  return withScope(kn, (s) => {
    const px = s.f32(x.data);
    const size = n * oh * ow * c;
    const out = s.alloc(size * 4);
    kn.exports.maxPool2dNhwc(px, n, h, w, c, g.kh, g.kw, g.sh, g.sw, g.padTop, g.padLeft, oh, ow, out);
    return { data: s.readF32(out, size), shape: [n, oh, ow, c] };
  });
}

export function cornerCode(op: string, direction: unknown): number {
  const code = typeof direction === 'string' ? CORNER_CODES[direction as CornerDirection] : undefined;
  if (code === undefined || !Object.hasOwn(CORNER_CODES, direction as string)) {
    throw new Error(`${op}: direction must be 'top', 'left', 'bottom' or 'right', got ${JSON.stringify(direction)}`);
  }
  return code;
}

/** Pointer level: out = cornerPool(x, direction), x and out [n, h, w, c] on the kernel heap (out may be x). */
export function cornerPoolInto(kn: Kernels, x: number, shape: readonly number[], direction: CornerDirection, out: number): void {
  const [n, h, w, c] = checkShape4('cornerPoolInto', shape);
  const dir = cornerCode('cornerPoolInto', direction);
  checkBuffer('cornerPoolInto', 'x', kn, x, n * h * w * c * 4);
  checkBuffer('cornerPoolInto', 'out', kn, out, n * h * w * c * 4);
  kn.exports.cornerPoolNhwc(x, n, h, w, c, dir, out);
}

/**
 * CornerNet corner pooling, NHWC [n, h, w, c] -> same shape: `top` = max over the rows at or below,
 * `left` = max over the columns at or to the right, `bottom` = max over the rows at or above,
 * `right` = max over the columns at or to the left.
 */
export function cornerPool(x: Tensor, direction: CornerDirection): Tensor {
  checkTensor('cornerPool', 'x', x, 4);
  const dir = cornerCode('cornerPool', direction);
  const [n, h, w, c] = x.shape;
  const kn = kernels();
  return withScope(kn, (s) => {
    const px = s.f32(x.data);
    kn.exports.cornerPoolNhwc(px, n, h, w, c, dir, px);
    return { data: s.readF32(px, x.data.length), shape: [...x.shape] };
  });
}

/**
 * Pointer level, one pass: out = cornerPool(a, vertical) + cornerPool(b, horizontal), the sum a
 * CornerNet module forms (top + left for top-left corners, bottom + right for bottom-right ones).
 * a, b and out are [n, h, w, c] on the kernel heap; out may be a or b.
 */
export function cornerPoolPairAddInto(
  kn: Kernels, a: number, b: number, shape: readonly number[], vertical: 'top' | 'bottom', horizontal: 'left' | 'right', out: number,
): void {
  const op = 'cornerPoolPairAddInto';
  const [n, h, w, c] = checkShape4(op, shape);
  if (vertical !== 'top' && vertical !== 'bottom') throw new Error(`${op}: vertical must be 'top' or 'bottom', got ${JSON.stringify(vertical)}`);
  if (horizontal !== 'left' && horizontal !== 'right') throw new Error(`${op}: horizontal must be 'left' or 'right', got ${JSON.stringify(horizontal)}`);
  const bytes = n * h * w * c * 4;
  checkBuffer(op, 'a', kn, a, bytes);
  checkBuffer(op, 'b', kn, b, bytes);
  checkBuffer(op, 'out', kn, out, bytes);
  withScope(kn, (s) => {
    const row = s.alloc(w * c * 4);
    kn.exports.cornerPoolPairAddNhwc(a, b, n, h, w, c, CORNER_CODES[vertical], CORNER_CODES[horizontal], row, out);
  });
}

function pair(op: string, name: string, v: unknown): [number, number] {
  if (typeof v === 'number') return [checkPositiveInt(op, name, v), v];
  if (Array.isArray(v) && v.length === 2) return [checkPositiveInt(op, `${name}[0]`, v[0]), checkPositiveInt(op, `${name}[1]`, v[1])];
  throw new Error(`${op}: ${name} must be a positive integer or a pair of them, got ${JSON.stringify(v)}`);
}

function checkShape4(op: string, shape: readonly number[]): [number, number, number, number] {
  if (!Array.isArray(shape) || shape.length !== 4 || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new Error(`${op}: shape must be [n, h, w, c] of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  return shape as [number, number, number, number];
}
