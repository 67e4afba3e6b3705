// The model file: a safetensors file whose __metadata__.config holds the model config (JSON) and
// whose tensors are exactly the parameters paramSpecs lists for that config's graph, with the
// shapes it lists, in its order. readModelFile trusts nothing: every check below runs before the
// weights are used, and any mismatch is an Error naming the file, the tensor and the problem.

import { parseConfigJson, validateConfig, type ModelConfig } from '../model/config.js';
import { paramSpecs, type Graph } from '../model/graph.js';
import { buildGraph } from '../model/registry.js';
import { parseSafetensors, readTensor, writeSafetensors, type Dtype, type F16Decoder } from './safetensors.js';
import { checkOptionNames } from '../util/options.js';

/** The __metadata__ key holding the config JSON. */
export const CONFIG_KEY = 'config';

export interface ModelFile {
  config: ModelConfig;
  graph: Graph;
  /** Every parameter as f32, in paramSpecs order. */
  tensors: Map<string, Float32Array>;
  /** All of __metadata__ (the config JSON included, under `config`). */
  metadata: Record<string, string>;
}

export interface WriteModelOptions {
  /** Storage type of every tensor; F16 halves the file (values round to nearest even). Default F32. */
  dtype?: Dtype;
  /** Extra __metadata__ entries (e.g. training details); `config` is reserved. */
  metadata?: Record<string, string>;
}

/**
 * Serialises a model: the config (validated, normalised) into __metadata__.config, the tensors in
 * paramSpecs order. Throws if a parameter is missing, extra, the wrong size or not finite.
 */
export function writeModelFile(config: ModelConfig, tensors: ReadonlyMap<string, Float32Array>, opts: WriteModelOptions = {}): Uint8Array {
  const dtype = opts.dtype ?? 'F32';
  if (dtype !== 'F32' && dtype !== 'F16') throw new Error(`writeModelFile: dtype must be "F32" or "F16", got ${String(dtype)}`);
  const extra = opts.metadata ?? {};
  if (Object.prototype.hasOwnProperty.call(extra, CONFIG_KEY)) throw new Error(`writeModelFile: metadata key "${CONFIG_KEY}" is reserved for the model config`);
  const normalised = validateConfig(config, 'writeModelFile: config');
  const specs = paramSpecs(buildGraph(normalised));
  const wanted = new Set(specs.map((s) => s.name));
  for (const name of tensors.keys()) {
    if (!wanted.has(name)) throw new Error(`writeModelFile: tensor ${JSON.stringify(name)} is not a parameter of model ${normalised.name}`);
  }
  const list = specs.map((s) => {
    const data = tensors.get(s.name);
    if (!(data instanceof Float32Array)) throw new Error(`writeModelFile: parameter ${JSON.stringify(s.name)} [${s.shape}] is missing (or not a Float32Array)`);
    const n = s.shape.reduce((a, b) => a * b, 1);
    if (data.length !== n) throw new Error(`writeModelFile: parameter ${JSON.stringify(s.name)} has ${data.length} values but shape [${s.shape}] needs ${n}`);
    const bad = firstNonFinite(data);
    if (bad >= 0) throw new Error(`writeModelFile: parameter ${JSON.stringify(s.name)} holds ${data[bad]} at index ${bad}`);
    return { name: s.name, dtype, shape: s.shape, data };
  });
  return writeSafetensors(list, { [CONFIG_KEY]: JSON.stringify(normalised), ...extra });
}

export interface ReadModelOptions {
  /** How F16 tensors become f32 (default: in JavaScript); the detector passes its wasm kernel. */
  decodeF16?: F16Decoder;
}

/** Parses and checks a model file; `source` (the file name) prefixes every error. */
export function readModelFile(bytes: Uint8Array, source = '<bytes>', opts: ReadModelOptions = {}): ModelFile {
  checkOptionNames('readModelFile', 'opts', opts, ['decodeF16']);
  if (opts.decodeF16 !== undefined && typeof opts.decodeF16 !== 'function') throw new Error(`readModelFile: opts.decodeF16 must be a function, got ${typeof opts.decodeF16}`);
  const file = parseSafetensors(bytes, source);
  const text = file.metadata[CONFIG_KEY];
  if (text === undefined) throw new Error(`${source}: no __metadata__.${CONFIG_KEY} (the model config): not an anchorless model file`);
  const config = parseConfigJson(text, `${source} __metadata__.${CONFIG_KEY}`);
  const graph = buildGraph(config, `${source} __metadata__.${CONFIG_KEY}`);
  const specs = paramSpecs(graph);
  const wanted = new Set(specs.map((s) => s.name));
  for (const s of specs) {
    const t = file.tensors.get(s.name);
    if (!t) throw new Error(`${source}: tensor ${JSON.stringify(s.name)} [${s.shape}] is missing (${config.name} needs ${specs.length} tensors, the file has ${file.tensors.size})`);
    if (t.shape.length !== s.shape.length || t.shape.some((d, i) => d !== s.shape[i])) {
      throw new Error(`${source}: tensor ${JSON.stringify(s.name)} has shape [${t.shape}] but the model config needs [${s.shape}]`);
    }
  }
  for (const name of file.tensors.keys()) {
    // Refused rather than ignored: an unexpected tensor means the file and its config disagree.
    if (!wanted.has(name)) throw new Error(`${source}: tensor ${JSON.stringify(name)} is not a parameter of the model its config describes (${config.name})`);
  }
  const tensors = new Map<string, Float32Array>();
  for (const s of specs) {
    const data = readTensor(file, s.name, opts.decodeF16);
    const bad = firstNonFinite(data);
    if (bad >= 0) throw new Error(`${source}: tensor ${JSON.stringify(s.name)} holds ${data[bad]} at index ${bad}`);
    tensors.set(s.name, data);
  }
  return { config, graph, tensors, metadata: file.metadata };
}

function firstNonFinite(data: Float32Array): number {
  // on the bits: an all-ones exponent is infinity or NaN (one integer test per value, fast even before the JIT warms up)
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  for (let i = 0; i < bits.length; i++) if ((bits[i] & 0x7f800000) === 0x7f800000) return i;
  return -1;
}
