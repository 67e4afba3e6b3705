// ONNX export of a model's inference network (the last stack's heads), for the runtimes people
// would use instead of ours (onnxruntime-web / -node, see DESIGN.md "Peers"). Input `image`
// [1, 3, H, W] (or [1, H, W, 3] with layout 'NHWC'): the normalised image, (pixel / 255 - mean) / std
// as the config says, exactly what ExecutionPlan.run takes. One output per head, named by the head
// (hm, wh, reg / tl_heat, ...), [1, C, H / stride, W / stride] (NHWC likewise).
// Batch norm is folded into the conv / deconv before it as the runtime folds it (engine/fold.ts);
// stand-alone batch norm stays a BatchNormalization node; corner pooling is the official
// log-step doubling in Slice / Pad / Max nodes. Shapes are fixed at the export's input size.

import { foldBatchNorm } from '../engine/fold.js';
import type { ModelConfig } from '../model/config.js';
import { BN_EPS, DCN_OFFSET_MASK, INPUT, inferShapes, paramSpecs, pruneTo, type ConvNode, type CornerPoolNode, type DcnNode, type DeconvNode, type GraphNode, type NodeShape } from '../model/graph.js';
import { buildGraph, inferenceHeads } from '../model/registry.js';
import { float32LE, ProtoWriter } from './protobuf.js';
import { checkOptionNames } from '../util/options.js';

export type OnnxLayout = 'NCHW' | 'NHWC';

export interface OnnxExportOptions {
  /** [height, width] of the exported input; default config.inputSize. */
  inputSize?: [number, number];
  /**
   * ONNX opset of the default domain, 13..21 (every op used keeps its opset-13 form there).
   * Default 13, or 19 for graphs with deformable convs (ONNX DeformConv needs 19).
   */
  opset?: number;
  /** Layout of the input and outputs; inside, the graph is NCHW as ONNX's ops are. Default 'NCHW'. */
  layout?: OnnxLayout;
}

/** Name of the graph input. */
export const ONNX_INPUT = 'image';

/** ONNX IR version that goes with each supported opset (onnx/docs/Versioning.md). */
const IR_VERSION: Record<number, number> = { 13: 7, 14: 7, 15: 8, 16: 8, 17: 8, 18: 8, 19: 9, 20: 9, 21: 10 };

/** Protobuf messages cannot exceed 2 GiB; bigger models need ONNX external data, not written here. */
const MAX_MODEL_BYTES = 2 ** 31 - 1;

const FN = 'exportOnnx';

