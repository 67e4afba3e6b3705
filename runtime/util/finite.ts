// The first infinity or NaN of f32 data, tested on the bits: an all-ones exponent is one of them.
// One integer test per value, read as Int32 so that the interpreter (a cold start runs this before
// the JIT warms up) boxes nothing: a Uint32 value over 2^31 would be a heap number.
export function firstNonFinite(data: Float32Array): number {
  const bits = new Int32Array(data.buffer, data.byteOffset, data.length);
  for (let i = 0; i < bits.length; i++) if ((bits[i] & 0x7f800000) === 0x7f800000) return i;
  return -1;
}
