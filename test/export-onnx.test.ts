// ONNX export: the bytes decode back (with a protobuf reader written here, independent of the
// writer) into the graph we expect (ops, attributes, shapes, initializer layouts and batch-norm
// folding computed here from the raw weights), and, where onnxruntime-node is installed, the
// exported model run by onnxruntime gives our ExecutionPlan's head outputs within 1e-4 of their scale.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ExecutionPlan } from '../runtime/engine/plan.js';
import { exportOnnx, type OnnxExportOptions } from '../runtime/export/onnx.js';
import { BN_EPS, pruneTo, type ConvNode, type DeconvNode, type Graph, type GraphNode } from '../runtime/model/graph.js';
import { preset } from '../runtime/model/presets.js';
import { buildGraph, inferenceHeads } from '../runtime/model/registry.js';
import { loadKernels } from './helpers/kernels.js';
import { randomF32, scaleRelativeError } from './helpers/random.js';
import { randomWeights } from './helpers/random-weights.js';

// --- a minimal protobuf reader -------------------------------------------------------------------

type Field = number | Uint8Array;
type Message = Map<number, Field[]>;

function decode(bytes: Uint8Array): Message {
  const out: Message = new Map();
  let at = 0;
  const varint = (): number => {
    let v = 0;
    let mul = 1;
    for (;;) {
      if (at >= bytes.length) throw new Error('protobuf: truncated varint');
      const b = bytes[at++];
      v += (b & 0x7f) * mul;
      mul *= 128;
      if (b < 0x80) return v;
    }
  };
  while (at < bytes.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key % 8;
    let value: Field;
    if (wire === 0) value = varint();
    else if (wire === 2) {
      const n = varint();
      if (at + n > bytes.length) throw new Error(`protobuf: field ${field} runs past the end`);
      value = bytes.subarray(at, at + n);
      at += n;
    } else if (wire === 5) {
      value = bytes.subarray(at, at + 4);
      at += 4;
    } else if (wire === 1) {
      value = bytes.subarray(at, at + 8);
      at += 8;
    } else throw new Error(`protobuf: unexpected wire type ${wire}`);
    if (!out.has(field)) out.set(field, []);
    out.get(field)!.push(value);
  }
  return out;
}

const text = (b: Field) => new TextDecoder().decode(b as Uint8Array);
const num = (m: Message, f: number, dflt = 0) => (m.get(f)?.[0] as number | undefined) ?? dflt;
const str = (m: Message, f: number) => (m.has(f) ? text(m.get(f)![0]) : '');
const msgs = (m: Message, f: number) => (m.get(f) ?? []).map((b) => decode(b as Uint8Array));
const strs = (m: Message, f: number) => (m.get(f) ?? []).map(text);
/** A packed repeated varint field (also accepts the unpacked form). */
function varints(m: Message, f: number): number[] {
  const out: number[] = [];
  for (const v of m.get(f) ?? []) {
    if (typeof v === 'number') {
      out.push(v);
      continue;
    }
    let value = 0;
    let mul = 1;
    for (const b of v) {
      value += (b & 0x7f) * mul;
      mul *= 128;
      if (b < 0x80) {
        out.push(value);
        value = 0;
        mul = 1;
      }
    }
  }
  return out;
}
function floats(b: Uint8Array): Float32Array {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return Float32Array.from({ length: b.length / 4 }, (_, i) => view.getFloat32(i * 4, true));
}

interface OnnxNode {
  op: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attrs: Map<string, Message>;
}
interface Initializer {
  dims: number[];
  type: number;
  values: Float32Array | number[];
}
interface OnnxModel {
  irVersion: number;
  opsets: { domain: string; version: number }[];
  producer: string;
  nodes: OnnxNode[];
  inits: Map<string, Initializer>;
  inputs: { name: string; dims: number[] }[];
  outputs: { name: string; dims: number[] }[];
  metadata: Map<string, string>;
}

