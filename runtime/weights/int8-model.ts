// The int8 part of a model file (`anchorless quantize`, runtime/quantize/): conv and transposed-conv
// layers stored as per-output-channel int8 weight codes with batch norm already folded in, and the
// calibrated quantisation of each one's input. For every quantised node N listed in __metadata__.int8:
//   N.weight        I8  [kh, kw, cin, cout]  codes in -127..127; w = code * scale[cout]
//                       (a transposed conv's: [kh, kw, cout, cin], its weight's layout)
//   N.weight_scale  F32 [cout]
//   N.bias          F32 [cout]               the folded bias (conv bias and batch norm together)
// take the place of N.weight, N.bias and N.bn.*, and __metadata__.int8 holds the JSON object
// { "N": { "scale": s, "codes": "u8" | "s8" }, ... } (the input's activation quantisation).
// Readers that know nothing of int8 (the trainer's eval, ONNX export) still get a complete f32
// parameter set from readModelFile: the dequantised weights, the folded bias, an identity batch norm.
import { BN_EPS, type ConvNode, type DeconvNode, type Graph, type ParamSpec } from '../model/graph.js';
import { int8ChannelStride, int8TransposeFits, MAX_INT8_REDUCTION, weightChannelOf, type ActivationQuant } from '../ops/int8-quant.js';

/** A layer the int8 kernels can run: a conv, or a transposed conv (an up-sampling neck's). */
export type Int8Node = ConvNode | DeconvNode;
import { readInt8Tensor, type Safetensors } from './safetensors.js';



/** One conv or transposed-conv layer in int8: what the execution plan packs for the int8 kernels. */
export interface Int8Layer {
  /** HWIO [kh, kw, cin, cout] codes in -127..127 (a transposed conv's: [kh, kw, cout, cin]). */
  readonly codes: Int8Array;
  /** Per output channel: w = code * scale. */
  readonly scales: Float32Array;
  /** The folded bias [cout]. */
  readonly bias: Float32Array;
  /** The quantisation of the layer's input ('u8' after a ReLU, else 's8'). */
  readonly input: ActivationQuant;
}

/** A tensor the file must hold: f32 (stored F32 or F16) or I8 codes. */
export interface StoredSpec {
  name: string;
  shape: number[];
  int8: boolean;
}

/**
 * The layers the int8 kernels can run: ungrouped convs other than the last conv of a head (the
 * heads' logits and regressions stay f32: a heatmap's low scores and the offsets need the range),
 * with a reduction that cannot overflow the kernels' i32 accumulators; and ungrouped transposed
 * convs whose kernel is at least their stride (conv-transpose-int8.ts), likewise bounded.
 */
export function int8Eligible(graph: Graph): Int8Node[] {
  const headOutputs = new Set(Object.values(graph.heads).flat());
  return graph.nodes.filter((n): n is Int8Node => {
    if (n.op === 'deconv') return n.groups === 1 && int8TransposeFits(n.kernel, n.kernel, n.cin, n.stride);
    return n.op === 'conv' && n.groups === 1 && !headOutputs.has(n.name) && n.kernel * n.kernel * int8ChannelStride(n.cin) <= MAX_INT8_REDUCTION;
  });
}

/** The parameter names a conv node owns in paramSpecs: its weight, bias and batch norm. */
function ownsParam(node: string, param: string): boolean {
  return param === `${node}.weight` || param === `${node}.bias` || param.startsWith(`${node}.bn.`);
}

/** paramSpecs with each int8 layer's own parameters replaced by its stored int8 tensors, in order. */
export function storedSpecs(graph: Graph, specs: readonly ParamSpec[], layers: ReadonlySet<string>): StoredSpec[] {
  const cout = new Map(graph.nodes.map((n) => [n.name, 'cout' in n ? n.cout : 0]));
  const out: StoredSpec[] = [];
  for (const s of specs) {
    const owner = [...layers].find((layer) => ownsParam(layer, s.name));
    if (owner === undefined) out.push({ name: s.name, shape: [...s.shape], int8: false });
    else if (s.name === `${owner}.weight`) {
      const c = cout.get(owner)!;
      out.push({ name: s.name, shape: [...s.shape], int8: true }, { name: `${owner}.weight_scale`, shape: [c], int8: false }, { name: `${owner}.bias`, shape: [c], int8: false });
    }
  }
  return out;
}

