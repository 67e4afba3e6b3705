// The model file: standard safetensors (checked byte by byte here, independently of the parser),
// F32 and F16 round trips, and one refusal per kind of corruption, each a prompt Error naming the
// file and the problem, after which valid files still load.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ModelConfig } from '../runtime/model/config.js';
import { paramSpecs } from '../runtime/model/graph.js';
import { preset } from '../runtime/model/presets.js';
import { buildGraph } from '../runtime/model/registry.js';
import { readModelFile, writeModelFile } from '../runtime/weights/model-file.js';
import { MAX_HEADER_BYTES, parseSafetensors, writeSafetensors, type TensorData } from '../runtime/weights/safetensors.js';
import { randomF32, rng } from './helpers/random.js';
import { smallCenterNet } from './helpers/small-centernet.js';
import { init } from '../runtime/wasm/loader.js';
import { wasmF16Decoder } from '../runtime/wasm/f16.js';

const SOURCE = 'test-model.safetensors';

const config: ModelConfig = smallCenterNet('weights-test');
const specs = paramSpecs(buildGraph(config));

function weights(seed = 1): Map<string, Float32Array> {
  return new Map(specs.map((s, i) => [s.name, randomF32(s.shape.reduce((a, b) => a * b, 1), seed * 1000 + i, -2, 2)]));
}

const W = weights();
const VALID = writeModelFile(config, W);

// --- an independent reader of the container, for checking the format and for crafting corruptions
function splitFile(bytes: Uint8Array): { header: Record<string, any>; data: Uint8Array; headerLength: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  return { header, data: bytes.subarray(8 + n), headerLength: n };
}

function assemble(headerText: string, data: Uint8Array, headerLength?: bigint): Uint8Array {
  const json = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, headerLength ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function rewrite(mutate: (header: Record<string, any>) => void, data?: Uint8Array): Uint8Array {
  const f = splitFile(VALID);
  mutate(f.header);
  return assemble(JSON.stringify(f.header), data ?? f.data);
}

/** Asserts a refusal: an Error naming the file, matching `pattern`, within a second; then a valid file loads. */
function refuses(bytes: Uint8Array | unknown, pattern: RegExp): void {
  const t0 = performance.now();
  let err: unknown;
  try {
    readModelFile(bytes as Uint8Array, SOURCE);
  } catch (e) {
    err = e;
  }
  const ms = performance.now() - t0;
  assert.instance(err, Error, `expected an Error matching ${pattern}`);
  const msg = (err as Error).message;
  assert.ok(msg.startsWith(SOURCE), `names the file: ${msg}`);
  assert.match(msg, pattern);
  assert.ok(ms < 1000, `refused in ${ms.toFixed(0)} ms`);
  assert.is(readModelFile(VALID, SOURCE).tensors.size, specs.length, 'a valid file still loads');
}

test('F32 round trip is bit-exact, tensors in paramSpecs order, config normalised', () => {
  const m = readModelFile(VALID, SOURCE);
  assert.equal(m.config, config);
  assert.equal([...m.tensors.keys()], specs.map((s) => s.name));
  for (const s of specs) assert.equal(m.tensors.get(s.name), W.get(s.name), s.name);
  assert.equal(m.graph, buildGraph(config));
});

test('F16 round trip: every value within half an f16 ulp, the data section half the size; the wasm decoder reads the same', async () => {
  const half = writeModelFile(config, W, { dtype: 'F16' });
  assert.is(splitFile(half).data.length * 2, splitFile(VALID).data.length);
  const m = readModelFile(half, SOURCE);
  for (const s of specs) {
    const a = W.get(s.name)!;
    const b = m.tensors.get(s.name)!;
    for (let i = 0; i < a.length; i++) {
      // |x| < 2: ulp <= 2^-10 for normals (relative 2^-11 half-ulp), 2^-24 absolute for subnormals
      const tol = Math.max(Math.abs(a[i]) * 2 ** -11, 2 ** -25);
      if (!(Math.abs(a[i] - b[i]) <= tol)) assert.unreachable(`${s.name}[${i}]: ${a[i]} -> ${b[i]}`);
    }
  }
  assert.is(splitFile(half).header[specs[0].name].dtype, 'F16');
  // the detector's path: the wasm decoder gives the same values bit for bit
  const kn = await init({ variant: 'simd' });
  const viaKernels = readModelFile(half, SOURCE, { decodeF16: wasmF16Decoder(kn) });
  for (const s of specs) assert.equal(new Uint32Array(viaKernels.tensors.get(s.name)!.buffer), new Uint32Array(m.tensors.get(s.name)!.buffer), s.name);
  assert.throws(() => readModelFile(half, SOURCE, { decodeF16s: () => new Float32Array() } as never), /readModelFile: unknown opts name "decodeF16s" \(valid: decodeF16\)/);
  assert.throws(() => readModelFile(half, SOURCE, { decodeF16: 'wasm' } as never), /readModelFile: opts\.decodeF16 must be a function, got string/);
});

test('the file is standard safetensors: header length, padding, offsets, raw little-endian data', () => {
  const { header, data, headerLength } = splitFile(VALID);
  assert.is((8 + headerLength) % 8, 0, 'data section 8-byte aligned');
  const raw = new TextDecoder().decode(VALID.subarray(8, 8 + headerLength));
  assert.ok(raw.startsWith('{'));
  assert.ok(/^[^ ]*\} *$/.test(raw.slice(raw.lastIndexOf('}'))), 'padded with trailing spaces only');
  assert.equal(Object.keys(header), ['__metadata__', ...specs.map((s) => s.name)]);
  assert.equal(JSON.parse(header.__metadata__.config), config);
  let offset = 0;
  for (const s of specs) {
    const e = header[s.name];
    const n = s.shape.reduce((a, b) => a * b, 1);
    assert.equal(e, { dtype: 'F32', shape: s.shape, data_offsets: [offset, offset + 4 * n] });
    const view = new DataView(data.buffer, data.byteOffset + offset, 4 * n);
    const w = W.get(s.name)!;
    for (const i of [0, n - 1]) assert.is(view.getFloat32(4 * i, true), w[i]);
    offset += 4 * n;
  }
  assert.is(offset, data.length);
  assert.equal(writeModelFile(config, W), VALID, 'deterministic');
});

