// IEEE 754 half precision <-> single precision, bit-exact: f32 -> f16 rounds to nearest, ties to
// even, overflows to infinity, keeps subnormals, infinities, signed zeros and NaN (quiet, payload
// top bits kept); f16 -> f32 is exact. Arrays: Float32Array [n] <-> Uint16Array [n] of f16 bits.

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** The f16 bit pattern nearest to x (ties to even). */
export function f32ToF16Bits(x: number): number {
  f32Scratch[0] = x;
  const bits = u32Scratch[0];
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  if (exp === 0xff) return mant === 0 ? sign | 0x7c00 : sign | 0x7e00 | (mant >>> 13); // inf / quiet NaN
  const e = exp - 127 + 15; // f16 biased exponent
  if (e >= 0x1f) return sign | 0x7c00; // |x| >= 2^16: beyond the largest finite f16 even before rounding
  if (e <= 0) {
    // f16 subnormal: value = m * 2^-24 with m = (1.mant) * 2^(exp - 126); shift right by 14 - e.
    const shift = 14 - e;
    if (shift > 24) return sign; // |x| < 2^-25: rounds to zero (also f32 zeros and subnormals)
    const full = mant | 0x800000;
    let m = full >>> shift;
    const rest = full & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rest > half || (rest === half && (m & 1) === 1)) m++; // m may reach 0x400: the smallest normal, correctly encoded
    return sign | m;
  }
  let h = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) h++; // a carry into the exponent is right, up to infinity
  return sign | h;
}

/** The f32 value of an f16 bit pattern (exact). */
export function f16BitsToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

export function encodeF16(src: Float32Array, out: Uint16Array = new Uint16Array(src.length)): Uint16Array {
  if (out.length !== src.length) throw new Error(`encodeF16: out has ${out.length} elements, src ${src.length}`);
  for (let i = 0; i < src.length; i++) out[i] = f32ToF16Bits(src[i]);
  return out;
}

export function decodeF16(src: Uint16Array, out: Float32Array = new Float32Array(src.length)): Float32Array {
  if (out.length !== src.length) throw new Error(`decodeF16: out has ${out.length} elements, src ${src.length}`);
  // normal values and zeros by integer ops on the bits (exponent rebased by 127 - 15 = 112, mantissa
  // shifted up 13): a 256 KB lookup table cost more to build than a cold model load saved with it;
  // subnormals, infinities and NaN (rare) through f16BitsToF32
  const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < src.length; i++) {
    const h = src[i];
    const e = h & 0x7c00;
    if (e !== 0 && e !== 0x7c00) bits[i] = ((h & 0x8000) << 16) | (((h & 0x7fff) + 0x1c000) << 13);
    else if ((h & 0x7fff) === 0) bits[i] = (h & 0x8000) << 16;
    else out[i] = f16BitsToF32(h);
  }
  return out;
}