/** The ONNX ModelProto bytes of `config`'s inference network with `weights` (paramSpecs names, graph layouts). */
export function exportOnnx(config: ModelConfig, weights: ReadonlyMap<string, Float32Array>, options: OnnxExportOptions = {}): Uint8Array {
  if (typeof options !== 'object' || options === null) throw new Error(`${FN}: options must be an object`);
  checkOptionNames(FN, 'options', options, ['inputSize', 'opset', 'layout']);
  const { inputSize = config.inputSize, layout = 'NCHW' } = options;
  if (!Array.isArray(inputSize) || inputSize.length !== 2) throw new Error(`${FN}: options.inputSize must be [height, width], got ${JSON.stringify(inputSize)}`);
  if (options.opset !== undefined && (typeof options.opset !== 'number' || IR_VERSION[options.opset] === undefined)) {
    throw new Error(`${FN}: options.opset must be an integer in 13..21, got ${JSON.stringify(options.opset)}`);
  }
  if (layout !== 'NCHW' && layout !== 'NHWC') throw new Error(`${FN}: options.layout must be 'NCHW' or 'NHWC', got ${JSON.stringify(layout)}`);
  if (!(weights instanceof Map)) throw new Error(`${FN}: weights must be a Map of parameter name -> Float32Array`);
  const graph = buildGraph(config, `${FN}: config`);
  // deformable convs (resdcn) exist in ONNX from opset 19 on: their default
  const opset = options.opset ?? (graph.nodes.some((n) => n.op === 'dcn') ? DEFORM_CONV_OPSET : 13);
  const [h, w] = inputSize;
  const shapes = inferShapes(graph, h, w);
  checkWeights(graph, weights);

  const heads = inferenceHeads(graph);
  const e = new Emitter();
  e.reserve(ONNX_INPUT);
  for (const head of Object.keys(heads)) e.reserve(head);

  // tensor name of every graph value
  const tensorOf = new Map<string, string>();
  if (layout === 'NHWC') {
    const nchw = e.unique(`${ONNX_INPUT}.nchw`);
    e.node('Transpose', [ONNX_INPUT], [nchw], [ints('perm', [0, 3, 1, 2])]);
    tensorOf.set(INPUT, nchw);
  } else {
    tensorOf.set(INPUT, ONNX_INPUT);
  }
  // NCHW: a head's node writes the output itself (the first head it feeds, if several).
  const headOfNode = new Map<string, string>();
  if (layout === 'NCHW') for (const [head, node] of Object.entries(heads)) if (!headOfNode.has(node)) headOfNode.set(node, head);

  for (const node of pruneTo(graph, Object.values(heads))) {
    const out = headOfNode.get(node.name) ?? e.unique(node.name);
    tensorOf.set(node.name, out);
    const ins = node.inputs.map((n) => tensorOf.get(n)!);
    const param = (suffix: string) => weights.get(`${node.name}.${suffix}`)!;
    emitNode(e, node, ins, out, param, shapes.get(node.inputs[0])!, opset);
  }

  const outputs: ProtoWriter[] = [];
  for (const [head, node] of Object.entries(heads)) {
    const s = shapes.get(node)!;
    const t = tensorOf.get(node)!;
    if (layout === 'NHWC') e.node('Transpose', [t], [head], [ints('perm', [0, 2, 3, 1])]);
    else if (t !== head) e.node('Identity', [t], [head]);
    outputs.push(valueInfo(head, layout === 'NHWC' ? [1, s.h, s.w, s.c] : [1, s.c, s.h, s.w]));
  }

  const g = new ProtoWriter();
  for (const n of e.nodes) g.message(1, n);
  g.string(2, config.name);
  for (const t of e.initializers) g.message(5, t);
  g.string(10, `${config.name}: ${config.detector}, ${config.numClasses} classes, input ${h}x${w} ${layout}, normalised (pixel / 255 - mean) / std (metadata: anchorless.config)`);
  g.message(11, valueInfo(ONNX_INPUT, layout === 'NHWC' ? [1, h, w, graph.inputChannels] : [1, graph.inputChannels, h, w]));
  for (const o of outputs) g.message(12, o);

  const model = new ProtoWriter();
  model.uint(1, IR_VERSION[opset]);
  model.string(2, 'anchorless');
  model.string(3, '1');
  model.message(7, g);
  model.message(8, new ProtoWriter().string(1, '').uint(2, opset));
  const meta = (key: string, value: string) => model.message(14, new ProtoWriter().string(1, key).string(2, value));
  meta('anchorless.config', JSON.stringify(config));
  meta('anchorless.layout', layout);
  meta('anchorless.stride', String(graph.stride));
  if (model.length > MAX_MODEL_BYTES) {
    throw new Error(`${FN}: the model is ${(model.length / 2 ** 30).toFixed(2)} GiB; a protobuf message (and so a single-file ONNX model) must stay under 2 GiB`);
  }
  return model.finish();
}

/** Every parameter of the graph present with its paramSpecs size. */
function checkWeights(graph: ReturnType<typeof buildGraph>, weights: ReadonlyMap<string, Float32Array>): void {
  for (const spec of paramSpecs(graph)) {
    const t = weights.get(spec.name);
    const n = spec.shape.reduce((a, b) => a * b, 1);
    if (!(t instanceof Float32Array)) throw new Error(`${FN}: weight ${spec.name} is ${t === undefined ? 'missing' : 'not a Float32Array'}`);
    if (t.length !== n) throw new Error(`${FN}: weight ${spec.name} has ${t.length} values, the graph needs ${n} ([${spec.shape}])`);
  }
}

