// Hostile-input suite: the weight parser on random mutations of a valid model file: flipped
// header bytes, a wrong header length, truncation, and header JSON whose entries (dtype, shape,
// data_offsets, the model config's fields) are replaced by hostile values, and F16 data bytes
// that decode to infinities and NaNs. Every parse ends in a model or an Error naming the file, by
// readModelFile and by the detector's reader (weightViews: the weights kept as views of the file,
// half weights checked finite where a plan stages them).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { preset } from '../runtime/model/presets.js';
import { buildGraph, inferenceHeads } from '../runtime/model/registry.js';
import { modelFromSafetensors, readModelFile, writeModelFile } from '../runtime/weights/model-file.js';
import { parseSafetensors } from '../runtime/weights/safetensors.js';
import { INT8_SUPPORT } from '../runtime/weights/int8-model.js';
import { HalfFloats } from '../runtime/weights/half-floats.js';
import { f16BitsToF32 } from '../runtime/weights/f16.js';
import { randomWeights } from './helpers/random-weights.js';
import { loadKernels } from './helpers/kernels.js';
import { ExecutionPlan } from '../runtime/engine/plan.js';
import { count, endsCleanly, hostileValue, params } from './helpers/hostile.js';

const SOURCE = 'fuzz.safetensors';
const config = preset('cornernet-tiny', { labels: ['a', 'b'], inputSize: [32, 32] });
const valid = writeModelFile(config, randomWeights(buildGraph(config), 3), { dtype: 'F16' });
const headerLength = Number(new DataView(valid.buffer, valid.byteOffset).getBigUint64(0, true));
const header = JSON.parse(new TextDecoder().decode(valid.subarray(8, 8 + headerLength))) as Record<string, Record<string, unknown>>;
const tensorNames = Object.keys(header).filter((k) => k !== '__metadata__');
const configKey = Object.keys(header.__metadata__).find((k) => k === 'config')!;
const configJson = JSON.parse(header.__metadata__[configKey] as string) as Record<string, unknown>;

/** A file with `headerText` as its header and the valid file's data after it. */
function withHeader(headerText: string): Uint8Array {
  const h = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + h.length + (valid.length - 8 - headerLength));
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(valid.subarray(8 + headerLength), 8 + h.length);
  return out;
}

const byteFlips = fc.array(fc.tuple(fc.integer({ min: 0, max: 8 + headerLength + 64 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }).map((flips) => {
  const b = valid.slice();
  for (const [at, v] of flips) b[at] = v;
  return b;
});
const truncation = fc.integer({ min: 0, max: valid.length - 1 }).map((n) => valid.slice(0, n));
const lengthField = fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.integer({ min: 0, max: headerLength + 10 }).map(BigInt)).map((n) => {
  const b = valid.slice();
  new DataView(b.buffer).setBigUint64(0, n, true);
  return b;
});
const tensorField = fc.tuple(fc.constantFrom(...tensorNames), fc.constantFrom('dtype', 'shape', 'data_offsets', 'extra'), fc.oneof(hostileValue, fc.constantFrom('F32', 'F16', 'BF16', 'I64', [0, 0], [1, 1, 1, 1], [0, 2 ** 53], [-1, 4]))).map(([name, field, v]) => {
  const h = structuredClone(header);
  (h[name] as Record<string, unknown>)[field] = v;
  return withHeader(JSON.stringify(h));
});
const configField = fc.tuple(
  fc.constantFrom(...Object.keys(configJson), 'inputSize', 'numClasses', 'labels', 'mean', 'std', 'decode', 'unknownKey'),
  fc.oneof(hostileValue, fc.constantFrom([16384, 16384], [8192, 8192], [0, 32], [33, 32], 2, ['a'], ['a', 'b', 'c'], [0.5, 0.5], [0, 0, 0], 'centernet', 'cornernet', { k: 0 })),
).map(([key, v]) => {
  const c = { ...configJson, [key]: v };
  const h = structuredClone(header);
  h.__metadata__[configKey] = JSON.stringify(c);
  return withHeader(JSON.stringify(h));
});
const dataBytes = fc.array(fc.tuple(fc.integer({ min: 8 + headerLength, max: valid.length - 1 }), fc.constantFrom(0x7c, 0xff, 0x7e, 0xfc)), { minLength: 1, maxLength: 3 }).map((flips) => {
  // F16 high bytes 0x7c / 0xfc with the next byte make infinities and NaNs
  const b = valid.slice();
  for (const [at, v] of flips) b[at | 1] = v;
  return b;
});

test('readModelFile: mutations of a valid file end in a model or an Error naming the file', () => {
  const mutation = fc.oneof(byteFlips, truncation, lengthField, tensorField, configField, dataBytes);
  fc.assert(
    fc.property(mutation, (bytes) => {
      count('readModelFile', endsCleanly(() => readModelFile(bytes, SOURCE), new RegExp(`^${SOURCE.replace('.', '\\.')}`), 'readModelFile'));
    }),
    params(600),
  );
  assert.ok(readModelFile(valid, SOURCE).tensors.size > 0, 'the unmutated file is valid');
});

test('modelFromSafetensors with weightViews (the detector\'s reader): mutations end in a model or an Error naming the file; a model\'s f32 weights are finite, and where its half weights are not, building its plan is an Error naming such a tensor, its first bad value and index, with no kernel memory left taken', async () => {
  const k = await loadKernels();
  const mutation = fc.oneof(byteFlips, truncation, lengthField, tensorField, configField, dataBytes);
  let refused = 0;
  fc.assert(
    fc.property(mutation, (bytes) => {
      let model: ReturnType<typeof read> | undefined;
      const read = () => modelFromSafetensors(parseSafetensors(bytes, SOURCE), { weightViews: true }, INT8_SUPPORT);
      count('modelFromSafetensors', endsCleanly(() => (model = read()), new RegExp(`^${SOURCE.replace('.', '\\.')}`), 'modelFromSafetensors'));
      if (!model) return;
      // the first non-finite value of each half tensor, by the definition of a half
      const bad = new Map<string, [number, number]>();
      for (const [name, t] of model.tensors) {
        const values = t instanceof HalfFloats ? Float32Array.from({ length: t.length }, (_, i) => f16BitsToF32(t.bits[2 * i] | (t.bits[2 * i + 1] << 8))) : t;
        const at = values.findIndex((v) => !Number.isFinite(v));
        if (at < 0) continue;
        if (!(t instanceof HalfFloats)) throw new Error(`${name}: a non-finite f32 weight was accepted`);
        bad.set(name, [at, values[at]]);
      }
      if (bad.size === 0) return;
      const before = k.heap.allocatedBytes;
      const [h, w] = model.config.inputSize;
      try {
        ExecutionPlan.build(k, model.graph, model.tensors, inferenceHeads(model.graph), h, w).release();
        throw new Error(`a plan was built with non-finite half weights in ${[...bad.keys()]}`);
      } catch (e) {
        const m = /^tensor "([^"]+)" holds (\S+) at index (\d+)$/.exec((e as Error).message);
        const named = m && bad.get(m[1]);
        if (!named || Number(m[3]) !== named[0] || !Object.is(Number(m[2]), named[1])) throw new Error(`plan build: ${(e as Error).message}; non-finite: ${JSON.stringify([...bad])}`);
      }
      if (k.heap.allocatedBytes !== before) throw new Error(`the failed plan left ${k.heap.allocatedBytes - before} bytes of kernel memory taken`);
      refused++;
    }),
    params(300),
  );
  assert.ok(refused > 0, 'some mutations made a half weight non-finite');
});

test.run();
