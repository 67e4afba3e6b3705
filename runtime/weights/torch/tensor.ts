// Storages and tensors of a PyTorch checkpoint: the storage types by dtype, the rebuild calls the
// pickle makes (`_rebuild_tensor_v2(storage, offset, size, stride, ...)`), and the copy of each
// tensor's elements out of its storage once the storage bytes are known (offsets and strides
// honoured; a non-contiguous view becomes a contiguous copy). Every size is checked before a byte is
// read or allocated: a tensor can never need more bytes than the file holds.

import { f16BitsToF32 } from '../f16.js';
import { describe } from './pickle.js';

export type TorchDtype = 'float32' | 'float16' | 'bfloat16' | 'float64' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';
export type TorchData = Float32Array | Float64Array | Uint16Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array;

export interface TorchTensor {
  dtype: TorchDtype;
  shape: number[];
  /** Contiguous row-major elements (f16 and bf16 as raw bits, bool as 0/1 bytes). */
  data: TorchData;
}

const BYTES: Record<TorchDtype, number> = {
  float32: 4,
  float16: 2,
  bfloat16: 2,
  float64: 8,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

/** torch.<Name>Storage -> dtype (the legacy format and the zip format of torch 1.6 - 2.x alike). */
export const STORAGE_DTYPES = new Map<string, TorchDtype>([
  ['torch.FloatStorage', 'float32'],
  ['torch.HalfStorage', 'float16'],
  ['torch.BFloat16Storage', 'bfloat16'],
  ['torch.DoubleStorage', 'float64'],
  ['torch.LongStorage', 'int64'],
  ['torch.IntStorage', 'int32'],
  ['torch.ShortStorage', 'int16'],
  ['torch.CharStorage', 'int8'],
  ['torch.ByteStorage', 'uint8'],
  ['torch.BoolStorage', 'bool'],
  // An untyped storage (saved on its own by torch >= 2.0) counts bytes.
  ['torch.UntypedStorage', 'uint8'],
  ['torch.storage.UntypedStorage', 'uint8'],
]);

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const MAX_RANK = 32;

export function dtypeBytes(dtype: TorchDtype): number {
  return BYTES[dtype];
}

/** The bytes behind one or more storages: filled from the file after the pickle is read. */
export class StorageRoot {
  bytes: Uint8Array | undefined;
  constructor(
    readonly key: string,
    readonly dtype: TorchDtype,
    readonly numel: number,
  ) {}
}

/** A storage as a tensor sees it: a root, or (legacy PyTorch 0.4 views) an element range of one. */
export class TorchStorage {
  constructor(
    readonly root: StorageRoot,
    readonly offset: number,
    readonly numel: number,
  ) {}
  get dtype(): TorchDtype {
    return this.root.dtype;
  }
}

/** A tensor whose data is copied out of its storage once all storages are read. */
export interface PendingTensor {
  tensor: TorchTensor;
  storage: TorchStorage;
  offset: number;
  stride: number[];
}

/** Checks one integer argument of a rebuild call. */
function integer(v: unknown, what: string, fail: (msg: string) => never): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail(`${what} is ${describe(v)}, expected a non-negative integer below 2^53`);
  return v as number;
}

function integers(v: unknown, what: string, fail: (msg: string) => never): number[] {
  if (!Array.isArray(v)) fail(`${what} is ${describe(v)}, expected a tuple of integers`);
  const list = v as unknown[];
  if (list.length > MAX_RANK) fail(`${what} has ${list.length} dimensions; at most ${MAX_RANK} are read`);
  return list.map((x, i) => integer(x, `${what}[${i}]`, fail));
}

/** The rebuild functions a checkpoint may call, registering each tensor they make in `pending`. */
export function tensorReducers(pending: PendingTensor[]): Map<string, (args: unknown[], fail: (msg: string) => never) => unknown> {
  const rebuild = (name: string, minArgs: number, maxArgs: number) => (args: unknown[], fail: (msg: string) => never) => {
    if (args.length < minArgs || args.length > maxArgs) fail(`${name} takes ${minArgs}-${maxArgs} arguments, got ${args.length}`);
    const storage = args[0];
    if (!(storage instanceof TorchStorage)) fail(`${name}: the storage is ${describe(storage)}, expected a persistent storage id`);
    const offset = integer(args[1], `${name}: storage offset`, fail);
    const size = integers(args[2], `${name}: size`, fail);
    const stride = integers(args[3], `${name}: stride`, fail);
    if (size.length !== stride.length) fail(`${name}: size has ${size.length} dimensions but stride ${stride.length}`);
    if (args.length > 4 && typeof args[4] !== 'boolean') fail(`${name}: requires_grad is ${describe(args[4])}, expected a bool`);
    if (args.length > 5 && !(args[5] instanceof Map)) fail(`${name}: backward hooks are ${describe(args[5])}, expected an OrderedDict`);
    if (args.length > 5 && (args[5] as Map<unknown, unknown>).size > 0) fail(`${name}: the tensor has backward hooks, which a checkpoint reader never runs`);
    const s = storage as TorchStorage;
    const tensor: TorchTensor = { dtype: s.dtype, shape: size, data: new Uint8Array(0) };
    pending.push({ tensor, storage: s, offset, stride });
    return tensor;
  };
  const parameter = (args: unknown[], fail: (msg: string) => never): unknown => {
    if (args.length < 1 || args.length > 3) fail(`_rebuild_parameter takes 1-3 arguments, got ${args.length}`);
    if (!pending.some((p) => p.tensor === args[0])) fail(`_rebuild_parameter: the data is ${describe(args[0])}, expected a tensor`);
    if (args.length > 2 && !(args[2] instanceof Map && args[2].size === 0)) fail('_rebuild_parameter: the parameter has backward hooks, which a checkpoint reader never runs');
    return args[0];
  };
  return new Map([
    // (storage, offset, size, stride, requires_grad, backward_hooks[, metadata])
    ['torch._utils._rebuild_tensor_v2', rebuild('_rebuild_tensor_v2', 6, 7)],
    // (storage, offset, size, stride): PyTorch before 0.4
    ['torch._utils._rebuild_tensor', rebuild('_rebuild_tensor', 4, 4)],
    ['torch._utils._rebuild_parameter', parameter],
  ]);
}