function emitNode(e: Emitter, node: GraphNode, ins: string[], out: string, param: (suffix: string) => Float32Array, inShape: NodeShape, opset: number): void {
  // an activation becomes a Relu after the op, which then writes an intermediate tensor
  const relu = 'act' in node && node.act === 'relu';
  const opOut = relu ? e.unique(`${node.name}.pre_relu`) : out;
  switch (node.op) {
    case 'conv':
    case 'deconv':
      emitConv(e, node, ins[0], opOut, param);
      break;
    case 'dcn':
      emitDcn(e, node, ins[0], opOut, param, opset);
      break;
    case 'batchnorm': {
      const p = (s: string) => e.initializer(`${node.name}.${s}`, [node.channels], param(s));
      e.node('BatchNormalization', [ins[0], p('weight'), p('bias'), p('running_mean'), p('running_var')], [opOut], [float('epsilon', BN_EPS)], node.name);
      break;
    }
    case 'add':
      e.node('Add', ins, [opOut], [], node.name);
      break;
    case 'concat':
      if (ins.length === 1) e.node('Identity', ins, [opOut], [], node.name);
      else e.node('Concat', ins, [opOut], [int('axis', 1)], node.name);
      break;
    case 'relu':
      e.node('Relu', ins, [opOut], [], node.name);
      break;
    case 'maxpool':
      // ONNX MaxPool ignores padded positions: PyTorch's -infinity padding
      e.node('MaxPool', ins, [opOut], [ints('kernel_shape', [node.kernel, node.kernel]), ints('strides', [node.stride, node.stride]), ints('pads', [node.pad, node.pad, node.pad, node.pad])], node.name);
      break;
    case 'upsample': {
      // asymmetric + floor: source index floor(y / factor), F.interpolate's default 'nearest'
      const scales = e.constF32(`upsample_scales_${node.factor}`, [4], [1, 1, node.factor, node.factor]);
      e.node('Resize', [ins[0], '', scales], [opOut], [str('mode', 'nearest'), str('coordinate_transformation_mode', 'asymmetric'), str('nearest_mode', 'floor')], node.name);
      break;
    }
    case 'cornerpool':
      emitCornerPool(e, node, ins[0], opOut, inShape);
      break;
  }
  if (relu) e.node('Relu', [opOut], [out], [], `${node.name}.relu`);
}

function emitConv(e: Emitter, node: ConvNode | DeconvNode, x: string, out: string, param: (suffix: string) => Float32Array): void {
  const folded = foldBatchNorm(node, param);
  const k = node.kernel;
  const bias = e.initializer(`${node.name}.bias`, [node.cout], folded.bias);
  const pads = ints('pads', [node.pad, node.pad, node.pad, node.pad]);
  const geometry = [ints('kernel_shape', [k, k]), ints('strides', [node.stride, node.stride]), pads];
  if (node.op === 'conv') {
    const cig = node.cin / node.groups;
    const weight = e.initializer(`${node.name}.weight`, [node.cout, cig, k, k], hwioToOihw(folded.weight, k, cig, node.cout));
    e.node('Conv', [x, weight, bias], [out], [...geometry, ints('dilations', [node.dilation, node.dilation]), int('group', node.groups)], node.name);
  } else {
    const coutG = node.cout / node.groups;
    const weight = e.initializer(`${node.name}.weight`, [node.cin, coutG, k, k], deconvToOnnx(folded.weight, k, coutG, node.cin));
    const group = node.groups > 1 ? [int('group', node.groups)] : [];
    e.node('ConvTranspose', [x, weight, bias], [out], [...geometry, ints('output_padding', [node.outputPadding, node.outputPadding]), ...group], node.name);
  }
}

/**
 * DCNv2 as ONNX DeformConv (opset 19): the offset-and-mask Conv, its first 2 k k channels as the
 * offsets (ONNX's layout is DCNv2's and torchvision's: (dy, dx) per tap, taps row-major), the
 * Sigmoid of the last k k as the mask; batch norm folded into the main weight and bias.
 */
