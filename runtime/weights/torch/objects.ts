// The checkpoint object pickle, shared by both formats: the allow-list of globals, the persistent
// storage ids, BUILD of an OrderedDict's attributes (`_metadata`), and, once the storages' bytes are
// known, the copy of every tensor reachable from the root, named by its path for error messages.

import { PickleGlobal, describe, unpickle, type UnpickleResult } from './pickle.js';
import { STORAGE_DTYPES, StorageRoot, TorchStorage, materialize, tensorReducers, type PendingTensor, type TorchTensor } from './tensor.js';

const ORDERED_DICT = 'collections.OrderedDict';

/** Every global a checkpoint may name; anything else is refused by name. */
export const ALLOWED_GLOBALS: ReadonlySet<string> = new Set([
  ORDERED_DICT,
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_tensor',
  'torch._utils._rebuild_parameter',
  ...STORAGE_DTYPES.keys(),
]);

/**
 * A tensor copy may use at most this many times the file's size in total: one tensor never more
 * than the file holds, and storages shared by a few tensors (tied weights) still fit.
 */
const ALLOCATION_FACTOR = 4;

/** Attributes an OrderedDict got through BUILD (state_dict()'s `_metadata`), by the dict. */
const ATTRIBUTES = new WeakMap<object, Map<unknown, unknown>>();

/** The instance attributes a pickled OrderedDict carried (e.g. `_metadata` of a state dict), if any. */
export function pickleAttributes(dict: unknown): Map<unknown, unknown> | undefined {
  return typeof dict === 'object' && dict !== null ? ATTRIBUTES.get(dict) : undefined;
}

export interface ObjectPickle {
  root: unknown;
  end: number;
  /** Storages by key, in the order the pickle first names them. */
  storages: Map<string, StorageRoot>;
  pending: PendingTensor[];
}

/**
 * Reads the pickle at `start` that holds the checkpoint object. `pidLength` is the tuple length of
 * the format's persistent ids: ('storage', type, key, location, numel[, view_metadata]).
 */
export function readObjectPickle(bytes: Uint8Array, start: number, source: string, format: 'zip' | 'legacy'): ObjectPickle {
  const storages = new Map<string, StorageRoot>();
  const pending: PendingTensor[] = [];
  const views = new Map<string, TorchStorage>();
  const reducers = tensorReducers(pending);
  const orderedDict = (args: unknown[], fail: (msg: string) => never): Map<unknown, unknown> => {
    if (args.length !== 0) fail(`OrderedDict(...) with ${args.length} arguments; a checkpoint builds it empty, then sets items`);
    return new Map();
  };
  reducers.set(ORDERED_DICT, orderedDict);

  const persistentLoad = (pid: unknown, fail: (msg: string) => never): TorchStorage => {
    const maxLength = format === 'legacy' ? 6 : 5;
    if (!Array.isArray(pid) || pid.length < 5 || pid.length > maxLength || pid[0] !== 'storage') {
      fail(`persistent id ${describe(pid)} is not ('storage', type, key, location, numel${format === 'legacy' ? '[, view]' : ''})`);
    }
    const [, type, key, location, numel, view] = pid as unknown[];
    if (!(type instanceof PickleGlobal) || !STORAGE_DTYPES.has(type.qualified)) fail(`persistent id storage type is ${describe(type)}, expected a torch storage class`);
    if (typeof key !== 'string') fail(`storage key is ${describe(key)}, expected a string`);
    if (typeof location !== 'string') fail(`storage ${key}: location is ${describe(location)}, expected a string`);
    if (typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0) fail(`storage ${key}: element count is ${describe(numel)}`);
    const dtype = STORAGE_DTYPES.get((type as PickleGlobal).qualified)!;
    const k = key as string;
    let root = storages.get(k);
    if (!root) {
      root = new StorageRoot(k, dtype, numel as number);
      storages.set(k, root);
    } else if (root.dtype !== dtype || root.numel !== numel) {
      fail(`storage ${k} is named twice, as ${root.numel} x ${root.dtype} and as ${describe(numel)} x ${dtype}`);
    }
    if (view === undefined || view === null) return new TorchStorage(root, 0, root.numel);
    // PyTorch 0.4 storage views: (view_key, offset, view_size) in elements of the root storage.
    if (!Array.isArray(view) || view.length !== 3) fail(`storage ${k}: view metadata is ${describe(view)}, expected (key, offset, size)`);
    const [viewKey, offset, size] = view as unknown[];
    if (typeof viewKey !== 'string') fail(`storage ${k}: view key is ${describe(viewKey)}`);
    for (const [v, what] of [[offset, 'offset'], [size, 'size']] as const) {
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail(`storage ${k}: view ${what} is ${describe(v)}`);
    }
    if ((offset as number) + (size as number) > root.numel) fail(`storage ${k}: view ${viewKey} covers elements ${offset}..${(offset as number) + (size as number)} of ${root.numel}`);
    const known = views.get(viewKey as string);
    if (known) {
      if (known.root !== root || known.offset !== offset || known.numel !== size) fail(`storage view ${viewKey} is named twice with different ranges`);
      return known;
    }
    const storage = new TorchStorage(root, offset as number, size as number);
    views.set(viewKey as string, storage);
    return storage;
  };

  const build = (target: unknown, state: unknown, fail: (msg: string) => never): boolean => {
    if (!(target instanceof Map) || pending.some((p) => (p.tensor as unknown) === target)) return false;
    if (!(state instanceof Map)) fail(`BUILD state of an OrderedDict is ${describe(state)}, expected a dict of attributes`);
    for (const k of (state as Map<unknown, unknown>).keys()) if (typeof k !== 'string') fail(`BUILD attribute name is ${describe(k)}`);
    ATTRIBUTES.set(target, state as Map<unknown, unknown>);
    return true;
  };

  const result: UnpickleResult = unpickle(bytes, start, { source, allowedGlobals: ALLOWED_GLOBALS, reducers, persistentLoad, build });
  return { root: result.value, end: result.end, storages, pending };
}

/**
 * Copies every tensor reachable from `root` out of its storage (whose bytes the format reader has
 * set). Errors name the tensor by its path from the root, e.g. `tensor "state_dict/conv1.weight"`.
 */
export function materializeTensors(object: ObjectPickle, fileBytes: number, source: string): Set<TorchTensor> {
  const byTensor = new Map<TorchTensor, PendingTensor>(object.pending.map((p) => [p.tensor, p]));
  const reached = new Set<TorchTensor>();
  let budget = ALLOCATION_FACTOR * fileBytes;
  // Breadth-first over the (acyclic, depth-capped) value graph; each container visited once.
  const seen = new Set<object>();
  const queue: Array<[unknown, string]> = [[object.root, '']];
  for (let q = 0; q < queue.length; q++) {
    const [value, path] = queue[q];
    if (typeof value !== 'object' || value === null || seen.has(value)) continue;
    seen.add(value);
    const child = (key: unknown, v: unknown): void => {
      queue.push([v, path === '' ? String(key) : `${path}/${String(key)}`]);
    };
    if (value instanceof Map) {
      for (const [k, v] of value) child(k, v);
      const attributes = ATTRIBUTES.get(value);
      if (attributes) for (const [k, v] of attributes) child(k, v);
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => child(i, v));
    } else {
      const p = byTensor.get(value as TorchTensor);
      if (!p) continue;
      const fail = (msg: string): never => {
        throw new Error(`${source}: tensor "${path}": ${msg}`);
      };
      const per = Math.min(budget, fileBytes);
      budget -= materialize(p, per, fail);
      reached.add(p.tensor);
    }
  }
  return reached;
}