/** Element count of `shape`, refusing counts beyond `limit`. */
function elementCount(shape: number[], limit: number, fail: (msg: string) => never): number {
  let n = 1;
  for (const d of shape) {
    if (d === 0) return 0;
  }
  for (const d of shape) {
    n *= d;
    if (n > limit) fail(`has shape [${shape.join(', ')}]: more elements than the file could hold (${limit})`);
  }
  return n;
}

/**
 * Copies a tensor's elements out of its storage into a new contiguous array. `maxBytes` bounds the
 * copy (the caller passes what is left of its allocation budget).
 */
export function materialize(p: PendingTensor, maxBytes: number, fail: (msg: string) => never): number {
  const { tensor, storage, offset, stride } = p;
  const shape = tensor.shape;
  const es = BYTES[tensor.dtype];
  const n = elementCount(shape, Math.floor(maxBytes / es), fail);
  const root = storage.root;
  if (!root.bytes) fail(`storage ${root.key} has no data`);
  const src = root.bytes!;
  let extent = offset;
  if (n > 0) {
    for (let d = 0; d < shape.length; d++) extent += (shape[d] - 1) * stride[d];
    extent += 1;
  }
  if (extent > storage.numel) {
    fail(`storage ${root.key} holds ${storage.numel} elements but the tensor needs ${extent} (offset ${offset}, shape [${shape.join(', ')}], stride [${stride.join(', ')}])`);
  }
  const out = new Uint8Array(n * es);
  const base = (storage.offset + offset) * es;
  if (isContiguous(shape, stride)) {
    out.set(src.subarray(base, base + n * es));
  } else if (n > 0) {
    copyStrided(src, base, out, shape, stride, es);
  }
  if (!LITTLE_ENDIAN_HOST && es > 1) swapBytes(out, es);
  tensor.data = typedView(out, tensor.dtype);
  return n * es;
}

function isContiguous(shape: number[], stride: number[]): boolean {
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && stride[d] !== expected) return false;
    expected *= shape[d];
  }
  return true;
}

/** Row-major walk over `shape` with an odometer (no recursion), copying `es` bytes per element. */
function copyStrided(src: Uint8Array, base: number, out: Uint8Array, shape: number[], stride: number[], es: number): void {
  const rank = shape.length;
  const index = new Array<number>(rank).fill(0);
  const inner = shape[rank - 1];
  const innerStride = stride[rank - 1] * es;
  let o = 0;
  let at = base;
  for (;;) {
    for (let i = 0, s = at; i < inner; i++, s += innerStride) {
      for (let b = 0; b < es; b++) out[o++] = src[s + b];
    }
    let d = rank - 2;
    for (; d >= 0; d--) {
      index[d]++;
      at += stride[d] * es;
      if (index[d] < shape[d]) break;
      at -= index[d] * stride[d] * es;
      index[d] = 0;
    }
    if (d < 0) return;
  }
}

function swapBytes(bytes: Uint8Array, es: number): void {
  for (let i = 0; i < bytes.length; i += es) bytes.subarray(i, i + es).reverse();
}

function typedView(bytes: Uint8Array, dtype: TorchDtype): TorchData {
  const { buffer } = bytes;
  switch (dtype) {
    case 'float32':
      return new Float32Array(buffer);
    case 'float16':
    case 'bfloat16':
      return new Uint16Array(buffer);
    case 'float64':
      return new Float64Array(buffer);
    case 'int64':
      return new BigInt64Array(buffer);
    case 'int32':
      return new Int32Array(buffer);
    case 'int16':
      return new Int16Array(buffer);
    case 'int8':
      return new Int8Array(buffer);
    case 'uint8':
    case 'bool':
      return bytes;
  }
}

/** The tensor's values as float32: f16/bf16 decoded, f64 rounded, integers and bools converted. */
export function tensorToFloat32(t: TorchTensor, name: string): Float32Array {
  if (t === null || typeof t !== 'object' || !(t.dtype in BYTES) || !Array.isArray(t.shape)) {
    throw new Error(`${name}: expected a TorchTensor, got ${describe(t)}`);
  }
  const src = t.data;
  const out = new Float32Array(src.length);
  switch (t.dtype) {
    case 'float16':
      for (let i = 0; i < src.length; i++) out[i] = f16BitsToF32((src as Uint16Array)[i]);
      return out;
    case 'bfloat16': {
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < src.length; i++) bits[i] = (src as Uint16Array)[i] << 16;
      return out;
    }
    case 'int64': {
      const limit = 2n ** 53n;
      const big = src as BigInt64Array;
      for (let i = 0; i < big.length; i++) {
        const v = big[i];
        if (v > limit || v < -limit) throw new Error(`${name}: int64 element ${i} is ${v}, beyond 2^53: it has no exact float value`);
        out[i] = Number(v);
      }
      return out;
    }
    default:
      out.set(src as Exclude<TorchData, BigInt64Array>);
      return out;
  }
}
