// Post-training int8 quantisation, pure TypeScript (no wasm): per-output-channel symmetric weight
// codes and per-tensor activation parameters, as the int8 convolution (conv-int8.ts) takes them.
//   weights:     scale_c = max |w[.., c]| / 127,  code = clamp(roundHalfEven(w / scale_c), -127, 127)
//   activations: min >= 0 (after ReLU): scale = max / 255, codes 0..255 ('u8', stored as i16);
//                otherwise scale = max |x| / 127, codes -127..127 ('s8', stored as i16);
//                or, for the relaxed-SIMD c4 kernel, min >= 0: scale = max / 127, codes 0..127 ('u7', bytes)
// A value is code * scale. -128 is never used, so that negating a code stays in range.

/**
 * The accumulator bound: every product of codes is at most 255 * 127 in magnitude, so a sum over
 * K = kh * kw * cs of them fits an i32 while K <= floor((2^31 - 1) / (255 * 127)) = 66311
 * (3x3 x 7368 channels); the kernels never overflow below it.
 */
export const MAX_INT8_REDUCTION = Math.floor(0x7fffffff / (255 * 127));

/** How activation codes are held: 'u8' 0..255 and 's8' -127..127 as i16 (c2 kernel); 'u7' 0..127 as bytes (c4 kernel). */
export type ActivationCodes = 'u8' | 's8' | 'u7';

const CODES: readonly ActivationCodes[] = ['u8', 's8', 'u7'];

/** A calibrated activation tensor's quantisation: x ~ code * scale, code in activationCodeRange(). */
export interface ActivationQuant {
  readonly scale: number;
  readonly codes: ActivationCodes;
}

/** int8 conv weights: HWIO codes [kh, kw, cin, cout] and one scale per output channel. */
export interface Int8ConvWeights {
  readonly codes: Int8Array;
  readonly scales: Float32Array;
}

/** Code range [lo, hi] of an activation quantisation. */
export function activationCodeRange(q: ActivationQuant): [number, number] {
  return q.codes === 's8' ? [-127, 127] : q.codes === 'u7' ? [0, 127] : [0, 255];
}

/** Bytes per activation code: 2 (i16, 'u8' and 's8') or 1 ('u7'). */
export function activationCodeBytes(codes: ActivationCodes): 1 | 2 {
  return codes === 'u7' ? 1 : 2;
}

/**
 * Channel stride of int8 activation rows: the c2 kernel reduces 2 channels per step, the c4 kernel
 * ('u7' codes) 4, so channel counts are rounded up with zero channels.
 */
export function int8ChannelStride(channels: number, codes: ActivationCodes = 'u8'): number {
  const step = codes === 'u7' ? 4 : 2;
  return Math.ceil(channels / step) * step;
}

const bitsView = new Float32Array(1);

/** The f32 bit pattern of v as an i32: how the int8 kernels take their scales (pool arguments are i32). */
export function f32Bits(v: number): number {
  bitsView[0] = v;
  return new Int32Array(bitsView.buffer)[0];
}

/** Nearest integer, halves to even (what f32.nearest does in the kernels). */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Quantisation of an activation tensor whose calibrated values lie in [min, max]: 'u8' codes when
 * min >= 0, else 's8'; with `sevenBit` (the relaxed-SIMD c4 kernel; min must be >= 0) 'u7' codes.
 */
export function activationQuant(min: number, max: number, sevenBit = false): ActivationQuant {
  const op = 'activationQuant';
  if (!Number.isFinite(min) || !Number.isFinite(max) || min > max) {
    throw new Error(`${op}: the calibrated range must be finite numbers with min <= max, got [${min}, ${max}]`);
  }
  if (sevenBit && min < 0) throw new Error(`${op}: 7-bit codes hold non-negative tensors only, got min ${min}`);
  const codes: ActivationCodes = sevenBit ? 'u7' : min < 0 ? 's8' : 'u8';
  const range = Math.max(-min, max);
  // an all-zero tensor: any positive scale gives code 0 everywhere
  const scale = range > 0 ? Math.fround(range / activationCodeRange({ scale: 1, codes })[1]) : 1;
  if (!(scale > 0) || !Number.isFinite(scale)) throw new Error(`${op}: range [${min}, ${max}] gives no usable f32 scale`);
  return { scale, codes };
}

/**
 * The 'u7' codes of a tensor calibrated with 'u8' codes (the c4 kernel's): the same range [0, max],
 * max = 255 * scale, in half the steps, so scale = max / 127. 's8' and 'u7' have no such form.
 */
export function sevenBitQuant(q: ActivationQuant): ActivationQuant {
  if (q.codes !== 'u8') throw new Error(`sevenBitQuant: only 'u8' (non-negative) activations have 7-bit codes, got '${q.codes}'`);
  return { scale: Math.fround((q.scale * 255) / 127), codes: 'u7' };
}

