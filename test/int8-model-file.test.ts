// The int8 model file (runtime/weights/int8-model.ts): I8 tensors in safetensors, int8 layers
// written and read back unchanged, the f32 view a reader without int8 gets (dequantised weights,
// folded bias, identity batch norm: folding it gives back exactly code * scale and the bias), and
// one refusal per kind of inconsistency, each naming the file and the layer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ModelConfig } from '../runtime/model/config.js';
import { smallCenterNet } from './helpers/small-centernet.js';
import { paramSpecs } from '../runtime/model/graph.js';
import { buildGraph } from '../runtime/model/registry.js';
import { foldBatchNorm } from '../runtime/engine/fold.js';
import { readModelFile, writeModelFile } from '../runtime/weights/model-file.js';
import { int8Eligible, type Int8Layer, type Int8Node } from '../runtime/weights/int8-model.js';
import { parseSafetensors, readInt8Tensor, readTensor, writeSafetensors } from '../runtime/weights/safetensors.js';
import { randomF32, rng } from './helpers/random.js';

const SOURCE = 'int8-model.safetensors';
const config: ModelConfig = smallCenterNet('int8-test');
const graph = buildGraph(config);
const specs = paramSpecs(graph);
const weights = new Map(specs.map((s, i) => [s.name, randomF32(s.shape.reduce((a, b) => a * b, 1), 100 + i, -2, 2)]));
// batch norm variances must be positive
for (const [name, w] of weights) if (name.endsWith('running_var')) for (let i = 0; i < w.length; i++) w[i] = Math.abs(w[i]) + 0.1;

function layerFor(node: Int8Node, seed: number): Int8Layer {
  const next = rng(seed);
  const codes = new Int8Array(node.kernel * node.kernel * node.cin * node.cout);
  for (let i = 0; i < codes.length; i++) codes[i] = Math.floor(next() * 255) - 127;
  return {
    codes,
    scales: randomF32(node.cout, seed + 1, 0.001, 0.1),
    bias: randomF32(node.cout, seed + 2, -1, 1),
    input: { scale: Math.fround(0.0123), codes: seed % 2 ? 'u8' : 's8' },
  };
}

const eligible = int8Eligible(graph);
// two convs, the last eligible layer and a transposed conv (an up-sampling neck's)
const deconv = eligible.find((n) => n.op === 'deconv')!;
const chosen = [...new Set([eligible[0], eligible[2], eligible[eligible.length - 1], deconv])];
const layers = new Map(chosen.map((n, i) => [n.name, layerFor(n, 7 + i)]));

test('eligible layers: ungrouped convs, never a head output, and the neck\'s transposed convs', () => {
  const headOutputs = new Set(Object.values(graph.heads).flat());
  assert.ok(eligible.length > 5);
  const deconvs = graph.nodes.filter((n) => n.op === 'deconv');
  assert.ok(deconvs.length > 0 && deconvs.every((n) => eligible.includes(n as Int8Node)), 'every (ungrouped, kernel >= stride) transposed conv');
  for (const n of eligible) {
    assert.is(n.groups, 1);
    assert.not.ok(headOutputs.has(n.name), n.name);
  }
  for (const out of headOutputs) assert.not.ok(eligible.some((n) => n.name === out));
});

test('I8 tensors: written as bytes, read back by readInt8Tensor only', () => {
  const codes = new Int8Array([-127, -1, 0, 1, 127, 5]);
  const bytes = writeSafetensors([{ name: 'q', dtype: 'I8', shape: [2, 3], data: codes }, { name: 'f', dtype: 'F32', shape: [1], data: new Float32Array([2]) }]);
  const file = parseSafetensors(bytes, SOURCE);
  assert.equal(file.tensors.get('q')!.dtype, 'I8');
  assert.equal([...readInt8Tensor(file, 'q')], [-127, -1, 0, 1, 127, 5]);
  // the raw bytes: two's complement, in order
  const start = file.dataStart + file.tensors.get('q')!.begin;
  assert.equal([...bytes.subarray(start, start + 6)], [129, 255, 0, 1, 127, 5]);
  assert.throws(() => readTensor(file, 'q'), /int8-model.safetensors: tensor "q" is I8/);
  assert.throws(() => readInt8Tensor(file, 'f'), /tensor "f" is F32, where I8/);
  assert.throws(() => writeSafetensors([{ name: 'q', dtype: 'I8', shape: [1], data: new Float32Array(1) }]), /data must be an Int8Array for I8/);
});