/** Parses __metadata__.int8 against the graph: every key an eligible conv, every value a usable quantisation. */
export function parseInt8Metadata(text: string, graph: Graph, where: string): Map<string, ActivationQuant> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${where}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error(`${where}: must be a JSON object { "conv node": { "scale": number, "codes": "u8" | "s8" } }`);
  const eligible = new Set(int8Eligible(graph).map((n) => n.name));
  const out = new Map<string, ActivationQuant>();
  for (const [name, q] of Object.entries(json)) {
    if (!eligible.has(name)) throw new Error(`${where}: ${JSON.stringify(name)} is not a layer the int8 kernels run (an ungrouped conv other than a head's last, or an ungrouped transposed conv with a kernel at least its stride)`);
    out.set(name, checkInputQuant(q, `${where}.${name}`));
  }
  if (out.size === 0) throw new Error(`${where}: lists no layers`);
  return out;
}

/** The JSON of __metadata__.int8 for these layers. */
export function int8Metadata(layers: ReadonlyMap<string, Int8Layer>): string {
  return JSON.stringify(Object.fromEntries([...layers].map(([name, l]) => [name, { scale: l.input.scale, codes: l.input.codes }])));
}

function checkInputQuant(q: unknown, where: string): ActivationQuant {
  const v = q as { scale?: unknown; codes?: unknown } | null;
  if (typeof q !== 'object' || v === null || Array.isArray(q)) throw new Error(`${where}: must be { "scale": number, "codes": "u8" | "s8" }, got ${JSON.stringify(q)}`);
  for (const k of Object.keys(v)) if (k !== 'scale' && k !== 'codes') throw new Error(`${where}: unknown field ${JSON.stringify(k)}`);
  if (typeof v.scale !== 'number' || !(v.scale > 0) || !Number.isFinite(v.scale) || Math.fround(v.scale) !== v.scale) {
    throw new Error(`${where}.scale must be a positive finite float32 number, got ${JSON.stringify(v.scale)}`);
  }
  if (v.codes !== 'u8' && v.codes !== 's8') throw new Error(`${where}.codes must be "u8" or "s8", got ${JSON.stringify(v.codes)}`);
  return { scale: v.scale, codes: v.codes };
}

/** The shape of a layer's weight codes: HWIO for a conv, [kh, kw, cout, cin] for a transposed conv (the layouts of their weights). */
export function int8CodesShape(node: Int8Node): [number, number, number, number] {
  return node.op === 'deconv' ? [node.kernel, node.kernel, node.cout, node.cin] : [node.kernel, node.kernel, node.cin, node.cout];
}

/** Throws unless `layer` fits `node` and holds usable values; `where` prefixes the message. */
export function checkInt8Layer(node: Int8Node, layer: Int8Layer, where: string): void {
  const shape = int8CodesShape(node);
  const size = shape[0] * shape[1] * shape[2] * shape[3];
  if (!(layer.codes instanceof Int8Array) || layer.codes.length !== size) throw new Error(`${where}: weight codes must be an Int8Array of ${size} values [${shape.join(', ')}]`);
  for (const [name, v] of [['weight_scale', layer.scales], ['bias', layer.bias]] as const) {
    if (!(v instanceof Float32Array) || v.length !== node.cout) throw new Error(`${where}: ${name} must be a Float32Array of ${node.cout} values`);
  }
  const bad = layer.codes.indexOf(-128);
  if (bad >= 0) throw new Error(`${where}: weight code ${bad} is -128; codes lie in -127..127`);
  for (let c = 0; c < node.cout; c++) {
    if (!(layer.scales[c] >= 0) || !Number.isFinite(layer.scales[c])) throw new Error(`${where}: weight_scale[${c}] is ${layer.scales[c]}; scales must be finite and >= 0`);
    if (!Number.isFinite(layer.bias[c])) throw new Error(`${where}: bias[${c}] is ${layer.bias[c]}`);
  }
  checkInputQuant(layer.input, `${where} input`);
}

