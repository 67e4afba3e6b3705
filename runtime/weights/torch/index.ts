// Reading PyTorch checkpoints (.pth/.pkl from torch.save) without PyTorch, in any JS runtime: the
// legacy stream of PyTorch 0.4 - 1.5 and the zip archive of PyTorch >= 1.6. A checkpoint is data:
// the unpickler resolves only allow-listed names and never runs anything from the file.

import { readArchive } from './archive.js';
import { isLegacy, readLegacy } from './legacy.js';
import { describe } from './pickle.js';
import type { TorchTensor } from './tensor.js';
import { isZip } from './zip.js';

export { tensorToFloat32, type TorchTensor, type TorchDtype, type TorchData } from './tensor.js';
export { pickleAttributes, ALLOWED_GLOBALS } from './objects.js';

export interface TorchCheckpoint {
  format: 'zip' | 'legacy';
  /** Dicts and OrderedDicts as Map (insertion order), lists and tuples as arrays, tensors as TorchTensor. */
  root: unknown;
}

export interface TorchStateDict {
  format: 'zip' | 'legacy';
  /** 'state_dict': the tensors came from root['state_dict'] (or root['model']); 'bare': the root is the state dict. */
  wrapper: 'state_dict' | 'bare';
  epoch?: number;
  /** In file order, names as stored (a `module.` prefix is kept). */
  tensors: Map<string, TorchTensor>;
}

/**
 * Reads a torch.save file. Throws an Error naming `source` for anything that is not a well-formed
 * checkpoint made of tensors, dicts, lists and plain values.
 */
export function readTorchCheckpoint(bytes: Uint8Array, source: string): TorchCheckpoint {
  return read(bytes, source).checkpoint;
}

/** Reads the state dict of a checkpoint: `{'state_dict': ...}` (CenterNet) or a bare dict of tensors (CornerNet). */
export function readStateDict(bytes: Uint8Array, source: string): TorchStateDict {
  const { checkpoint, tensors } = read(bytes, source);
  const { format, root } = checkpoint;
  const fail = (msg: string): never => {
    throw new Error(`${source}: ${msg}`);
  };
  if (!(root instanceof Map)) return fail(`the checkpoint holds ${describe(root)}, expected a dict (a state dict or {'state_dict': ...})`);
  const isStateDict = (m: unknown): m is Map<unknown, unknown> => m instanceof Map && m.size > 0 && [...m.values()].every((v) => tensors.has(v as TorchTensor));

  let dict: Map<unknown, unknown>;
  let wrapper: TorchStateDict['wrapper'];
  let epoch: number | undefined;
  const nested = root.get('state_dict') ?? root.get('model');
  if (nested !== undefined) {
    const key = root.has('state_dict') ? 'state_dict' : 'model';
    if (!isStateDict(nested)) return fail(`checkpoint["${key}"] is not a dict of tensors (${firstNonTensor(nested, tensors)})`);
    dict = nested;
    wrapper = 'state_dict';
    const e = root.get('epoch');
    if (typeof e === 'number') epoch = e;
  } else if (isStateDict(root)) {
    dict = root;
    wrapper = 'bare';
  } else {
    const keys = [...root.keys()].slice(0, 5).map((k) => JSON.stringify(k));
    return fail(`no state dict: the checkpoint has neither a "state_dict" nor a "model" entry, and is not a dict of tensors (${firstNonTensor(root, tensors)}; keys ${keys.join(', ')}${root.size > 5 ? ', ...' : ''})`);
  }
  const out = new Map<string, TorchTensor>();
  for (const [k, v] of dict) {
    if (typeof k !== 'string') return fail(`state dict key ${describe(k)} is not a string`);
    out.set(k, v as TorchTensor);
  }
  return { format, wrapper, epoch, tensors: out };
}

function firstNonTensor(m: unknown, tensors: Set<TorchTensor>): string {
  if (!(m instanceof Map)) return `it is ${describe(m)}`;
  if (m.size === 0) return 'it is empty';
  for (const [k, v] of m) if (!tensors.has(v as TorchTensor)) return `entry ${JSON.stringify(k)} is ${describe(v)}`;
  return 'all entries are tensors';
}

function read(bytes: Uint8Array, source: string): { checkpoint: TorchCheckpoint; tensors: Set<TorchTensor> } {
  if (typeof source !== 'string' || source === '') throw new Error(`readTorchCheckpoint: source must name the file (a non-empty string), got ${describe(source)}`);
  if (!(bytes instanceof Uint8Array)) throw new Error(`${source}: expected the file contents as a Uint8Array, got ${describe(bytes)}`);
  if (isZip(bytes)) {
    const { root, tensors } = readArchive(bytes, source);
    return { checkpoint: { format: 'zip', root }, tensors };
  }
  if (isLegacy(bytes)) {
    const { root, tensors } = readLegacy(bytes, source);
    return { checkpoint: { format: 'legacy', root }, tensors };
  }
  if (bytes.length >= 262 && new TextDecoder().decode(bytes.subarray(257, 262)) === 'ustar') {
    throw new Error(`${source}: a tar-format torch.save file (PyTorch < 0.4) is not supported; re-save it with a newer PyTorch`);
  }
  const head = [...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new Error(`${source}: not a PyTorch checkpoint: starts with ${head || 'nothing (empty file)'}, expected a zip archive (50 4b 03 04) or a legacy torch.save stream (80 02 8a)`);
}
