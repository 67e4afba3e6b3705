// The legacy torch.save stream (PyTorch 0.4 - 1.5, and later with _use_new_zipfile_serialization=False;
// every published CenterNet/CornerNet file): protocol-2 pickles in a row (the magic number, the
// format version 1001, a dict of system info, the object, the list of storage keys), then for each key
// in that order an int64 element count and the storage's raw little-endian elements.

import { materializeTensors, readObjectPickle } from './objects.js';
import { describe, unpickle } from './pickle.js';
import { dtypeBytes, type TorchTensor } from './tensor.js';

const MAGIC = 0x1950a86a20f9469cfc6cn;
const PROTOCOL_VERSION = 1001;

/** A legacy stream starts with PROTO 2 and the LONG1 magic number. */
export function isLegacy(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x80 && bytes[1] === 0x02 && bytes[2] === 0x8a;
}

export function readLegacy(bytes: Uint8Array, source: string): { root: unknown; tensors: Set<TorchTensor> } {
  const fail = (msg: string): never => {
    throw new Error(`${source}: ${msg}`);
  };
  const plain = (start: number) => unpickle(bytes, start, { source, allowedGlobals: new Set(), reducers: new Map() });

  const magic = plain(0);
  if (magic.value !== MAGIC) fail(`magic number is ${describe(magic.value)}, not PyTorch's 0x1950a86a20f9469cfc6c: not a torch.save file`);
  const version = plain(magic.end);
  if (version.value !== PROTOCOL_VERSION) fail(`torch.save format version is ${describe(version.value)}, expected ${PROTOCOL_VERSION}`);
  const sysInfo = plain(version.end);
  if (!(sysInfo.value instanceof Map)) fail(`system info is ${describe(sysInfo.value)}, expected a dict`);
  const info = sysInfo.value as Map<unknown, unknown>;
  if (info.get('little_endian') !== true) fail('the file was written on a big-endian machine; only little-endian data is read');

  const object = readObjectPickle(bytes, sysInfo.end, source, 'legacy');
  const keysPickle = plain(object.end);
  const keys = keysPickle.value;
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) fail(`storage key list is ${describe(keys)}, expected a list of strings`);

  // The storages' data, in key order: int64 element count, then the elements.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const listed = new Set<string>();
  let pos = keysPickle.end;
  for (const key of keys as string[]) {
    if (listed.has(key)) fail(`storage key ${key} is listed twice`);
    listed.add(key);
    const root = object.storages.get(key);
    if (!root) fail(`storage key ${key} is listed but no tensor names it`);
    if (pos + 8 > bytes.length) fail(`storage ${key}: the element count at byte ${pos} runs past the end of the file (${bytes.length} bytes; truncated?)`);
    const lo = view.getUint32(pos, true);
    const hi = view.getInt32(pos + 4, true);
    const count = hi * 2 ** 32 + lo;
    if (count !== root!.numel) fail(`storage ${key}: the file holds ${count} elements but the pickle says ${root!.numel}`);
    const length = count * dtypeBytes(root!.dtype);
    pos += 8;
    if (length > bytes.length - pos) fail(`storage ${key}: ${count} elements (${length} bytes) at byte ${pos} run past the end of the file (${bytes.length} bytes; truncated?)`);
    root!.bytes = bytes.subarray(pos, pos + length);
    pos += length;
  }
  for (const key of object.storages.keys()) {
    if (!listed.has(key)) fail(`storage ${key} is named by a tensor but missing from the storage key list`);
  }
  return { root: object.root, tensors: materializeTensors(object, bytes.length, source) };
}
