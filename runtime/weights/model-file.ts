// The model file: a safetensors file whose __metadata__.config holds the model config (JSON) and
// whose tensors are exactly the parameters paramSpecs lists for that config's graph, with the
// shapes it lists, in its order. readModelFile trusts nothing: every check below runs before the
// weights are used, and any mismatch is an Error naming the file, the tensor and the problem.

import { parseConfigJson, validateConfig, type ModelConfig } from '../model/config.js';
import { DCN_OFFSET_MASK, paramSpecs, type ConvNode, type Graph } from '../model/graph.js';
import { HalfFloats, type WeightData } from './half-floats.js';
import { buildGraph } from '../model/registry.js';
import { parseSafetensors, readTensor, tensorF32View, tensorHalfBits, writeSafetensors, type Dtype, type F16Decoder, type Safetensors, type TensorData } from './safetensors.js';
import { checkInt8Layer, dequantisedParamNames, int8Eligible, int8Metadata, INT8_SUPPORT, storedSpecs, type Int8Layer, type Int8Support } from './int8-model.js';
import { checkOptionNames } from '../util/options.js';
import { firstNonFinite } from '../util/finite.js';

/** The __metadata__ key holding the config JSON. */
export const CONFIG_KEY = 'config';
/** The __metadata__ key of a quantised model's int8 layers (int8-model.ts). */
export const INT8_KEY = 'int8';

export interface ModelFile<W extends WeightData = Float32Array> {
  config: ModelConfig;
  graph: Graph;
  /**
   * Every parameter as f32, in paramSpecs order (an int8 layer's as the f32 equivalent of what it
   * stores); read with `weightViews`, the conv, deconv and dcn weights are views of the file (an F16
   * file's as half bits).
   */
  tensors: Map<string, W>;
  /** The conv layers stored in int8 (`anchorless quantize`), by node name; absent in an f32 model. */
  int8?: Map<string, Int8Layer>;
  /** All of __metadata__ (the config JSON included, under `config`). */
  metadata: Record<string, string>;
}

export interface WriteModelOptions {
  /** Storage type of every tensor; F16 halves the file (values round to nearest even). Default F32. */
  dtype?: Dtype;
  /** Extra __metadata__ entries (e.g. training details); `config` and `int8` are reserved. */
  metadata?: Record<string, string>;
  /** Conv layers to store in int8 (int8-model.ts), by node name: their own entries in `tensors` are not needed and not written. */
  int8?: ReadonlyMap<string, Int8Layer>;
}

/**
 * Serialises a model: the config (validated, normalised) into __metadata__.config, the tensors in
 * paramSpecs order. Throws if a parameter is missing, extra, the wrong size or not finite.
 */
