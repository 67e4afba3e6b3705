// The PyTorch checkpoint reader against PyTorch itself: the official-layout checkpoints (key names and
// order from the published models' MANIFEST, widths from the reduced copies), the zip and legacy
// copies of one model giving identical tensors, and small files written by Debian's torch
// (scripts/make-torch-fixtures.py) covering every dtype, views, shared storages and `_metadata`,
// compared element by element with torch's own values in expected.json.

import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pickleAttributes, readStateDict, readTorchCheckpoint, tensorToFloat32, type TorchTensor } from '../runtime/weights/torch/index.js';

const OFFICIAL = new URL('./fixtures/official/', import.meta.url);
const TORCH = new URL('./fixtures/torch/', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('MANIFEST.json', OFFICIAL), 'utf8'));
const expected = JSON.parse(readFileSync(new URL('expected.json', TORCH), 'utf8'));

function load(dir: URL, name: string): Uint8Array {
  const b = readFileSync(new URL(name, dir));
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

const numel = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

for (const [family, info] of Object.entries<any>(manifest.families)) {
  for (const file of (info.files as string[]).filter((f) => f.endsWith('.pth'))) {
    test(`official ${file}: keys in the published order, reduced widths, wrapper`, () => {
      const sd = readStateDict(load(OFFICIAL, file), file);
      assert.is(sd.format, file.endsWith('.zip.pth') ? 'zip' : 'legacy');
      const bare = String(info.wrapper).startsWith('bare');
      assert.is(sd.wrapper, bare ? 'bare' : 'state_dict');
      if (!bare) assert.type(sd.epoch, 'number');
      const official: Array<[string, number[], string]> = info.official.keys;
      assert.is(sd.tensors.size, info.reduced.tensors);
      assert.equal([...sd.tensors.keys()], official.map((k) => k[0]));
      let floats = 0;
      for (const [name, shape, dtype] of official) {
        const t = sd.tensors.get(name)!;
        assert.is(t.dtype, dtype === 'f32' ? 'float32' : 'int64', name);
        assert.is(t.shape.length, shape.length, `${name} rank`);
        // A reduced copy is at most as wide as the published model, dimension by dimension.
        t.shape.forEach((d, i) => assert.ok(d >= 1 && d <= shape[i], `${name} dim ${i}: ${d} vs published ${shape[i]}`));
        assert.is(t.data.length, numel(t.shape), name);
        if (t.dtype === 'float32') floats += t.data.length;
      }
      assert.is(floats, info.reduced.parameters);
    });
  }
}

test('the zip and legacy copies of centernet-resdcn hold identical tensors', () => {
  const legacy = readStateDict(load(OFFICIAL, 'centernet-resdcn.pth'), 'centernet-resdcn.pth');
  const zip = readStateDict(load(OFFICIAL, 'centernet-resdcn.zip.pth'), 'centernet-resdcn.zip.pth');
  assert.equal([...zip.tensors.keys()], [...legacy.tensors.keys()]);
  assert.is(zip.epoch, legacy.epoch);
  for (const [name, a] of legacy.tensors) {
    const b = zip.tensors.get(name)!;
    assert.is(b.dtype, a.dtype, name);
    assert.equal(b.shape, a.shape, name);
    assert.equal(new Uint8Array(b.data.buffer), new Uint8Array(a.data.buffer), name);
  }
});

function checkTensor(name: string, t: TorchTensor, want: any): void {
  assert.is(t.dtype, want.dtype, name);
  assert.equal(t.shape, want.shape, name);
  assert.is(t.data.length, numel(want.shape), name);
  switch (want.dtype) {
    case 'float16':
    case 'bfloat16':
      assert.equal([...(t.data as Uint16Array)], want.bits, `${name} bits`);
      assert.equal([...tensorToFloat32(t, name)], want.values, `${name} as float32`);
      break;
    case 'int64':
      assert.equal([...(t.data as BigInt64Array)], want.values.map((v: string) => BigInt(v)), name);
      assert.equal([...tensorToFloat32(t, name)], want.values.map((v: string) => Math.fround(Number(v))), `${name} as float32`);
      break;
    default:
      assert.equal([...(t.data as Exclude<typeof t.data, BigInt64Array>)], want.values, name);
      assert.equal([...tensorToFloat32(t, name)], want.values.map(Math.fround), `${name} as float32`);
  }
}

for (const [file, want] of Object.entries<any>(expected.files)) {
  test(`torch ${expected.torch} ${file}: every tensor equals torch.load's`, () => {
    const sd = readStateDict(load(TORCH, file), file);
    assert.is(sd.format, want.format);
    assert.is(sd.wrapper, want.wrapper);
    assert.is(sd.epoch ?? null, want.epoch);
    assert.equal([...sd.tensors.keys()], want.keys);
    for (const [name, t] of sd.tensors) checkTensor(`${file} ${name}`, t, want.tensors[name]);
  });
}

test('views: the fixtures really hold offsets and strides, and shared storages give equal copies', () => {
  const want = expected.files['wrapped.legacy.pth'].tensors;
  assert.ok(want.sliced.storage_offset > 0 && want.stepped.storage_offset > 0 && want.shared_b.storage_offset > 0);
  assert.equal(want.transposed.stride, [1, 5]);
  const sd = readStateDict(load(TORCH, 'wrapped.zip.pth'), 'wrapped.zip.pth');
  const a = sd.tensors.get('shared_a')!.data as Float32Array;
  const b = sd.tensors.get('shared_b')!.data as Float32Array;
  assert.equal([...b], [...a.subarray(3)]);
  assert.is.not(a.buffer, b.buffer, 'each tensor owns its copy');
});

test('the whole object: dicts as Maps in order, epoch, and the _metadata of a state_dict()', () => {
  const { format, root } = readTorchCheckpoint(load(TORCH, 'wrapped.legacy.pth'), 'wrapped.legacy.pth');
  assert.is(format, 'legacy');
  assert.ok(root instanceof Map);
  assert.equal([...(root as Map<string, unknown>).keys()], ['epoch', 'state_dict']);
  assert.is((root as Map<string, unknown>).get('epoch'), 70);
  for (const file of ['bare.legacy.pth', 'bare.zip.pth']) {
    const bare = readTorchCheckpoint(load(TORCH, file), file).root;
    const metadata = pickleAttributes(bare)?.get('_metadata');
    assert.ok(metadata instanceof Map, `${file}: _metadata`);
    const asObject = Object.fromEntries([...(metadata as Map<string, Map<string, unknown>>)].map(([k, v]) => [k, Object.fromEntries(v)]));
    assert.equal(asObject, expected.files[file].metadata);
  }
});

test('tensorToFloat32 refuses int64 values with no exact float and non-tensors', () => {
  const big: TorchTensor = { dtype: 'int64', shape: [2], data: BigInt64Array.of(1n, 2n ** 53n + 2n) };
  assert.throws(() => tensorToFloat32(big, 'w.pth: step'), (e: Error) => e.message.includes('w.pth: step') && e.message.includes('2^53'));
  assert.throws(() => tensorToFloat32({} as TorchTensor, 'w.pth: x'), (e: Error) => e.message.startsWith('w.pth: x'));
  const bool: TorchTensor = { dtype: 'bool', shape: [2], data: Uint8Array.of(1, 0) };
  assert.equal([...tensorToFloat32(bool, 'b')], [1, 0]);
});

test('read time of the largest official fixture', () => {
  const file = 'cornernet.pth';
  const bytes = load(OFFICIAL, file);
  readStateDict(bytes, file);
  const t0 = performance.now();
  const sd = readStateDict(bytes, file);
  const ms = performance.now() - t0;
  console.log(`  ${file}: ${(bytes.length / 1e6).toFixed(2)} MB, ${sd.tensors.size} tensors, read in ${ms.toFixed(1)} ms`);
  assert.ok(ms < 2000);
});

test.run();
