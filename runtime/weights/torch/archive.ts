// The zip format of torch.save (PyTorch >= 1.6): `<stem>/data.pkl` holds the object, whose persistent
// ids ('storage', type, key, location, numel) name the entries `<stem>/data/<key>` with the raw
// little-endian elements; `<stem>/version` and (torch >= 2.1) `<stem>/byteorder` sit beside them.

import { materializeTensors, readObjectPickle } from './objects.js';
import { dtypeBytes, type TorchTensor } from './tensor.js';
import { readZip } from './zip.js';

export function readArchive(bytes: Uint8Array, source: string): { root: unknown; tensors: Set<TorchTensor> } {
  const fail = (msg: string): never => {
    throw new Error(`${source}: ${msg}`);
  };
  const entries = readZip(bytes, source);
  const pickles = [...entries.keys()].filter((name) => /^[^/]+\/data\.pkl$/.test(name));
  if (pickles.length !== 1) {
    fail(`expected one <name>/data.pkl entry in the zip archive, found ${pickles.length ? pickles.join(', ') : 'none'}: not a torch.save zip`);
  }
  const stem = pickles[0].slice(0, -'/data.pkl'.length);
  const byteorder = entries.get(`${stem}/byteorder`);
  if (byteorder) {
    const order = new TextDecoder().decode(byteorder.data).trim();
    if (order !== 'little') fail(`${stem}/byteorder says "${order.slice(0, 20)}"; only little-endian data is read`);
  }

  const pkl = entries.get(pickles[0])!.data;
  const object = readObjectPickle(pkl, 0, `${source}: ${pickles[0]}`, 'zip');
  if (object.end !== pkl.length) fail(`${pickles[0]} has ${pkl.length - object.end} bytes after the pickle's STOP`);
  for (const root of object.storages.values()) {
    const name = `${stem}/data/${root.key}`;
    const entry = entries.get(name);
    if (!entry) fail(`storage ${root.key}: no entry ${name} in the zip archive`);
    const length = root.numel * dtypeBytes(root.dtype);
    if (entry!.data.length !== length) fail(`storage ${root.key}: entry ${name} holds ${entry!.data.length} bytes but ${root.numel} x ${root.dtype} needs ${length}`);
    root.bytes = entry!.data;
  }
  return { root: object.root, tensors: materializeTensors(object, bytes.length, source) };
}