export function writeModelFile(config: ModelConfig, tensors: ReadonlyMap<string, Float32Array>, opts: WriteModelOptions = {}): Uint8Array {
  checkOptionNames('writeModelFile', 'opts', opts, ['dtype', 'metadata', 'int8']);
  const dtype = opts.dtype ?? 'F32';
  if (dtype !== 'F32' && dtype !== 'F16') throw new Error(`writeModelFile: dtype must be "F32" or "F16", got ${String(dtype)}`);
  const extra = opts.metadata ?? {};
  for (const key of [CONFIG_KEY, INT8_KEY]) {
    if (Object.prototype.hasOwnProperty.call(extra, key)) throw new Error(`writeModelFile: metadata key "${key}" is reserved (the model ${key === CONFIG_KEY ? 'config' : "file's int8 layers"})`);
  }
  const normalised = validateConfig(config, 'writeModelFile: config');
  const graph = buildGraph(normalised);
  const specs = paramSpecs(graph);
  const int8 = opts.int8 ?? new Map<string, Int8Layer>();
  if (!(int8 instanceof Map)) throw new Error('writeModelFile: opts.int8 must be a Map of conv node name -> int8 layer');
  const eligible = new Map(int8Eligible(graph).map((n) => [n.name, n]));
  for (const [name, layer] of int8) {
    const node = eligible.get(name);
    if (!node) throw new Error(`writeModelFile: int8 layer ${JSON.stringify(name)} is not a conv of model ${normalised.name} that the int8 kernels run`);
    checkInt8Layer(node, layer, `writeModelFile: int8 layer ${JSON.stringify(name)}`);
  }
  const wanted = new Set(specs.map((s) => s.name));
  for (const name of tensors.keys()) {
    if (!wanted.has(name)) throw new Error(`writeModelFile: tensor ${JSON.stringify(name)} is not a parameter of model ${normalised.name}`);
  }
  const list: TensorData[] = storedSpecs(graph, specs, new Set(int8.keys())).map((s) => {
    const layer = int8.get(s.name.slice(0, s.name.lastIndexOf('.')));
    if (layer) {
      // an int8 layer's three tensors: codes, and f32 scales and bias (too small to be worth F16's rounding)
      if (s.int8) return { name: s.name, dtype: 'I8', shape: s.shape, data: layer.codes };
      return { name: s.name, dtype: 'F32', shape: s.shape, data: s.name.endsWith('.weight_scale') ? layer.scales : layer.bias };
    }
    const data = tensors.get(s.name);
    if (!(data instanceof Float32Array)) throw new Error(`writeModelFile: parameter ${JSON.stringify(s.name)} [${s.shape}] is missing (or not a Float32Array)`);
    const n = s.shape.reduce((a, b) => a * b, 1);
    if (data.length !== n) throw new Error(`writeModelFile: parameter ${JSON.stringify(s.name)} has ${data.length} values but shape [${s.shape}] needs ${n}`);
    const bad = firstNonFinite(data);
    if (bad >= 0) throw new Error(`writeModelFile: parameter ${JSON.stringify(s.name)} holds ${data[bad]} at index ${bad}`);
    return { name: s.name, dtype, shape: s.shape, data };
  });
  const metadata = { [CONFIG_KEY]: JSON.stringify(normalised), ...(int8.size > 0 ? { [INT8_KEY]: int8Metadata(int8) } : {}), ...extra };
  return writeSafetensors(list, metadata);
}

export interface ReadModelOptions {
  /** How F16 tensors become f32 (default: in JavaScript); the detector passes its wasm kernel. */
  decodeF16?: F16Decoder;
}

/** Parses and checks a model file, f32 or int8; `source` (the file name) prefixes every error. */
export function readModelFile(bytes: Uint8Array, source = '<bytes>', opts: ReadModelOptions = {}): ModelFile {
  checkOptionNames('readModelFile', 'opts', opts, ['decodeF16']);
  if (opts.decodeF16 !== undefined && typeof opts.decodeF16 !== 'function') throw new Error(`readModelFile: opts.decodeF16 must be a function, got ${typeof opts.decodeF16}`);
  return modelFromSafetensors(parseSafetensors(bytes, source), opts, INT8_SUPPORT);
}

/**
 * readModelFile on an already parsed file, reading int8 layers with `int8` where given: the
 * detector passes it (imported dynamically) only for a file whose metadata lists int8 layers, so
 * that the bundle of a page running an f32 model does not carry the int8 reader.
 * `weightViews` (the detector's execution plans, which copy every weight into kernel memory to pack
 * it): the conv, deconv and dcn weights are views of the file's bytes, not copies: an F16 file's as
 * half bits (HalfFloats, which the packers check finite and decode in kernel memory: an infinity or
 * NaN there is an Error when a plan is built, naming the tensor), an F32 file's as f32, checked
 * finite here, where the host is little-endian and the data 4-byte aligned. Copies cost a cold start its
 * page faults and a large model its size again in memory (half-floats.ts says more); the caller
 * must keep the bytes unchanged while the model is in use. An int8 layer's parameters are then only
 * in `int8` (no f32 equivalents, which the plans would not use).
 */