test('extra metadata round-trips; "config" is reserved', () => {
  const m = readModelFile(writeModelFile(config, W, { metadata: { epochs: '12', dataset: 'synthetic' } }), SOURCE);
  assert.is(m.metadata.epochs, '12');
  assert.is(m.metadata.dataset, 'synthetic');
  assert.throws(() => writeModelFile(config, W, { metadata: { config: '{}' } }), /"config" is reserved/);
});

test('writeModelFile refuses missing, extra, mis-sized, non-finite and F16-overflowing tensors', () => {
  const without = new Map(W);
  without.delete(specs[3].name);
  assert.throws(() => writeModelFile(config, without), new RegExp(`parameter "${specs[3].name.replace(/\./g, '\\.')}" .* is missing`));
  assert.throws(() => writeModelFile(config, new Map([...W, ['extra.weight', new Float32Array(1)]])), /tensor "extra.weight" is not a parameter/);
  assert.throws(() => writeModelFile(config, new Map([...W, [specs[0].name, new Float32Array(5)]])), /has 5 values but shape \[7,7,3,4\] needs 588/);
  const nan = new Map(W);
  nan.set(specs[0].name, Float32Array.from(W.get(specs[0].name)!, (v, i) => (i === 9 ? NaN : v)));
  assert.throws(() => writeModelFile(config, nan), /holds NaN at index 9/);
  const big = new Map(W);
  big.set(specs[0].name, Float32Array.from(W.get(specs[0].name)!, (v, i) => (i === 2 ? 70000 : v)));
  assert.throws(() => writeModelFile(config, big, { dtype: 'F16' }), /value 70000 at index 2 is beyond the F16 range/);
  assert.ok(writeModelFile(config, big, { dtype: 'F32' }).length > 0);
});