test('int8 layers round trip; the f32 view folds back to code * scale and the bias', () => {
  for (const dtype of ['F32', 'F16'] as const) {
    const bytes = writeModelFile(config, weights, { dtype, int8: layers });
    const file = readModelFile(bytes, SOURCE);
    assert.ok(file.int8);
    assert.equal([...file.int8!.keys()], [...layers.keys()]);
    for (const [name, want] of layers) {
      const got = file.int8!.get(name)!;
      assert.equal([...got.codes], [...want.codes]);
      assert.equal([...got.scales], [...want.scales]);
      assert.equal([...got.bias], [...want.bias]);
      assert.equal(got.input, want.input);
      const node = graph.nodes.find((n) => n.name === name) as Int8Node;
      const folded = foldBatchNorm(node, (suffix) => file.tensors.get(`${name}.${suffix}`)!);
      for (let i = 0; i < want.codes.length; i++) {
        // the output channel: HWIO's last axis; a transposed conv's [kh, kw, cout, cin] second last
        const c = node.op === 'deconv' ? Math.floor(i / node.cin) % node.cout : i % node.cout;
        const w = Math.fround(want.codes[i] * want.scales[c]);
        if (folded.weight[i] !== w) assert.unreachable(`${name} weight ${i}: ${folded.weight[i]} != ${w}`);
      }
      for (let c = 0; c < node.cout; c++) assert.ok(Math.abs(folded.bias[c] - want.bias[c]) <= 1e-6 * Math.max(1, Math.abs(want.bias[c])), `${name} bias ${c}`);
      // the layer's own batch norm is not in the file
      assert.not.ok(parseSafetensors(bytes, SOURCE).tensors.has(`${name}.bn.running_var`));
    }
    // every other parameter as written (F16 rounds)
    for (const s of specs) {
      if ([...layers.keys()].some((l) => s.name.startsWith(`${l}.`))) continue;
      const a = file.tensors.get(s.name)!;
      const b = weights.get(s.name)!;
      for (let i = 0; i < a.length; i++) if (Math.abs(a[i] - b[i]) > (dtype === 'F16' ? 2e-3 : 0)) assert.unreachable(`${s.name}[${i}]`);
    }
  }
  // from a Node Buffer (whose slice() shares a pooled ArrayBuffer): the codes, not the pool's other bytes
  const fromBuffer = readModelFile(Buffer.from(writeModelFile(config, weights, { int8: layers })), SOURCE);
  for (const [name, want] of layers) assert.equal([...fromBuffer.int8!.get(name)!.codes], [...want.codes]);
  // an f32 file has no int8 part
  assert.is(readModelFile(writeModelFile(config, weights), SOURCE).int8, undefined);
});

/** The written file with its header JSON edited (the data section unchanged). */
function rewrite(bytes: Uint8Array, edit: (header: Record<string, any>) => void): Uint8Array {
  const len = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + len)));
  edit(header);
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + bytes.length - 8 - len);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8);
  out.set(bytes.subarray(8 + len), 8 + json.length);
  return out;
}

test('refused: int8 files that disagree with their config, each Error naming file and layer', () => {
  const good = writeModelFile(config, weights, { int8: layers });
  const [first] = layers.keys();
  const head = Object.values(graph.heads)[0][0];
  const refuses = (bytes: Uint8Array, pattern: RegExp) => {
    try {
      readModelFile(bytes, SOURCE);
    } catch (e) {
      const m = (e as Error).message;
      if (!m.startsWith(SOURCE) || !pattern.test(m)) assert.unreachable(`${m} does not match ${pattern}`);
      return;
    }
    assert.unreachable(`no Error for ${pattern}`);
  };
  refuses(rewrite(good, (h) => (h.__metadata__.int8 = JSON.stringify({ [head]: { scale: 0.5, codes: 'u8' } }))), /is not a layer the int8 kernels run/);
  refuses(rewrite(good, (h) => (h.__metadata__.int8 = h.__metadata__.int8.replace('"codes":"', '"codes":"x'))), /codes must be "u8" or "s8"/);
  refuses(rewrite(good, (h) => (h.__metadata__.int8 = '{')), /__metadata__.int8: not valid JSON/);
  refuses(rewrite(good, (h) => (h[`${first}.weight_scale`].dtype = 'I8')), /(is I8 but must be F32 or F16|needs)/);
  refuses(rewrite(good, (h) => (h[`${first}.weight`].dtype = 'F32')), /needs|is F32 but must be I8/);
  // a code of -128: the kernels' negation would overflow
  const bad = good.slice();
  const file = parseSafetensors(good, SOURCE);
  bad[file.dataStart + file.tensors.get(`${first}.weight`)!.begin] = 0x80;
  refuses(bad, /weight code 0 is -128/);
  // the metadata lists a layer whose int8 tensors are not there
  const other = eligible.find((n) => !layers.has(n.name))!;
  refuses(rewrite(good, (h) => (h.__metadata__.int8 = h.__metadata__.int8.replace(first, other.name))), /is I8 but must be F32 or F16|is missing/);
  assert.throws(() => writeModelFile(config, weights, { int8: new Map([[head, layers.get(first)!]]) }), /int8 layer .* is not a conv of model int8-test/);
  assert.throws(() => writeModelFile(config, weights, { metadata: { int8: '{}' } }), /metadata key "int8" is reserved/);
  assert.throws(() => writeModelFile(config, weights, { int8: new Map([[first, { ...layers.get(first)!, scales: new Float32Array(1) }]]) }), /weight_scale must be a Float32Array of/);
  assert.throws(() => writeModelFile(config, weights, { int8s: new Map() } as never), /unknown option|int8s/);
  // still reads the good one
  assert.ok(readModelFile(good, SOURCE).int8);
});

test.run();