function readModel(bytes: Uint8Array): OnnxModel {
  const model = decode(bytes);
  const graph = msgs(model, 7)[0];
  const valueInfo = (v: Message) => {
    const tensor = msgs(msgs(v, 2)[0], 1)[0];
    assert.is(num(tensor, 1), 1, `${str(v, 1)} is float`);
    return { name: str(v, 1), dims: msgs(msgs(tensor, 2)[0], 1).map((d) => num(d, 1)) };
  };
  const inits = new Map<string, Initializer>();
  for (const t of msgs(graph, 5)) {
    const type = num(t, 2);
    const dims = varints(t, 1);
    inits.set(str(t, 8), { dims, type, values: type === 1 ? floats(t.get(9)![0] as Uint8Array) : varints(t, 7) });
  }
  return {
    irVersion: num(model, 1),
    opsets: msgs(model, 8).map((o) => ({ domain: str(o, 1), version: num(o, 2) })),
    producer: str(model, 2),
    nodes: msgs(graph, 1).map((n) => ({
      op: str(n, 4),
      name: str(n, 3),
      inputs: strs(n, 1),
      outputs: strs(n, 2),
      attrs: new Map(msgs(n, 5).map((a) => [str(a, 1), a])),
    })),
    inits,
    inputs: msgs(graph, 11).map(valueInfo),
    outputs: msgs(graph, 12).map(valueInfo),
    metadata: new Map(msgs(model, 14).map((e) => [str(e, 1), str(e, 2)])),
  };
}

const attrInts = (n: OnnxNode, name: string) => varints(n.attrs.get(name)!, 8);
const attrInt = (n: OnnxNode, name: string) => num(n.attrs.get(name)!, 3);
const attrStr = (n: OnnxNode, name: string) => str(n.attrs.get(name)!, 4);

function count<T>(xs: T[], pred: (x: T) => boolean): number {
  return xs.filter(pred).length;
}

/** Every node input is the graph input, an initializer, an earlier node's output or '' (absent). */
function assertTopologicallyValid(m: OnnxModel): void {
  const defined = new Set<string>([...m.inputs.map((i) => i.name), ...m.inits.keys(), '']);
  for (const n of m.nodes) {
    for (const i of n.inputs) assert.ok(defined.has(i), `node ${n.name} (${n.op}) reads ${i} before it is defined`);
    for (const o of n.outputs) {
      assert.not.ok(defined.has(o), `tensor ${o} is written twice`);
      defined.add(o);
    }
  }
  for (const o of m.outputs) assert.ok(defined.has(o.name), `output ${o.name} is produced`);
}

function setup(name: string, h: number, w: number, classes = 3) {
  const config = preset(name, { numClasses: classes, inputSize: [h, w] });
  const graph = buildGraph(config);
  const weights = randomWeights(graph, 5);
  const heads = inferenceHeads(graph);
  const nodes = pruneTo(graph, Object.values(heads));
  return { config, graph, weights, heads, nodes };
}

const ops = (nodes: GraphNode[], op: GraphNode['op']) => nodes.filter((n) => n.op === op);
const relus = (nodes: GraphNode[]) => count(nodes, (n) => n.op === 'relu' || ('act' in n && n.act === 'relu'));

// --- structure ------------------------------------------------------------------------------------