test('refused: truncated files', () => {
  refuses(VALID.subarray(0, 5), /file is 5 bytes, too short/);
  refuses(VALID.subarray(0, 100), /header length \d+ runs past the end of the file \(100 bytes/);
  refuses(VALID.subarray(0, VALID.length - 1), /data_offsets \[\d+, \d+\] run past the end of the \d+-byte data section/);
  refuses(VALID.subarray(0, 0), /file is 0 bytes/);
});

test('refused: bad header lengths (zero, above the cap, past the end, 64-bit)', () => {
  const { data } = splitFile(VALID);
  const text = JSON.stringify(splitFile(VALID).header);
  refuses(assemble(text, data, 0n), /header length is 0/);
  refuses(assemble(text, data, BigInt(MAX_HEADER_BYTES + 1)), /exceeds the 100000000-byte limit/);
  refuses(assemble(text, data, BigInt(VALID.length)), /runs past the end of the file/);
  refuses(assemble(text, data, 1n << 60n), /exceeds the 100000000-byte limit/);
  refuses(assemble(text, data, 2n ** 64n - 1n), /exceeds/);
});

test('refused: header not JSON, not an object, not UTF-8', () => {
  const { data } = splitFile(VALID);
  refuses(assemble('{"a": [1, 2', data), /header is not valid JSON/);
  refuses(assemble('[1, 2, 3]', data), /header must be a JSON object/);
  refuses(assemble('"just a string"', data), /header must be a JSON object/);
  const bad = assemble('{"x": "\u00e9"}', data);
  bad[8 + 7] = 0xff; // break the UTF-8 of the é
  refuses(bad, /header is not valid UTF-8/);
});

test('refused: overlapping, out-of-range and gapped offsets; size/shape mismatch', () => {
  const [a, b] = specs.filter((s) => s.shape.length === 1 && s.shape[0] === 4).map((s) => s.name);
  refuses(rewrite((h) => (h[b].data_offsets = [...h[a].data_offsets])), new RegExp(`overlap tensor`));
  const last = specs[specs.length - 1].name;
  refuses(rewrite((h) => (h[last].data_offsets = h[last].data_offsets.map((o: number) => o + 4))), new RegExp(`tensor "${last.replace(/\./g, '\\.')}": data_offsets \\[\\d+, \\d+\\] run past the end`));
  refuses(rewrite((h) => (h[last].data_offsets = [-4, 4])), /data_offsets must be \[begin, end\], two non-negative integers/);
  refuses(rewrite((h) => (h[last].data_offsets = [8, 4])), /begin is after end/);
  refuses(rewrite((h) => (h[last].data_offsets = [0, 2 ** 60])), /data_offsets must be|run past the end/);
  // One extra byte at the end of the data section is not covered by any tensor.
  const { data } = splitFile(VALID);
  refuses(rewrite(() => {}, Uint8Array.from([...data, 0])), /data section is \d+ bytes but the tensors cover \d+ \(1 bytes unaccounted for\)/);
  // Shift every tensor after the first by 4 bytes: a gap after the first.
  refuses(
    rewrite((h) => {
      for (const s of specs.slice(1)) h[s.name].data_offsets = h[s.name].data_offsets.map((o: number) => o + 4);
    }, Uint8Array.from([...data, 0, 0, 0, 0])),
    /data_offsets start at \d+ but the previous tensor ends at \d+ \(a gap of 4 bytes\)/,
  );
  refuses(rewrite((h) => (h[a].shape = [5])), new RegExp(`tensor "${a.replace(/\./g, '\\.')}": data_offsets \\[\\d+, \\d+\\] hold 16 bytes but F32 shape \\[5\\] needs 20`));
  refuses(rewrite((h) => (h[a].shape = [2.5])), /shape \[2.5\] must hold non-negative integers/);
  refuses(rewrite((h) => (h[a].shape = [2 ** 40, 2 ** 40])), /shape .* needs more bytes than the \d+-byte data section holds/);
  refuses(rewrite((h) => (h[a].shape = 'four')), /shape must be an array/);
});

test('refused: shapes that disagree with the config, unknown and unsupported dtypes, unknown entry fields', () => {
  const conv = specs.find((s) => s.shape.length === 4 && s.shape[2] !== s.shape[3])!;
  const swapped = [conv.shape[0], conv.shape[1], conv.shape[3], conv.shape[2]];
  refuses(rewrite((h) => (h[conv.name].shape = swapped)), new RegExp(`tensor "${conv.name.replace(/\./g, '\\.')}" has shape \\[${swapped}\\] but the model config needs \\[${conv.shape}\\]`));
  refuses(rewrite((h) => (h[conv.name].dtype = 'F33')), /unknown dtype "F33"/);
  refuses(rewrite((h) => (h[conv.name].dtype = 'BF16')), /unsupported dtype BF16 \(only F32, F16 and I8 are read\)/);
  refuses(rewrite((h) => delete h[conv.name].dtype), /unknown dtype undefined/);
  refuses(rewrite((h) => (h[conv.name].device = 'cuda')), /unknown field "device"/);
  refuses(rewrite((h) => (h[conv.name] = 42)), /entry must be an object/);
});

test('refused: missing and extra tensors, NaN values', () => {
  const all: TensorData[] = specs.map((s) => ({ name: s.name, dtype: 'F32', shape: s.shape, data: W.get(s.name)! }));
  const meta = { config: JSON.stringify(config) };
  const missing = all.filter((_, i) => i !== 5);
  refuses(writeSafetensors(missing, meta), new RegExp(`tensor "${specs[5].name.replace(/\./g, '\\.')}" \\[${specs[5].shape}\\] is missing`));
  refuses(writeSafetensors([...all, { name: 'bonus', dtype: 'F32', shape: [1], data: new Float32Array(1) }], meta), /tensor "bonus" is not a parameter of the model its config describes/);
  const nan = all.map((t, i) => (i === 7 ? { ...t, data: Float32Array.from(t.data, (v, j) => (j === 1 ? NaN : v)) } : t));
  refuses(writeSafetensors(nan, meta), new RegExp(`tensor "${specs[7].name.replace(/\./g, '\\.')}" holds NaN at index 1`));
  const inf = all.map((t, i) => (i === 7 ? { ...t, data: Float32Array.from(t.data, (v, j) => (j === 0 ? -Infinity : v)) } : t));
  refuses(writeSafetensors(inf, meta), /holds -Infinity at index 0/);
});

test('refused: metadata without config, broken config JSON, config failing validation', () => {
  refuses(rewrite((h) => delete h.__metadata__), /no __metadata__.config/);
  refuses(rewrite((h) => (h.__metadata__ = { note: 'x' })), /no __metadata__.config/);
  refuses(rewrite((h) => (h.__metadata__.config = '{"format": "anchorless-model/1", ')), /__metadata__.config: model config is not valid JSON/);
  refuses(rewrite((h) => (h.__metadata__.config = JSON.stringify({ ...config, numClasses: 0 }))), /__metadata__.config: numClasses must be an integer/);
  refuses(rewrite((h) => (h.__metadata__.config = JSON.stringify({ ...config, backbone: { type: 'vgg' } }))), /__metadata__.config: backbone.type must be one of/);
  // A valid config of another model: its parameters do not match the file's.
  refuses(rewrite((h) => (h.__metadata__.config = JSON.stringify({ ...config, numClasses: 3, labels: ['a', 'b', 'c'] }))), /has shape \[2\] but the model config needs \[3\]|has shape \[1,1,4,2\] but the model config needs \[1,1,4,3\]/);
  refuses(rewrite((h) => (h.__metadata__.epochs = 12)), /__metadata__.epochs must be a string, got number/);
  refuses(rewrite((h) => (h.__metadata__ = ['config'])), /__metadata__ must be an object of strings/);
});

test('refused: not bytes at all', () => {
  refuses('a string', /expected the file contents as a Uint8Array, got string/);
  refuses(null, /got null/);
});

test('fuzz: random byte damage is always refused with an Error or loads, never anything else', () => {
  const r = rng(11);
  const t0 = performance.now();
  let refused = 0;
  for (let i = 0; i < 400; i++) {
    const bytes = VALID.slice();
    const damage = 1 + Math.floor(r() * 4);
    // Mostly the header (where parsing decisions are made), sometimes anywhere.
    const span = r() < 0.8 ? 8 + splitFile(VALID).headerLength : bytes.length;
    for (let d = 0; d < damage; d++) bytes[Math.floor(r() * span)] = Math.floor(r() * 256);
    try {
      readModelFile(bytes, SOURCE);
    } catch (e) {
      assert.instance(e, Error);
      assert.ok((e as Error).message.startsWith(SOURCE), (e as Error).message);
      refused++;
    }
  }
  assert.ok(refused > 300, `${refused} of 400 refused`);
  assert.ok(performance.now() - t0 < 10000);
});

test('a CornerNet preset round-trips in F16 (parameter names with every kind of node)', () => {
  const cfg = preset('cornernet-tiny', { numClasses: 3 });
  const ps = paramSpecs(buildGraph(cfg));
  const w = new Map(ps.map((s, i) => [s.name, randomF32(s.shape.reduce((a, b) => a * b, 1), i, -1, 1)]));
  const m = readModelFile(writeModelFile(cfg, w, { dtype: 'F16' }), 'tiny.safetensors');
  assert.equal(m.config, cfg);
  assert.is(m.tensors.size, ps.length);
  assert.equal(m.graph.heads, buildGraph(cfg).heads);
});

test('parseSafetensors alone reads metadata and tensor infos without the model layer', () => {
  const f = parseSafetensors(VALID, SOURCE);
  assert.is(f.tensors.size, specs.length);
  assert.equal(f.tensors.get(specs[0].name)?.shape, specs[0].shape);
  assert.is(f.dataStart % 8, 0);
  assert.ok(typeof f.metadata.config === 'string');
});

test.run();
