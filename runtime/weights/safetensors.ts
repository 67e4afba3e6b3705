// The safetensors format (https://github.com/huggingface/safetensors): u64 little-endian header
// length N, N bytes of UTF-8 JSON { name: { dtype, shape, data_offsets: [begin, end] }, ...,
// __metadata__?: { key: string } } (may be padded with trailing spaces), then the data section:
// raw little-endian tensors, offsets relative to its start, covering it without gaps or overlaps.
// The parser checks all of that before it reads a byte of tensor data; F32 and F16 are read as
// f32, I8 (the int8 models of `anchorless quantize`) as bytes (readInt8Tensor).

import { decodeF16, encodeF16 } from './f16.js';

export type Dtype = 'F32' | 'F16' | 'I8';
export const DTYPE_BYTES: Record<Dtype, number> = { F32: 4, F16: 2, I8: 1 };
const DTYPES: readonly string[] = Object.keys(DTYPE_BYTES);

/** Dtypes of the format this project does not read, so an error can say "unsupported" instead of "unknown". */
const OTHER_DTYPES = ['BOOL', 'U8', 'F8_E5M2', 'F8_E4M3', 'I16', 'U16', 'BF16', 'I32', 'U32', 'F64', 'I64', 'U64'];

/** Header length limit of the reference implementation: 100 MB. */
export const MAX_HEADER_BYTES = 100_000_000;
const MAX_RANK = 8;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export interface TensorInfo {
  name: string;
  dtype: Dtype;
  shape: number[];
  /** data_offsets: byte range within the data section. */
  begin: number;
  end: number;
}

export interface Safetensors {
  source: string;
  metadata: Record<string, string>;
  /** By name, in data-section order. */
  tensors: Map<string, TensorInfo>;
  /** Where the data section starts in `bytes`. */
  dataStart: number;
  bytes: Uint8Array;
}

/**
 * Parses and checks the header of a safetensors file. Throws an Error naming `source`, the tensor
 * and the problem for any inconsistency; reads no tensor data (see readTensor).
 */
export function parseSafetensors(bytes: Uint8Array, source = '<bytes>'): Safetensors {
  const fail = (msg: string): never => {
    throw new Error(`${source}: ${msg}`);
  };
  if (!(bytes instanceof Uint8Array)) fail(`expected the file contents as a Uint8Array, got ${bytes === null ? 'null' : typeof bytes}`);
  if (bytes.length < 8) fail(`file is ${bytes.length} bytes, too short for the 8-byte header length (truncated?)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  if (headerLength === 0) fail('header length is 0: not a safetensors file');
  if (headerLength > MAX_HEADER_BYTES) fail(`header length ${headerLength} exceeds the ${MAX_HEADER_BYTES}-byte limit: not a safetensors file or corrupt`);
  if (8 + headerLength > bytes.length) fail(`header length ${headerLength} runs past the end of the file (${bytes.length} bytes; truncated?)`);

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, 8 + headerLength));
  } catch {
    return fail('header is not valid UTF-8');
  }
  if (!text.startsWith('{')) fail(`header must be a JSON object starting with "{", got ${JSON.stringify(text.slice(0, 20))}`);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    return fail(`header is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header JSON must be an object');

  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  let metadata: Record<string, string> = {};
  const infos: TensorInfo[] = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = checkMetadata(entry, fail);
      continue;
    }
    infos.push(checkEntry(name, entry, dataLength, (msg) => fail(`tensor ${JSON.stringify(name)}: ${msg}`)));
  }

  // The data section must be covered exactly once: sort by offset, then walk it.
  infos.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  let prev: TensorInfo | undefined;
  for (const t of infos) {
    if (t.begin < pos) fail(`tensor ${JSON.stringify(t.name)}: data_offsets [${t.begin}, ${t.end}] overlap tensor ${JSON.stringify(prev!.name)} [${prev!.begin}, ${prev!.end}]`);
    if (t.begin > pos) fail(`tensor ${JSON.stringify(t.name)}: data_offsets start at ${t.begin} but the previous tensor ends at ${pos} (a gap of ${t.begin - pos} bytes)`);
    pos = t.end;
    prev = t;
  }
  if (pos !== dataLength) fail(`data section is ${dataLength} bytes but the tensors cover ${pos} (${dataLength - pos} bytes unaccounted for)`);
  return { source, metadata, tensors: new Map(infos.map((t) => [t.name, t])), dataStart, bytes };
}