test('centernet-tiny: model header, input and outputs, one ONNX op per graph op, batch norm folded away', () => {
  const { config, weights, heads, nodes } = setup('centernet-tiny', 64, 96);
  const m = readModel(exportOnnx(config, weights));
  assert.is(m.irVersion, 7);
  assert.equal(m.opsets, [{ domain: '', version: 13 }]);
  assert.is(m.producer, 'anchorless');
  assert.equal(m.inputs, [{ name: 'image', dims: [1, 3, 64, 96] }]);
  assert.equal(m.outputs, [
    { name: 'hm', dims: [1, 3, 16, 24] },
    { name: 'wh', dims: [1, 2, 16, 24] },
    { name: 'reg', dims: [1, 2, 16, 24] },
  ]);
  assert.equal(Object.keys(heads), ['hm', 'wh', 'reg']);
  assert.equal(JSON.parse(m.metadata.get('anchorless.config')!), config);
  assert.is(m.metadata.get('anchorless.layout'), 'NCHW');

  assert.is(count(m.nodes, (n) => n.op === 'Conv'), ops(nodes, 'conv').length);
  assert.is(count(m.nodes, (n) => n.op === 'ConvTranspose'), ops(nodes, 'deconv').length);
  assert.is(count(m.nodes, (n) => n.op === 'MaxPool'), 1);
  assert.is(count(m.nodes, (n) => n.op === 'Add'), ops(nodes, 'add').length);
  assert.is(count(m.nodes, (n) => n.op === 'Relu'), relus(nodes));
  assert.is(m.nodes.length, ops(nodes, 'conv').length + ops(nodes, 'deconv').length + 1 + ops(nodes, 'add').length + relus(nodes));
  assertTopologicallyValid(m);

  // the stem max-pool: 3x3, stride 2, pad 1 (ResNet)
  const pool = m.nodes.find((n) => n.op === 'MaxPool')!;
  assert.equal(attrInts(pool, 'kernel_shape'), [3, 3]);
  assert.equal(attrInts(pool, 'strides'), [2, 2]);
  assert.equal(attrInts(pool, 'pads'), [1, 1, 1, 1]);

  // one weight and one bias per conv / deconv, nothing else: batch norm lives in them
  let floatsExpected = 0;
  for (const n of [...ops(nodes, 'conv'), ...ops(nodes, 'deconv')] as (ConvNode | DeconvNode)[]) {
    floatsExpected += weights.get(`${n.name}.weight`)!.length + n.cout;
  }
  let floatsWritten = 0;
  for (const t of m.inits.values()) {
    assert.is(t.values.length, t.dims.reduce((a, b) => a * b, 1), 'initializer size matches its dims');
    floatsWritten += t.values.length;
  }
  assert.is(floatsWritten, floatsExpected);
});

