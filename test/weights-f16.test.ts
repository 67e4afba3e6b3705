// f16 <-> f32 conversion against hand-worked IEEE 754 bit patterns, an exhaustive round trip of
// all 65536 half values, and a brute-force nearest-value reference for random f32 inputs.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeF16, encodeF16, f16BitsToF32, f32ToF16Bits } from '../runtime/weights/f16.js';
import { rng } from './helpers/random.js';

const bitsOfF32 = (u: number) => new Float32Array(new Uint32Array([u]).buffer)[0];

test('f32 -> f16: hand-worked patterns (normals, limits, ties to even, overflow)', () => {
  const cases: [number, number, string][] = [
    [1, 0x3c00, '1 = 2^0: exponent 15, mantissa 0'],
    [-2, 0xc000, 'sign bit, exponent 16'],
    [0.5, 0x3800, 'exponent 14'],
    [1 / 3, 0x3555, '1/3 = 1.0101...b x 2^-2, mantissa 0101010101 then 0101... below half'],
    [0.1, 0x2e66, '0.1 = 1.6 x 2^-4: mantissa 0.6 x 1024 = 614.4 -> 614 = 0x266'],
    [65504, 0x7bff, 'largest finite half'],
    [65519, 0x7bff, 'below the midpoint 65520 between 65504 and 65536'],
    [65520, 0x7c00, 'the midpoint: ties to even = 65536 = overflow -> +inf'],
    [1e6, 0x7c00, 'far beyond the range -> +inf'],
    [-1e6, 0xfc00, '-> -inf'],
    [Infinity, 0x7c00, '+inf'],
    [-Infinity, 0xfc00, '-inf'],
    [0, 0x0000, '+0'],
    [-0, 0x8000, '-0 keeps its sign'],
    [1 + 2 ** -11, 0x3c00, 'half an ulp above 1: tie, 0x3c00 is even'],
    [1 + 3 * 2 ** -11, 0x3c02, '1.5 ulps: tie between 0x3c01 (odd) and 0x3c02 (even)'],
    [1 + 2 ** -11 + 2 ** -20, 0x3c01, 'just above the tie rounds up'],
    [2047, 0x67ff, '2047 = 1.11111111110b x 2^10, exact'],
    [2049, 0x6800, '2049: tie between 2048 (even) and 2050'],
    [2051, 0x6802, '2051: tie between 2050 (odd) and 2052 (even)'],
  ];
  for (const [x, bits, why] of cases) assert.is(f32ToF16Bits(x), bits, `${x}: ${why}`);
});

test('f32 -> f16: subnormals and underflow', () => {
  const cases: [number, number, string][] = [
    [2 ** -14, 0x0400, 'smallest normal'],
    [2 ** -24, 0x0001, 'smallest subnormal'],
    [1023 * 2 ** -24, 0x03ff, 'largest subnormal'],
    [1023.5 * 2 ** -24, 0x0400, 'tie between 0x3ff (odd) and 0x400: rounds up into the normals'],
    [2 ** -25, 0x0000, 'half the smallest subnormal: tie, 0 is even'],
    [1.5 * 2 ** -25, 0x0001, 'above the tie'],
    [3 * 2 ** -25, 0x0002, '1.5 x 2^-24: tie between 1 (odd) and 2 (even)'],
    [5 * 2 ** -25, 0x0002, '2.5 x 2^-24: tie between 2 (even) and 3'],
    [-(2 ** -24), 0x8001, 'negative subnormal'],
    [2 ** -26, 0x0000, 'below half the smallest subnormal'],
    [1e-40, 0x0000, 'an f32 subnormal'],
    [-1e-40, 0x8000, 'a negative f32 subnormal -> -0'],
    [6e-8, 0x0001, '6e-8 is nearest to 2^-24 = 5.96e-8'],
  ];
  for (const [x, bits, why] of cases) assert.is(f32ToF16Bits(x), bits, `${x}: ${why}`);
});

