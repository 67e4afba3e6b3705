// The tensor convention of every public function: { data: Float32Array, shape: number[] }, NHWC
// for images and feature maps. Checks here give every op the same clear errors.

export interface Tensor {
  data: Float32Array;
  shape: number[];
}

/** Throws an Error naming `arg` unless t is a well-formed f32 tensor of the given rank. */
export function checkTensor(op: string, arg: string, t: unknown, rank?: number): asserts t is Tensor {
  if (typeof t !== 'object' || t === null) throw new Error(`${op}: ${arg} must be a tensor { data: Float32Array, shape }, got ${t === null ? 'null' : typeof t}`);
  const { data, shape } = t as Partial<Tensor>;
  if (!(data instanceof Float32Array)) throw new Error(`${op}: ${arg}.data must be a Float32Array, got ${describe(data)}`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new Error(`${op}: ${arg}.shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  if (rank !== undefined && shape.length !== rank) throw new Error(`${op}: ${arg} must have rank ${rank} (${rank === 4 ? 'NHWC' : 'shape'}), got shape [${shape}]`);
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== data.length) throw new Error(`${op}: ${arg}.data has ${data.length} elements but shape [${shape}] needs ${size}`);
}

/** A positive integer option, with the option's name in the error. */
export function checkPositiveInt(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`${op}: ${name} must be a positive integer, got ${String(v)}`);
  return v;
}

/** A non-negative integer option, with the option's name in the error. */
export function checkNonNegativeInt(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new Error(`${op}: ${name} must be a non-negative integer, got ${String(v)}`);
  return v;
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return typeof v;
}