function emitDcn(e: Emitter, node: DcnNode, x: string, out: string, param: (suffix: string) => Float32Array, opset: number): void {
  if (opset < DEFORM_CONV_OPSET) {
    throw new Error(`${FN}: node ${node.name} is a deformable conv (DCNv2), which ONNX has as DeformConv from opset ${DEFORM_CONV_OPSET}; options.opset is ${opset}`);
  }
  const k = node.kernel;
  const taps = k * k;
  const geometry = [ints('kernel_shape', [k, k]), ints('strides', [node.stride, node.stride]), ints('pads', [node.pad, node.pad, node.pad, node.pad]), ints('dilations', [node.dilation, node.dilation])];
  const omName = `${node.name}.${DCN_OFFSET_MASK}`;
  const omWeight = e.initializer(`${omName}.weight`, [3 * taps, node.cin, k, k], hwioToOihw(param(`${DCN_OFFSET_MASK}.weight`), k, node.cin, 3 * taps));
  const omBias = e.initializer(`${omName}.bias`, [3 * taps], param(`${DCN_OFFSET_MASK}.bias`));
  const om = e.unique(omName);
  e.node('Conv', [x, omWeight, omBias], [om], geometry, omName);
  const axes = e.constI64('axes_1', [1], [1]);
  const slice = (from: number, to: number, name: string) => {
    const t = e.unique(`${node.name}.${name}`);
    e.node('Slice', [om, e.constI64(`slice_${from}`, [1], [from]), e.constI64(`slice_${to}`, [1], [to]), axes], [t], [], `${node.name}.${name}`);
    return t;
  };
  const offset = slice(0, 2 * taps, 'offset');
  const logits = slice(2 * taps, 3 * taps, 'mask_logits');
  const mask = e.unique(`${node.name}.mask`);
  e.node('Sigmoid', [logits], [mask], [], `${node.name}.mask`);
  const folded = foldBatchNorm(node, param);
  const weight = e.initializer(`${node.name}.weight`, [node.cout, node.cin, k, k], hwioToOihw(folded.weight, k, node.cin, node.cout));
  const bias = e.initializer(`${node.name}.bias`, [node.cout], folded.bias);
  e.node('DeformConv', [x, weight, offset, bias, mask], [out], [...geometry, int('group', 1), int('offset_group', 1)], node.name);
}

/** The first opset of the default domain with DeformConv. */
const DEFORM_CONV_OPSET = 19;

/** HWIO [k, k, ci, co] -> OIHW [co, ci, k, k]. */
function hwioToOihw(w: Float32Array, k: number, ci: number, co: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let y = 0; y < k; y++) {
    for (let x = 0; x < k; x++) {
      for (let i = 0; i < ci; i++) {
        const src = ((y * k + x) * ci + i) * co;
        for (let o = 0; o < co; o++) out[((o * ci + i) * k + y) * k + x] = w[src + o];
      }
    }
  }
  return out;
}

/** Transposed-conv [k, k, co, ci] -> ONNX ConvTranspose [ci, co, k, k]. */
function deconvToOnnx(w: Float32Array, k: number, co: number, ci: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let y = 0; y < k; y++) {
    for (let x = 0; x < k; x++) {
      for (let o = 0; o < co; o++) {
        const src = ((y * k + x) * co + o) * ci;
        for (let i = 0; i < ci; i++) out[((i * co + o) * k + y) * k + x] = w[src + i];
      }
    }
  }
  return out;
}

/**
 * Corner pooling (DESIGN.md directions) as the official log-step doubling: for offsets 1, 2, 4, ...
 * < size, x = Max(x, shift(x, offset)), the shift (Slice + Pad with -inf) bringing values from
 * farther along the scan; then every position holds the max of its whole half-line.
 */
function emitCornerPool(e: Emitter, node: CornerPoolNode, x: string, out: string, shape: NodeShape): void {
  const vertical = node.direction === 'top' || node.direction === 'bottom';
  const axis = vertical ? 2 : 3;
  const size = vertical ? shape.h : shape.w;
  // top / left take the max over higher indices (rows below, columns to the right)
  const fromHigher = node.direction === 'top' || node.direction === 'left';
  const negInf = e.constF32('neg_inf', [], [-Infinity]);
  const axes = e.constI64(`axes_${axis}`, [1], [axis]);
  let y = x;
  let step = 0;
  for (let offset = 1; offset < size; offset *= 2, step++) {
    const starts = e.constI64(`slice_${fromHigher ? offset : 0}`, [1], [fromHigher ? offset : 0]);
    const ends = e.constI64(`slice_${fromHigher ? size : size - offset}`, [1], [fromHigher ? size : size - offset]);
    const padsList = [0, 0, 0, 0, 0, 0, 0, 0];
    padsList[fromHigher ? 4 + axis : axis] = offset;
    const pads = e.constI64(`pads_${padsList.join('_')}`, [8], padsList);
    const kept = e.unique(`${node.name}.${step}.slice`);
    const shifted = e.unique(`${node.name}.${step}.shift`);
    const last = offset * 2 >= size;
    const next = last ? out : e.unique(`${node.name}.${step}.max`);
    e.node('Slice', [y, starts, ends, axes], [kept], [], `${node.name}.${step}.slice`);
    e.node('Pad', [kept, pads, negInf], [shifted], [str('mode', 'constant')], `${node.name}.${step}.pad`);
    e.node('Max', [shifted, y], [next], [], `${node.name}.${step}.max`);
    y = next;
  }
  if (y !== out) e.node('Identity', [y], [out], [], node.name); // size 1: nothing to pool over
}