test('f32 -> f16: NaN stays NaN (quiet), keeping the sign and the top payload bits', () => {
  assert.is(f32ToF16Bits(NaN) & 0x7e00, 0x7e00);
  assert.is(f32ToF16Bits(bitsOfF32(0x7f800001)), 0x7e00, 'signalling NaN with a low payload: still a NaN');
  assert.is(f32ToF16Bits(bitsOfF32(0xffa00000)), 0xff00, 'negative NaN, payload 0x200000 -> 0x100');
});

test('f16 -> f32: hand-worked values', () => {
  const cases: [number, number][] = [
    [0x0001, 5.960464477539063e-8],
    [0x03ff, 6.097555160522461e-5],
    [0x0400, 6.103515625e-5],
    [0x3c00, 1],
    [0x3555, 0.333251953125],
    [0x2e66, 0.0999755859375],
    [0x7bff, 65504],
    [0xc000, -2],
    [0x7c00, Infinity],
    [0xfc00, -Infinity],
  ];
  for (const [bits, x] of cases) assert.is(f16BitsToF32(bits), x, `0x${bits.toString(16)}`);
  assert.ok(Object.is(f16BitsToF32(0x8000), -0));
  assert.ok(Number.isNaN(f16BitsToF32(0x7c01)));
  assert.ok(Number.isNaN(f16BitsToF32(0xfe00)));
});

test('all 65536 half values: f16 -> f32 -> f16 is the identity (NaNs stay NaN)', () => {
  const all = new Uint16Array(65536).map((_, i) => i);
  const f = decodeF16(all);
  const back = encodeF16(f);
  for (let h = 0; h < 65536; h++) {
    const isNaN = (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
    if (isNaN) assert.ok((back[h] & 0x7c00) === 0x7c00 && (back[h] & 0x3ff) !== 0, `NaN 0x${h.toString(16)}`);
    else if (back[h] !== h) assert.unreachable(`0x${h.toString(16)} -> ${f[h]} -> 0x${back[h].toString(16)}`);
  }
});

test('random f32 values round to the nearest half (ties to even), against a brute-force search', () => {
  // Reference: the finite non-negative halves in bit order are increasing (0x0000..0x7bff).
  const values: number[] = [];
  for (let h = 0; h <= 0x7bff; h++) values.push(f16BitsToF32(h));
  const nearest = (x: number): number => {
    const a = Math.abs(x);
    const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
    if (a >= 65520) return sign | 0x7c00; // at or past the midpoint between 65504 and 2^16
    let lo = 0;
    let hi = values.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (values[mid] <= a) lo = mid;
      else hi = mid;
    }
    if (a >= values[hi]) return sign | hi;
    const m = (values[lo] + values[hi]) / 2; // exact in double
    if (a < m) return sign | lo;
    if (a > m) return sign | hi;
    return sign | (lo % 2 === 0 ? lo : hi);
  };
  const r = rng(7);
  const x = new Float32Array(1);
  for (let i = 0; i < 200000; i++) {
    // Log-uniform magnitudes from 2^-30 to 2^17 cover underflow, subnormals, normals and overflow.
    x[0] = (r() < 0.5 ? -1 : 1) * 2 ** (r() * 47 - 30);
    if (i % 4 === 0) x[0] = Math.round(x[0] * 4096) / 4096; // many exact ties
    const want = nearest(x[0]);
    const got = f32ToF16Bits(x[0]);
    if (got !== want) assert.unreachable(`${x[0]}: got 0x${got.toString(16)}, want 0x${want.toString(16)}`);
  }
});

test('array helpers check their output length', () => {
  assert.throws(() => encodeF16(new Float32Array(3), new Uint16Array(2)), /out has 2 elements, src 3/);
  assert.throws(() => decodeF16(new Uint16Array(3), new Float32Array(4)), /out has 4 elements, src 3/);
});

test.run();