/** Throws unless q is a usable ActivationQuant (positive finite scale, known codes). */
export function checkActivationQuant(op: string, name: string, q: unknown): ActivationQuant {
  const v = q as Partial<ActivationQuant> | null;
  if (typeof q !== 'object' || v === null || typeof v.scale !== 'number' || !(v.scale > 0) || !Number.isFinite(v.scale) || !CODES.includes(v.codes as ActivationCodes)) {
    throw new Error(`${op}: ${name} must be { scale: a positive finite number, codes: ${CODES.map((c) => `'${c}'`).join(' | ')} }, got ${JSON.stringify(q)}`);
  }
  return { scale: v.scale, codes: v.codes as ActivationCodes };
}

/** Per-output-channel symmetric int8 codes of HWIO weights w [kh, kw, cin, cout]. */
export function quantizeConvWeights(w: Float32Array, shape: readonly number[]): Int8ConvWeights {
  const op = 'quantizeConvWeights';
  const [, , cin, cout] = checkWeightShape(op, w, shape, '[kh, kw, cin, cout]');
  return quantizePerChannel(op, w, cout, weightChannelOf('conv', cin, cout));
}

/** Per-output-channel symmetric int8 codes of transposed-conv weights w [kh, kw, cout, cin] (the graph's deconv layout). */
export function quantizeDeconvWeights(w: Float32Array, shape: readonly number[]): Int8ConvWeights {
  const op = 'quantizeDeconvWeights';
  const [, , cout, cin] = checkWeightShape(op, w, shape, '[kh, kw, cout, cin]');
  return quantizePerChannel(op, w, cout, weightChannelOf('deconv', cin, cout));
}

/**
 * The output channel of weight element i: the innermost axis of a conv's HWIO [kh, kw, cin, cout],
 * the second innermost of a transposed conv's [kh, kw, cout, cin]. The quantisers' scales and the
 * int8 file's dequantisation (int8-model.ts) index by it.
 */
export function weightChannelOf(op: 'conv' | 'deconv', cin: number, cout: number): (i: number) => number {
  return op === 'deconv' ? (i) => Math.floor(i / cin) % cout : (i) => i % cout;
}

function checkWeightShape(op: string, w: Float32Array, shape: readonly number[], layout: string): [number, number, number, number] {
  if (!(w instanceof Float32Array)) throw new Error(`${op}: w must be a Float32Array`);
  if (!Array.isArray(shape) || shape.length !== 4 || !shape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new Error(`${op}: shape must be 4 positive integers ${layout}, got ${JSON.stringify(shape)}`);
  }
  const size = shape[0] * shape[1] * shape[2] * shape[3];
  if (w.length !== size) throw new Error(`${op}: w has ${w.length} values but shape [${shape}] needs ${size}`);
  return [shape[0], shape[1], shape[2], shape[3]];
}

/** scale_c = max |w of channel c| / 127 and the codes, channelOf(i) giving element i's output channel. */
function quantizePerChannel(op: string, w: Float32Array, cout: number, channelOf: (i: number) => number): Int8ConvWeights {
  const maxAbs = new Float64Array(cout);
  for (let i = 0; i < w.length; i++) {
    const v = w[i];
    if (!Number.isFinite(v)) throw new Error(`${op}: w[${i}] is ${v}; weights must be finite`);
    const c = channelOf(i);
    maxAbs[c] = Math.max(maxAbs[c], Math.abs(v));
  }
  const scales = new Float32Array(cout);
  for (let c = 0; c < cout; c++) scales[c] = maxAbs[c] / 127;
  const codes = new Int8Array(w.length);
  for (let i = 0; i < w.length; i++) {
    const s = scales[channelOf(i)];
    // an all-zero channel keeps scale 0 and codes 0; the clamp absorbs f32 rounding of the scale
    codes[i] = s > 0 ? Math.max(-127, Math.min(127, roundHalfEven(w[i] / s))) : 0;
  }
  return { codes, scales };
}

/** Taps of output phase q of a transposed conv: k = q, q + s, ... below k. */
export function transposePhaseTaps(q: number, k: number, s: number): number {
  return q < k ? Math.ceil((k - q) / s) : 0;
}

/**
 * Whether the int8 transposed conv (conv-transpose-int8.ts) runs a layer: every output phase has a
 * tap (kernel >= stride) and the largest phase's reduction cannot overflow the i32 sums.
 */
export function int8TransposeFits(kh: number, kw: number, cin: number, stride: number | readonly [number, number] = 1): boolean {
  const [sh, sw] = typeof stride === 'number' ? [stride, stride] : stride;
  return kh >= sh && kw >= sw && transposePhaseTaps(0, kh, sh) * transposePhaseTaps(0, kw, sw) * int8ChannelStride(cin) <= MAX_INT8_REDUCTION;
}