// --- graph assembly ---------------------------------------------------------------------------

type Attribute = ProtoWriter;

// AttributeProto: name 1, f 2, i 3, s 4, ints 8, type 20 (FLOAT 1, INT 2, STRING 3, INTS 7)
function float(name: string, v: number): Attribute {
  return new ProtoWriter().string(1, name).float(2, v).uint(20, 1);
}
function int(name: string, v: number): Attribute {
  return new ProtoWriter().string(1, name).uint(3, v).uint(20, 2);
}
function str(name: string, v: string): Attribute {
  return new ProtoWriter().string(1, name).string(4, v).uint(20, 3);
}
function ints(name: string, v: number[]): Attribute {
  return new ProtoWriter().string(1, name).packedUints(8, v).uint(20, 7);
}

/** ValueInfoProto of a float tensor: name 1, type 2 -> TypeProto.tensor_type 1 -> elem_type 1, shape 2 -> dim 1 -> dim_value 1. */
function valueInfo(name: string, dims: number[]): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of dims) shape.message(1, new ProtoWriter().uint(1, d));
  const tensorType = new ProtoWriter().uint(1, 1).message(2, shape);
  return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensorType));
}

/** Collects NodeProtos and initializers (TensorProto) with unique tensor names. */
class Emitter {
  readonly nodes: ProtoWriter[] = [];
  readonly initializers: ProtoWriter[] = [];
  private readonly names = new Set<string>();
  private readonly constants = new Map<string, string>();

  /** Claims a name (graph input / output) before anything else can take it. */
  reserve(name: string): void {
    this.names.add(name);
  }

  /** `base`, or `base_1`, `base_2`, ... if taken; claimed. */
  unique(base: string): string {
    let name = base;
    for (let i = 1; this.names.has(name); i++) name = `${base}_${i}`;
    this.names.add(name);
    return name;
  }

  // NodeProto: input 1, output 2, name 3, op_type 4, attribute 5
  node(op: string, inputs: string[], outputs: string[], attrs: Attribute[] = [], name?: string): void {
    const n = new ProtoWriter();
    for (const i of inputs) n.string(1, i);
    for (const o of outputs) n.string(2, o);
    n.string(3, name ?? `${op}_${this.nodes.length}`);
    n.string(4, op);
    for (const a of attrs) n.message(5, a);
    this.nodes.push(n);
  }

  // TensorProto: dims 1, data_type 2 (FLOAT 1, INT64 7), int64_data 7, name 8, raw_data 9
  initializer(base: string, dims: number[], data: Float32Array): string {
    const name = this.unique(base);
    const t = new ProtoWriter();
    if (dims.length > 0) t.packedUints(1, dims); // none: a scalar
    t.uint(2, 1).string(8, name).bytes(9, float32LE(data));
    this.initializers.push(t);
    return name;
  }

  /** A shared float constant, one initializer per key. */
  constF32(key: string, dims: number[], values: number[]): string {
    return this.constant(`const.${key}`, () => this.initializer(`const.${key}`, dims, Float32Array.from(values)));
  }

  /** A shared non-negative int64 constant. */
  constI64(key: string, dims: number[], values: number[]): string {
    return this.constant(`const.${key}`, () => {
      const name = this.unique(`const.${key}`);
      this.initializers.push(new ProtoWriter().packedUints(1, dims).uint(2, 7).packedUints(7, values).string(8, name));
      return name;
    });
  }

  private constant(key: string, make: () => string): string {
    let name = this.constants.get(key);
    if (name === undefined) {
      name = make();
      this.constants.set(key, name);
    }
    return name;
  }
}