test('centernet-tiny: conv weights OIHW and deconv weights [cin, cout, k, k], batch norm folded into them', () => {
  const { graph, config, weights } = setup('centernet-tiny', 64, 64);
  const m = readModel(exportOnnx(config, weights));
  const byName = new Map(m.nodes.map((n) => [n.name, n]));
  const node = (name: string) => graph.nodes.find((n) => n.name === name) as ConvNode | DeconvNode;

  // BN: scale = gamma / sqrt(var + eps), shift = beta - mean * scale, in float64 here
  const bn = (prefix: string, c: number) => {
    const g = weights.get(`${prefix}weight`)!;
    const b = weights.get(`${prefix}bias`)!;
    const mean = weights.get(`${prefix}running_mean`)!;
    const v = weights.get(`${prefix}running_var`)!;
    const scale = Array.from({ length: c }, (_, i) => g[i] / Math.sqrt(v[i] + BN_EPS));
    return { scale, shift: scale.map((s, i) => b[i] - mean[i] * s) };
  };
  const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

  // a head conv: bias, no batch norm
  const head = node('hm.0.1') as ConvNode;
  assert.is(head.bn, false);
  const hn = byName.get('hm.0.1')!;
  assert.is(hn.op, 'Conv');
  const hw = m.inits.get(hn.inputs[1])!;
  const k = head.kernel;
  assert.equal(hw.dims, [head.cout, head.cin, k, k]);
  const src = weights.get('hm.0.1.weight')!;
  for (let o = 0; o < head.cout; o++)
    for (let i = 0; i < head.cin; i++)
      for (let y = 0; y < k; y++)
        for (let x = 0; x < k; x++) assert.is(hw.values[((o * head.cin + i) * k + y) * k + x], src[((y * k + x) * head.cin + i) * head.cout + o]);
  assert.equal(Array.from(m.inits.get(hn.inputs[2])!.values), Array.from(weights.get('hm.0.1.bias')!));

  // the stem conv: batch norm, no bias
  const stem = node('conv1') as ConvNode;
  assert.ok(stem.bn && !stem.bias);
  const sn = byName.get('conv1')!;
  assert.equal(attrInts(sn, 'strides'), [2, 2]);
  assert.equal(attrInts(sn, 'pads'), [3, 3, 3, 3]);
  assert.equal(attrInts(sn, 'kernel_shape'), [7, 7]);
  assert.is(attrInt(sn, 'group'), 1);
  const sw = m.inits.get(sn.inputs[1])!;
  const sb = m.inits.get(sn.inputs[2])!;
  const s = bn('conv1.bn.', stem.cout);
  const raw = weights.get('conv1.weight')!;
  assert.equal(sw.dims, [stem.cout, 3, 7, 7]);
  for (let o = 0; o < stem.cout; o++) {
    close(sb.values[o], s.shift[o], `conv1 bias ${o}`);
    for (let i = 0; i < 3; i++)
      for (let y = 0; y < 7; y++)
        for (let x = 0; x < 7; x++) close(sw.values[((o * 3 + i) * 7 + y) * 7 + x], raw[((y * 7 + x) * 3 + i) * stem.cout + o] * s.scale[o], `conv1 weight ${o},${i},${y},${x}`);
  }

  // a deconv stage: [k, k, cout, cin] -> [cin, cout, k, k], batch norm folded along cout
  const de = node('deconv_layers.0') as DeconvNode;
  const dn = byName.get('deconv_layers.0')!;
  assert.is(dn.op, 'ConvTranspose');
  assert.equal(attrInts(dn, 'strides'), [de.stride, de.stride]);
  assert.equal(attrInts(dn, 'pads'), [de.pad, de.pad, de.pad, de.pad]);
  assert.equal(attrInts(dn, 'output_padding'), [de.outputPadding, de.outputPadding]);
  const dw = m.inits.get(dn.inputs[1])!;
  const dk = de.kernel;
  assert.equal(dw.dims, [de.cin, de.cout, dk, dk]);
  const ds = bn('deconv_layers.0.bn.', de.cout);
  const draw = weights.get('deconv_layers.0.weight')!;
  for (let i = 0; i < de.cin; i += 7)
    for (let o = 0; o < de.cout; o++)
      for (let y = 0; y < dk; y++)
        for (let x = 0; x < dk; x++) close(dw.values[((i * de.cout + o) * dk + y) * dk + x], draw[((y * dk + x) * de.cout + o) * de.cin + i] * ds.scale[o], `deconv weight ${i},${o},${y},${x}`);
});