function checkMetadata(entry: unknown, fail: (msg: string) => never): Record<string, string> {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) fail('__metadata__ must be an object of strings');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(entry as Record<string, unknown>)) {
    if (typeof v !== 'string') fail(`__metadata__.${k} must be a string, got ${v === null ? 'null' : typeof v}`);
    // defineProperty: a key named "__proto__" stays an ordinary entry.
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function checkEntry(name: string, entry: unknown, dataLength: number, fail: (msg: string) => never): TensorInfo {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) fail('entry must be an object { dtype, shape, data_offsets }');
  const e = entry as Record<string, unknown>;
  for (const k of Object.keys(e)) if (k !== 'dtype' && k !== 'shape' && k !== 'data_offsets') fail(`unknown field ${JSON.stringify(k)}`);
  const dtype = e.dtype;
  if (typeof dtype !== 'string' || !DTYPES.includes(dtype)) {
    if (typeof dtype === 'string' && OTHER_DTYPES.includes(dtype)) fail(`unsupported dtype ${dtype} (only F32, F16 and I8 are read)`);
    fail(`unknown dtype ${JSON.stringify(dtype) ?? 'undefined'}`);
  }
  const shape = e.shape;
  if (!Array.isArray(shape) || shape.length > MAX_RANK) fail(`shape must be an array of at most ${MAX_RANK} integers`);
  let elements = 1;
  for (const d of shape as unknown[]) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) fail(`shape [${String(shape)}] must hold non-negative integers`);
    elements *= d as number;
    // Stop before the product can lose precision: such a tensor cannot fit in the file anyway.
    if (elements > dataLength) fail(`shape [${String(shape)}] needs more bytes than the ${dataLength}-byte data section holds`);
  }
  const offsets = e.data_offsets;
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => typeof o === 'number' && Number.isSafeInteger(o) && o >= 0)) {
    fail(`data_offsets must be [begin, end], two non-negative integers, got ${JSON.stringify(offsets) ?? 'undefined'}`);
  }
  const [begin, end] = offsets as number[];
  if (begin > end) fail(`data_offsets [${begin}, ${end}]: begin is after end`);
  if (end > dataLength) fail(`data_offsets [${begin}, ${end}] run past the end of the ${dataLength}-byte data section (truncated?)`);
  const bytesNeeded = elements * DTYPE_BYTES[dtype as Dtype];
  if (end - begin !== bytesNeeded) fail(`data_offsets [${begin}, ${end}] hold ${end - begin} bytes but ${dtype} shape [${String(shape)}] needs ${bytesNeeded}`);
  return { name, dtype: dtype as Dtype, shape: [...(shape as number[])], begin, end };
}

/**
 * Converts `n` little-endian IEEE half values (`bits`, 2 n bytes) to f32, exactly. readTensor's
 * default is decodeF16 in JavaScript; the runtime passes its wasm kernel (runtime/wasm/f16.ts),
 * which a cold model load needs because it runs before the JIT has warmed up.
 */
export type F16Decoder = (bits: Uint8Array, n: number) => Float32Array;

/**
 * An F32 tensor's values as a view of the file's bytes (no copy), where the host is little-endian
 * and the data 4-byte aligned; else undefined (readTensor copies).
 */
export function tensorF32View(file: Safetensors, name: string): Float32Array | undefined {
  const t = file.tensors.get(name);
  if (!t || t.dtype !== 'F32' || !LITTLE_ENDIAN) return undefined;
  const offset = file.bytes.byteOffset + file.dataStart + t.begin;
  return offset % 4 === 0 ? new Float32Array(file.bytes.buffer, offset, (t.end - t.begin) / 4) : undefined;
}

/** An F16 tensor's little-endian half bits as a view of the file's bytes (no copy); undefined for another dtype. */
export function tensorHalfBits(file: Safetensors, name: string): Uint8Array | undefined {
  const t = file.tensors.get(name);
  if (!t || t.dtype !== 'F16') return undefined;
  return file.bytes.subarray(file.dataStart + t.begin, file.dataStart + t.end);
}

/** A tensor's values as f32 (F16 converted exactly, by `decodeHalf` where given); an I8 tensor is an Error (readInt8Tensor). */
export function readTensor(file: Safetensors, name: string, decodeHalf?: F16Decoder): Float32Array {
  const t = file.tensors.get(name);
  if (!t) throw new Error(`${file.source}: no tensor ${JSON.stringify(name)}`);
  if (t.dtype === 'I8') throw new Error(`${file.source}: tensor ${JSON.stringify(name)} is I8 (int8 codes), where f32 values (F32 or F16) are expected`);
  const start = file.dataStart + t.begin;
  const n = (t.end - t.begin) / DTYPE_BYTES[t.dtype];
  const src = file.bytes.subarray(start, file.dataStart + t.end);
  if (t.dtype === 'F32') {
    const out = new Float32Array(n);
    if (LITTLE_ENDIAN) new Uint8Array(out.buffer).set(src);
    else {
      const v = new DataView(src.buffer, src.byteOffset, src.byteLength);
      for (let i = 0; i < n; i++) out[i] = v.getFloat32(4 * i, true);
    }
    return out;
  }
  if (decodeHalf && LITTLE_ENDIAN) return decodeHalf(src, n);
  const half = new Uint16Array(n);
  if (LITTLE_ENDIAN) new Uint8Array(half.buffer).set(src);
  else {
    const v = new DataView(src.buffer, src.byteOffset, src.byteLength);
    for (let i = 0; i < n; i++) half[i] = v.getUint16(2 * i, true);
  }
  return decodeF16(half);
}