export function modelFromSafetensors(file: Safetensors, opts: ReadModelOptions & { weightViews: true }, int8Support?: Int8Support): ModelFile<WeightData>;
export function modelFromSafetensors(file: Safetensors, opts: ReadModelOptions, int8Support?: Int8Support): ModelFile;
export function modelFromSafetensors(file: Safetensors, opts: ReadModelOptions & { weightViews?: boolean }, int8Support?: Int8Support): ModelFile<WeightData> {
  const source = file.source;
  const text = file.metadata[CONFIG_KEY];
  if (text === undefined) throw new Error(`${source}: no __metadata__.${CONFIG_KEY} (the model config): not an anchorless model file`);
  const config = parseConfigJson(text, `${source} __metadata__.${CONFIG_KEY}`);
  const graph = buildGraph(config, `${source} __metadata__.${CONFIG_KEY}`);
  const specs = paramSpecs(graph);
  const int8Text = file.metadata[INT8_KEY];
  if (int8Text !== undefined && !int8Support) throw new Error(`${source}: an int8 model (__metadata__.${INT8_KEY}), read without the int8 reader`);
  const inputQuant = int8Text === undefined ? undefined : int8Support!.parseMetadata(int8Text, graph, `${source} __metadata__.${INT8_KEY}`);
  const stored = inputQuant ? int8Support!.storedSpecs(graph, specs, new Set(inputQuant.keys())) : specs.map((s) => ({ ...s, int8: false }));
  const wanted = new Set(stored.map((s) => s.name));
  for (const s of stored) {
    const t = file.tensors.get(s.name);
    if (!t) throw new Error(`${source}: tensor ${JSON.stringify(s.name)} [${s.shape}] is missing (${config.name} needs ${stored.length} tensors, the file has ${file.tensors.size})`);
    if (t.shape.length !== s.shape.length || t.shape.some((d, i) => d !== s.shape[i])) {
      throw new Error(`${source}: tensor ${JSON.stringify(s.name)} has shape [${t.shape}] but the model config needs [${s.shape}]`);
    }
    if ((t.dtype === 'I8') !== s.int8) throw new Error(`${source}: tensor ${JSON.stringify(s.name)} is ${t.dtype} but must be ${s.int8 ? 'I8 (an int8 layer of __metadata__.int8)' : 'F32 or F16'}`);
  }
  for (const name of file.tensors.keys()) {
    // Refused rather than ignored: an unexpected tensor means the file and its config disagree.
    if (!wanted.has(name)) throw new Error(`${source}: tensor ${JSON.stringify(name)} is not a parameter of the model its config describes (${config.name})`);
  }
  const finite = (name: string, data: Float32Array) => {
    const bad = firstNonFinite(data);
    if (bad >= 0) throw new Error(`${source}: tensor ${JSON.stringify(name)} holds ${data[bad]} at index ${bad}`);
    return data;
  };
  const readF32 = (name: string) => finite(name, readTensor(file, name, opts.decodeF16));
  const packed = opts.weightViews ? packedWeightNames(graph) : new Set<string>();
  const readWeight = (name: string): WeightData => {
    if (!packed.has(name)) return readF32(name);
    const bits = tensorHalfBits(file, name);
    // checked finite where the packers stage them, in wasm (ops/stage-weights.ts): a cold start's JavaScript loop over them cost ~6 ms
    if (bits) return new HalfFloats(bits, bits.length / 2, `tensor ${JSON.stringify(name)}`);
    const view = tensorF32View(file, name);
    return view ? finite(name, view) : readF32(name);
  };
  const tensors = new Map<string, WeightData>();
  const views = opts.weightViews === true;
  const int8 = inputQuant && int8Support!.readLayers(file, graph, inputQuant, readF32, tensors as Map<string, Float32Array>, !views);
  // with weightViews an int8 layer's parameters are only in `int8`, from which the plans run it
  const convs = new Map(int8Eligible(graph).map((n) => [n.name, n]));
  const int8Params = new Set(views && int8 ? [...int8.keys()].flatMap((layer) => dequantisedParamNames(convs.get(layer)!)) : []);
  for (const s of specs) if (!tensors.has(s.name) && !int8Params.has(s.name)) tensors.set(s.name, readWeight(s.name));
  // paramSpecs order, as the f32 file gives it
  const ordered = new Map(specs.filter((s) => tensors.has(s.name)).map((s) => [s.name, tensors.get(s.name)!]));
  return { config, graph, tensors: ordered, ...(int8 ? { int8 } : {}), metadata: file.metadata };
}

/** The weights the execution plan's packers take: those of conv, deconv and dcn layers (and a dcn's offset-and-mask conv). */
function packedWeightNames(graph: Graph): Set<string> {
  const names = new Set<string>();
  for (const node of graph.nodes) {
    if (node.op !== 'conv' && node.op !== 'deconv' && node.op !== 'dcn') continue;
    names.add(`${node.name}.weight`);
    if (node.op === 'dcn') names.add(`${node.name}.${DCN_OFFSET_MASK}.weight`);
  }
  return names;
}