test('cornernet-tiny: corner pooling as log-step Slice / Pad(-inf) / Max, nearest Resize, heads', () => {
  const { config, weights, nodes } = setup('cornernet-tiny', 64, 96);
  const m = readModel(exportOnnx(config, weights));
  assertTopologicallyValid(m);
  assert.equal(
    m.outputs.map((o) => o.name),
    ['tl_heat', 'br_heat', 'tl_tag', 'br_tag', 'tl_regr', 'br_regr'],
  );
  assert.equal(m.outputs[0].dims, [1, 3, 16, 24]);
  assert.equal(m.outputs[2].dims, [1, 1, 16, 24]);

  // 16 x 24 maps: vertical pools need offsets 1, 2, 4, 8; horizontal ones 1, 2, 4, 8, 16
  const pools = ops(nodes, 'cornerpool') as (GraphNode & { op: 'cornerpool' })[];
  assert.is(pools.length, 4);
  const steps = pools.reduce((s, p) => s + (p.direction === 'top' || p.direction === 'bottom' ? 4 : 5), 0);
  for (const op of ['Slice', 'Pad', 'Max']) assert.is(count(m.nodes, (n) => n.op === op), steps, op);

  const i64 = (name: string) => m.inits.get(name)!.values as number[];
  const slices = m.nodes.filter((n) => n.op === 'Slice');
  const seen = new Set<string>();
  for (const sl of slices) {
    const [start] = i64(sl.inputs[1]);
    const [end] = i64(sl.inputs[2]);
    const [axis] = i64(sl.inputs[3]);
    const size = axis === 2 ? 16 : 24;
    assert.ok(axis === 2 || axis === 3);
    // the slice keeps size - offset positions, from the start (bottom/right) or after the offset (top/left)
    const offset = size - (end - start);
    assert.ok(start === 0 || start === offset, `slice [${start}, ${end}) on a ${size} axis`);
    // the Pad that follows puts the offset back on the other side, filled with -inf
    const pad = m.nodes.find((n) => n.op === 'Pad' && n.inputs[0] === sl.outputs[0])!;
    const pads = i64(pad.inputs[1]);
    const expected = [0, 0, 0, 0, 0, 0, 0, 0];
    expected[start === 0 ? axis : 4 + axis] = offset;
    assert.equal(pads, expected);
    assert.is(attrStr(pad, 'mode'), 'constant');
    const fill = m.inits.get(pad.inputs[2])!;
    assert.equal(fill.dims, []);
    assert.is(fill.values[0], -Infinity);
    // and Max combines the shifted map with the one it was sliced from
    const max = m.nodes.find((n) => n.op === 'Max' && n.inputs.includes(pad.outputs[0]))!;
    assert.ok(max.inputs.includes(sl.inputs[0]));
    seen.add(`${axis}:${start === 0 ? 'from-lower' : 'from-higher'}`);
  }
  // top (rows below, axis 2 from higher), bottom, left (axis 3 from higher), right
  assert.equal([...seen].sort(), ['2:from-higher', '2:from-lower', '3:from-higher', '3:from-lower']);
  // each pool's first step (its ONNX nodes are named after the graph node) reads the right side
  for (const p of pools) {
    const first = slices.find((n) => n.name === `${p.name}.0.slice`)!;
    const [start] = i64(first.inputs[1]);
    const [axis] = i64(first.inputs[3]);
    assert.is(axis, p.direction === 'top' || p.direction === 'bottom' ? 2 : 3, `${p.name} axis`);
    assert.is(start, p.direction === 'top' || p.direction === 'left' ? 1 : 0, `${p.name} (${p.direction}) takes the max from the ${start ? 'higher' : 'lower'} side`);
  }

  const resizes = m.nodes.filter((n) => n.op === 'Resize');
  assert.is(resizes.length, ops(nodes, 'upsample').length);
  for (const r of resizes) {
    assert.is(r.inputs[1], '', 'no roi');
    assert.equal(Array.from(m.inits.get(r.inputs[2])!.values), [1, 1, 2, 2]);
    assert.is(attrStr(r, 'mode'), 'nearest');
    assert.is(attrStr(r, 'coordinate_transformation_mode'), 'asymmetric');
    assert.is(attrStr(r, 'nearest_mode'), 'floor');
  }
});

test('cornernet-squeeze: stand-alone batch norm, grouped convs and concats; NHWC layout and opset 17', () => {
  const { config, weights, nodes } = setup('cornernet-squeeze', 128, 128);
  const m = readModel(exportOnnx(config, weights, { layout: 'NHWC', opset: 17 }));
  assertTopologicallyValid(m);
  assert.is(m.irVersion, 8);
  assert.equal(m.opsets, [{ domain: '', version: 17 }]);
  assert.equal(m.inputs, [{ name: 'image', dims: [1, 128, 128, 3] }]);
  assert.equal(m.outputs[0], { name: 'tl_heat', dims: [1, 16, 16, 3] });
  const first = m.nodes[0];
  assert.is(first.op, 'Transpose');
  assert.equal(first.inputs, ['image']);
  assert.equal(attrInts(first, 'perm'), [0, 3, 1, 2]);
  for (const o of m.outputs) {
    const t = m.nodes.find((n) => n.outputs.includes(o.name))!;
    assert.is(t.op, 'Transpose');
    assert.equal(attrInts(t, 'perm'), [0, 2, 3, 1]);
  }
  const bns = m.nodes.filter((n) => n.op === 'BatchNormalization');
  assert.is(bns.length, ops(nodes, 'batchnorm').length);
  const bnNode = ops(nodes, 'batchnorm')[0];
  const onnxBn = bns.find((n) => n.name === bnNode.name)!;
  assert.equal(Array.from(m.inits.get(onnxBn.inputs[4])!.values), Array.from(weights.get(`${bnNode.name}.running_var`)!));
  assert.is(count(m.nodes, (n) => n.op === 'Concat'), ops(nodes, 'concat').length);
  for (const c of m.nodes.filter((n) => n.op === 'Concat')) assert.is(attrInt(c, 'axis'), 1);
  const grouped = (ops(nodes, 'conv') as ConvNode[]).filter((n) => n.groups > 1);
  assert.ok(grouped.length > 0);
  for (const g of grouped) {
    const c = m.nodes.find((n) => n.name === g.name)!;
    assert.is(attrInt(c, 'group'), g.groups);
    assert.equal(m.inits.get(c.inputs[1])!.dims, [g.cout, g.cin / g.groups, g.kernel, g.kernel]);
  }
});

