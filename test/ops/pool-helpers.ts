// Helpers shared by the pool / select / elementwise kernel tests: contract fixtures
// (test/fixtures/contract, copied from PyTorch-computed cases) and guarded kernel buffers that catch
// out-of-bounds writes.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Kernels } from '../../runtime/wasm/loader.js';
import { rng } from '../helpers/random.js';

interface RawTensor {
  dtype: 'f32' | 'i32';
  shape: number[];
  b64: string;
}

export function contractCases(file: string): Record<string, unknown>[] {
  const url = new URL(`../fixtures/contract/${file}`, import.meta.url);
  return JSON.parse(readFileSync(fileURLToPath(url), 'utf8')) as Record<string, unknown>[];
}

export function f32Of(t: unknown): Float32Array {
  const r = t as RawTensor;
  if (r.dtype !== 'f32') throw new Error(`expected an f32 tensor, got ${r.dtype}`);
  const b = Buffer.from(r.b64, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

export function i32Of(t: unknown): Int32Array {
  const r = t as RawTensor;
  if (r.dtype !== 'i32') throw new Error(`expected an i32 tensor, got ${r.dtype}`);
  const b = Buffer.from(r.b64, 'base64');
  return new Int32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

export function shapeOf(t: unknown): number[] {
  return (t as RawTensor).shape;
}

const GUARD = 32; // floats of sentinel on each side
const SENTINEL = 0x7fa5a5a5; // a NaN bit pattern no kernel writes

/**
 * A kernel buffer of `length` 32-bit values between two sentinel-filled guard regions. `ptr` is
 * 16-byte aligned; `check()` throws if anything outside [ptr, ptr + 4 * length) changed.
 */
export class Guarded {
  readonly ptr: number;
  private readonly base: number;

  constructor(
    private readonly kn: Kernels,
    readonly length: number,
    fill?: ArrayLike<number>,
  ) {
    this.base = kn.heap.alloc((length + 2 * GUARD) * 4);
    this.ptr = this.base + GUARD * 4;
    const bits = new Int32Array(kn.exports.memory.buffer, this.base, length + 2 * GUARD);
    bits.fill(SENTINEL);
    if (fill) this.f32().set(fill);
  }

  f32(): Float32Array {
    return new Float32Array(this.kn.exports.memory.buffer, this.ptr, this.length);
  }

  i32(): Int32Array {
    return new Int32Array(this.kn.exports.memory.buffer, this.ptr, this.length);
  }

  check(label = 'buffer'): void {
    const bits = new Int32Array(this.kn.exports.memory.buffer, this.base, this.length + 2 * GUARD);
    for (let i = 0; i < GUARD; i++) {
      if (bits[i] !== SENTINEL) throw new Error(`${label}: guard before the buffer overwritten at -${GUARD - i}`);
      if (bits[GUARD + this.length + i] !== SENTINEL) throw new Error(`${label}: guard after the buffer overwritten at +${i}`);
    }
  }

  release(): void {
    this.kn.heap.release(this.base);
  }
}

/** Exact equality of two arrays, NaN equal to NaN, with the first difference in the message. */
export function sameValues(a: ArrayLike<number>, b: ArrayLike<number>): string | undefined {
  if (a.length !== b.length) return `length ${a.length} != ${b.length}`;
  for (let i = 0; i < a.length; i++) {
    if (!(Object.is(a[i], b[i]) || (a[i] === b[i]) || (Number.isNaN(a[i]) && Number.isNaN(b[i])))) return `at ${i}: ${a[i]} != ${b[i]}`;
  }
  return undefined;
}

/** Clustered random boxes [x1, y1, x2, y2] (many overlaps) and scores, some of them tied. */
export function clusteredBoxes(n: number, seed: number, ties = false): { boxes: Float32Array; scores: Float32Array } {
  const r = rng(seed);
  const centres = Array.from({ length: Math.max(1, Math.ceil(n / 12)) }, () => [r() * 400, r() * 300, 20 + r() * 80, 20 + r() * 80]);
  const boxes = new Float32Array(n * 4);
  const scores = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const [cx, cy, bw, bh] = centres[Math.floor(r() * centres.length)];
    const x = cx + (r() - 0.5) * bw * 0.6;
    const y = cy + (r() - 0.5) * bh * 0.6;
    const w = bw * (0.6 + r() * 0.8);
    const h = bh * (0.6 + r() * 0.8);
    boxes.set([x - w / 2, y - h / 2, x + w / 2, y + h / 2], i * 4);
    scores[i] = ties ? Math.floor(r() * 5) / 5 : r();
  }
  return { boxes, scores };
}