/** An I8 tensor's values (a copy); any other dtype is an Error. */
export function readInt8Tensor(file: Safetensors, name: string): Int8Array {
  const t = file.tensors.get(name);
  if (!t) throw new Error(`${file.source}: no tensor ${JSON.stringify(name)}`);
  if (t.dtype !== 'I8') throw new Error(`${file.source}: tensor ${JSON.stringify(name)} is ${t.dtype}, where I8 (int8 codes) is expected`);
  // a copy made through a view: a Node Buffer's slice() shares its (pooled) memory instead of copying
  const out = new Int8Array(t.end - t.begin);
  out.set(new Int8Array(file.bytes.buffer, file.bytes.byteOffset + file.dataStart + t.begin, out.length));
  return out;
}

export interface TensorData {
  name: string;
  dtype: Dtype;
  shape: number[];
  /** Float32Array for F32 and F16 (rounded on write), Int8Array for I8. */
  data: Float32Array | Int8Array;
}

/**
 * A safetensors file holding the tensors in the given order (data offsets ascending), the header
 * padded with spaces so the data section starts 8-byte aligned. F16 tensors are rounded to nearest
 * even; a finite value beyond the F16 range is an Error rather than a silent infinity.
 */
export function writeSafetensors(tensors: TensorData[], metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) if (typeof v !== 'string') throw new Error(`writeSafetensors: metadata ${k} must be a string, got ${typeof v}`);
    header.__metadata__ = metadata;
  }
  let offset = 0;
  const seen = new Set<string>();
  for (const t of tensors) {
    const at = `writeSafetensors: tensor ${JSON.stringify(t.name)}`;
    if (typeof t.name !== 'string' || t.name === '__metadata__' || seen.has(t.name)) throw new Error(`${at}: names must be unique strings other than __metadata__`);
    seen.add(t.name);
    if (!DTYPES.includes(t.dtype)) throw new Error(`${at}: dtype must be F32, F16 or I8, got ${String(t.dtype)}`);
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new Error(`${at}: shape must be non-negative integers, got ${JSON.stringify(t.shape)}`);
    if (t.dtype === 'I8' ? !(t.data instanceof Int8Array) : !(t.data instanceof Float32Array)) throw new Error(`${at}: data must be ${t.dtype === 'I8' ? 'an Int8Array for I8' : 'a Float32Array'}`);
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (t.data.length !== n) throw new Error(`${at}: shape [${t.shape}] needs ${n} values, got ${t.data.length}`);
    const size = n * DTYPE_BYTES[t.dtype];
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = json.length + ((8 - ((8 + json.length) % 8)) % 8);
  const out = new Uint8Array(8 + padded + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, padded % 2 ** 32, true);
  view.setUint32(4, Math.floor(padded / 2 ** 32), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded);
  let pos = 8 + padded;
  for (const t of tensors) {
    if (t.data instanceof Int8Array) {
      out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos);
      pos += t.data.length;
    } else if (t.dtype === 'F32') {
      if (LITTLE_ENDIAN) out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos);
      else for (let i = 0; i < t.data.length; i++) view.setFloat32(pos + 4 * i, t.data[i], true);
      pos += 4 * t.data.length;
    } else {
      const half = encodeF16(t.data);
      for (let i = 0; i < half.length; i++) {
        if ((half[i] & 0x7fff) === 0x7c00 && Number.isFinite(t.data[i])) {
          throw new Error(`writeSafetensors: tensor ${JSON.stringify(t.name)}: value ${t.data[i]} at index ${i} is beyond the F16 range (|x| <= 65504)`);
        }
      }
      if (LITTLE_ENDIAN) out.set(new Uint8Array(half.buffer), pos);
      else for (let i = 0; i < half.length; i++) view.setUint16(pos + 2 * i, half[i], true);
      pos += 2 * half.length;
    }
  }
  return out;
}