test('centernet-resdcn18: DCNv2 as offset Conv + Slice + Sigmoid + DeformConv (opset 19 by default), batch norm folded; opset < 19 is an Error naming the node', () => {
  const { config, weights, nodes } = setup('centernet-resdcn18', 64, 64);
  const m = readModel(exportOnnx(config, weights));
  assert.equal(m.opsets, [{ domain: '', version: 19 }]);
  assertTopologicallyValid(m);
  const dcns = nodes.filter((n) => n.op === 'dcn');
  assert.is(dcns.length, 3);
  const deform = m.nodes.filter((n) => n.op === 'DeformConv');
  assert.equal(deform.map((n) => n.name), dcns.map((n) => n.name));
  for (const [i, n] of deform.entries()) {
    const node = dcns[i] as Extract<GraphNode, { op: 'dcn' }>;
    assert.equal([attrInts(n, 'kernel_shape'), attrInts(n, 'pads'), attrInts(n, 'strides'), attrInts(n, 'dilations')], [[3, 3], [1, 1, 1, 1], [1, 1], [1, 1]]);
    assert.equal([attrInt(n, 'group'), attrInt(n, 'offset_group')], [1, 1]);
    const [x, w, offset, bias, mask] = n.inputs;
    assert.equal(m.inits.get(w)!.dims, [node.cout, node.cin, 3, 3]);
    assert.equal(m.inits.get(bias)!.dims, [node.cout]);
    // the offsets are the offset conv's channels [0, 18), the mask the sigmoid of [18, 27)
    const producer = (t: string) => m.nodes.find((o) => o.outputs.includes(t))!;
    const offsetSlice = producer(offset);
    const maskSigmoid = producer(mask);
    assert.is(offsetSlice.op, 'Slice');
    assert.is(maskSigmoid.op, 'Sigmoid');
    const maskSlice = producer(maskSigmoid.inputs[0]);
    const range = (sl: OnnxNode) => [sl.inputs[1], sl.inputs[2]].map((t) => Array.from(m.inits.get(t)!.values as number[]));
    assert.equal(range(offsetSlice), [[0], [18]]);
    assert.equal(range(maskSlice), [[18], [27]]);
    const omConv = producer(offsetSlice.inputs[0]);
    assert.equal([omConv.op, omConv.inputs[0], m.inits.get(omConv.inputs[1])!.dims], ['Conv', x, [27, node.cin, 3, 3]]);
  }
  assert.not.ok(m.nodes.some((n) => n.op === 'BatchNormalization'));
  assert.throws(() => exportOnnx(config, weights, { opset: 17 }), /node deconv_layers\.0 is a deformable conv \(DCNv2\), which ONNX has as DeformConv from opset 19; options\.opset is 17/);
});