/**
 * The f32 parameters that compute what the int8 layer stores (its weights dequantised): weight =
 * code * scale; the folded bias as the conv's bias, or as the batch norm's shift where the conv has
 * none; the batch norm an identity (running_var = 1 - eps, so that gamma / sqrt(var + eps) is 1).
 */
/** The names of the f32 parameters an int8 layer stands for (dequantisedParams's): its weight, bias and batch norm. */
export function dequantisedParamNames(node: Int8Node): string[] {
  const bn = node.bn ? ['weight', 'bias', 'running_mean', 'running_var'].map((p) => `${node.name}.bn.${p}`) : [];
  return [`${node.name}.weight`, ...(node.bias ? [`${node.name}.bias`] : []), ...bn];
}

export function dequantisedParams(node: Int8Node, layer: Int8Layer): Map<string, Float32Array> {
  const cout = node.cout;
  const channelOf = weightChannelOf(node.op, node.cin, cout);
  const weight = new Float32Array(layer.codes.length);
  for (let i = 0; i < weight.length; i++) weight[i] = layer.codes[i] * layer.scales[channelOf(i)];
  const out = new Map<string, Float32Array>([[`${node.name}.weight`, weight]]);
  if (node.bias) out.set(`${node.name}.bias`, layer.bias.slice());
  if (node.bn) {
    out.set(`${node.name}.bn.weight`, new Float32Array(cout).fill(1));
    out.set(`${node.name}.bn.bias`, node.bias ? new Float32Array(cout) : layer.bias.slice());
    out.set(`${node.name}.bn.running_mean`, new Float32Array(cout));
    out.set(`${node.name}.bn.running_var`, new Float32Array(cout).fill(1 - BN_EPS));
  }
  return out;
}

/** What model-file.ts needs to read int8 layers (passed in: see modelFromSafetensors). */
export interface Int8Support {
  parseMetadata(text: string, graph: Graph, where: string): Map<string, ActivationQuant>;
  storedSpecs(graph: Graph, specs: readonly ParamSpec[], layers: ReadonlySet<string>): StoredSpec[];
  /**
   * Reads and checks the layers, and puts the f32 equivalent of their parameters into `params`
   * (unless `equivalents` is false: the detector's plans run the layers from the codes).
   */
  readLayers(file: Safetensors, graph: Graph, inputs: ReadonlyMap<string, ActivationQuant>, readF32: (name: string) => Float32Array, params: Map<string, Float32Array>, equivalents?: boolean): Map<string, Int8Layer>;
}

export const INT8_SUPPORT: Int8Support = {
  parseMetadata: parseInt8Metadata,
  storedSpecs,
  readLayers(file, graph, inputs, readF32, params, equivalents = true) {
    const byName = new Map(graph.nodes.map((n) => [n.name, n]));
    const layers = new Map<string, Int8Layer>();
    for (const [name, input] of inputs) {
      const node = byName.get(name) as Int8Node;
      const layer: Int8Layer = { codes: readInt8Tensor(file, `${name}.weight`), scales: readF32(`${name}.weight_scale`), bias: readF32(`${name}.bias`), input };
      checkInt8Layer(node, layer, `${file.source}: int8 layer ${JSON.stringify(name)}`);
      layers.set(name, layer);
      if (equivalents) for (const [param, data] of dequantisedParams(node, layer)) params.set(param, data);
    }
    return layers;
  },
};
