// An F16 tensor left undecoded until it is packed. A cold create() of an F16 model spent ~1,000
// fresh pages (~14 ms here, where a page fault costs ~14 us) on f32 copies in JavaScript of conv
// weights that the packers then copied into kernel memory anyway; the packers now decode these bits
// straight into kernel memory (ops/stage-weights.ts), and only the small tensors become f32 arrays.
// (An F32 file's weights are views of the file likewise: model-file.ts, weightViews.)

/**
 * Little-endian IEEE half bits of `length` values: a view of the model file's bytes, not a copy.
 * They are checked finite where they are staged (ops/stage-weights.ts); `label` names them in that
 * Error (model-file.ts gives `tensor "name"`).
 */
export class HalfFloats {
  constructor(
    readonly bits: Uint8Array,
    readonly length: number,
    readonly label = 'half-float weights',
  ) {
    if (bits.length !== 2 * length) throw new Error(`HalfFloats: ${bits.length} bytes do not hold ${length} half values`);
  }
}

/** A parameter as the execution plan takes it: f32 values, or (the large conv weights of an F16 file) half bits. */
export type WeightData = Float32Array | HalfFloats;

/** Index of the first infinity or NaN among the half values from index `from` on (an all-ones exponent), or -1: the spec of the wasm decodeF16's flag. */
export function firstNonFiniteHalf(h: HalfFloats, from = 0): number {
  // the high byte of each little-endian half: sign, the five exponent bits, two mantissa bits
  const { bits } = h;
  for (let i = 2 * from + 1; i < bits.length; i += 2) if ((bits[i] & 0x7c) === 0x7c) return (i - 1) >> 1;
  return -1;
}

/** The value of an infinite or NaN half at index i (for error messages). */
export function nonFiniteHalfValue(h: HalfFloats, i: number): number {
  const hi = h.bits[2 * i + 1];
  const lo = h.bits[2 * i];
  if ((hi & 0x03) !== 0 || lo !== 0) return NaN;
  return hi & 0x80 ? -Infinity : Infinity;
}