test('exportOnnx: bad weights and options are errors naming what is wrong', () => {
  const { config, weights } = setup('centernet-tiny', 64, 64);
  const without = new Map(weights);
  without.delete('conv1.bn.running_var');
  assert.throws(() => exportOnnx(config, without), /weight conv1\.bn\.running_var is missing/);
  const short = new Map(weights).set('hm.0.1.weight', new Float32Array(3));
  assert.throws(() => exportOnnx(config, short), /weight hm\.0\.1\.weight has 3 values, the graph needs 96 \(\[1,1,32,3\]\)/);
  const bad: [OnnxExportOptions, RegExp][] = [
    [{ opset: 12 }, /options\.opset must be an integer in 13\.\.21, got 12/],
    [{ opset: '13' as unknown as number }, /options\.opset/],
    [{ layout: 'HWC' as 'NCHW' }, /options\.layout must be 'NCHW' or 'NHWC'/],
    [{ inputSize: [64, 60] }, /multiples of 16/],
    [{ inputSize: [64] as unknown as [number, number] }, /options\.inputSize must be \[height, width\]/],
  ];
  for (const [opts, re] of bad) assert.throws(() => exportOnnx(config, weights, opts), re);
  assert.throws(() => exportOnnx(config, {} as Map<string, Float32Array>), /weights must be a Map/);
});

// --- onnxruntime-node against the execution plan --------------------------------------------------

type Ort = typeof import('onnxruntime-node');

async function loadOrt(): Promise<Ort | undefined> {
  try {
    const mod = (await import('onnxruntime-node')) as Ort & { default?: Ort };
    return mod.default ?? mod;
  } catch {
    return undefined;
  }
}

const RUNS: { name: string; size: [number, number]; opts: OnnxExportOptions }[] = [
  { name: 'centernet-tiny', size: [64, 96], opts: {} },
  { name: 'cornernet-tiny', size: [64, 96], opts: {} },
  { name: 'cornernet-squeeze', size: [128, 128], opts: { layout: 'NHWC', opset: 17 } },
  // DCNv2 as DeformConv (the default opset 19 for graphs with deformable convs)
  { name: 'centernet-resdcn18', size: [64, 96], opts: {} },
];

for (const run of RUNS) {
  test(`${run.name} ${run.opts.layout ?? 'NCHW'}: onnxruntime-node outputs equal the execution plan's within 1e-4 of their scale`, async () => {
    const ort = await loadOrt();
    if (!ort) {
      console.log(`  (onnxruntime-node is not installed: ${run.name} runtime comparison skipped)`);
      return;
    }
    const [h, w] = run.size;
    const { config, graph, weights, heads } = setup(run.name, h, w);
    const session = await ort.InferenceSession.create(exportOnnx(config, weights, run.opts), { intraOpNumThreads: 1 });
    const input = randomF32(h * w * 3, 13, -2, 2);
    const nhwc = run.opts.layout === 'NHWC';
    const feed = nhwc ? new ort.Tensor('float32', input, [1, h, w, 3]) : new ort.Tensor('float32', toNCHW(input, h, w, 3), [1, 3, h, w]);
    const result = await session.run({ image: feed });
    await session.release();

    const ours = await planOutputs(graph, weights, heads, h, w, input);
    for (const head of Object.keys(heads)) {
      const [, oh, ow, oc] = ours[head].shape;
      const got = result[head];
      assert.equal(got.dims, nhwc ? [1, oh, ow, oc] : [1, oc, oh, ow], `${head} dims`);
      const theirs = got.data as Float32Array;
      const mine = nhwc ? ours[head].data : toNCHW(ours[head].data, oh, ow, oc);
      const err = scaleRelativeError(theirs, mine);
      assert.ok(err <= 1e-4, `${run.name} ${head}: max error relative to the output's scale ${err.toExponential(2)} > 1e-4`);
    }
  });
}

async function planOutputs(graph: Graph, weights: Map<string, Float32Array>, heads: Record<string, string>, h: number, w: number, input: Float32Array) {
  const kn = await loadKernels();
  const plan = ExecutionPlan.build(kn, graph, weights, heads, h, w);
  try {
    plan.run(input);
    return Object.fromEntries(Object.keys(heads).map((head) => [head, plan.output(head)]));
  } finally {
    plan.release();
  }
}

function toNCHW(x: Float32Array, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let y = 0; y < h; y++) for (let i = 0; i < w; i++) for (let k = 0; k < c; k++) out[(k * h + y) * w + i] = x[(y * w + i) * c + k];
  return out;
}


test.run();
