// Official PyTorch checkpoint -> anchorless model: the part of the import every family shares.
// The family is recognised from the state dict's keys, its config read from the shapes
// (./family.ts), then every official tensor is renamed, transposed to the anchorless layout and
// checked against paramSpecs of the graph that config builds: each tensor used exactly once, each
// parameter filled, every shape as the graph needs it. Any mismatch is an Error naming the keys.
//
// Channel order: the official models read OpenCV's BGR images, anchorless preprocesses RGB. The
// import reverses the input channels of the convs that read the network input, so an imported
// model is right for RGB images with the RGB mean/std of its config (the official BGR values,
// reversed): (conv_w_bgr * bgr) == (reversed conv_w * rgb). A raw tensor in the official BGR
// channel order must have its channels reversed before it goes through an imported model.

import { validateConfig, type ModelConfig } from '../model/config.js';
import { INPUT, paramSpecs, type Graph, type ParamSpec } from '../model/graph.js';
import { buildGraph } from '../model/registry.js';
import { readStateDict, tensorToFloat32 } from '../weights/torch/index.js';
import type { OfficialFamily, ShapeMap } from './family.js';
import { OFFICIAL_FAMILIES } from './families/index.js';
import { firstNonFinite } from '../util/finite.js';

/** The DataParallel wrapper's prefix on every key of the CornerNet checkpoints. */
const DATA_PARALLEL_PREFIX = 'module.';
/** BatchNorm's step counter (PyTorch >= 0.4.1): training state, not a weight. */
const BATCH_COUNTER = 'num_batches_tracked';
/** How many keys an Error lists before it says "and N more". */
const LISTED = 5;

export interface ImportedModel {
  /** The family's name (`centernet-hg`, `cornernet-lite`, ...). */
  family: string;
  /** The validated config: architecture read from the shapes, official decode settings and input size. */
  config: ModelConfig;
  /** Every parameter of the config's graph (paramSpecs order), in the anchorless layouts. */
  weights: Map<string, Float32Array>;
  /** Official keys deliberately not imported (unused at test time, e.g. DLA's `base.fc.*`). */
  skipped: string[];
}

/** A state-dict tensor as float32, row-major in the official layout. */
export interface StateDictTensor {
  shape: readonly number[];
  data: Float32Array;
}

/** Where each official tensor goes: the result of reading keys and shapes only. */
export interface ImportPlan {
  family: OfficialFamily;
  config: ModelConfig;
  graph: Graph;
  specs: ParamSpec[];
  /** Official key as in the file (prefix and all) -> the anchorless parameter it fills. */
  moves: { key: string; spec: ParamSpec }[];
  skipped: string[];
}

const IMPORT_OPTIONS = ['source'];

/**
 * Reads an official PyTorch checkpoint (`.pth` / `.pkl`, zip or legacy format) and returns the
 * anchorless model it holds. `opts.source` (the file name) prefixes every Error.
 */
export function importCheckpoint(bytes: Uint8Array, opts: { source: string }): ImportedModel {
  const source = checkOptions(opts);
  if (!(bytes instanceof Uint8Array)) throw new Error(`importCheckpoint: ${source}: expected the file contents as a Uint8Array, got ${describe(bytes)}`);
  const dict = readStateDict(bytes, source);
  const shapes = new Map<string, readonly number[]>();
  for (const [key, t] of dict.tensors) shapes.set(key, t.shape);
  const plan = planImport(shapes, source);
  // only the tensors that are imported are converted (num_batches_tracked is int64)
  return applyPlan(plan, source, (key) => {
    const t = dict.tensors.get(key)!;
    return { shape: t.shape, data: tensorToFloat32(t, `${source}: ${key}`) };
  });
}

/** importCheckpoint for a state dict already in memory (official keys, float32 tensors). */
export function importStateDict(tensors: ReadonlyMap<string, StateDictTensor>, source: string): ImportedModel {
  if (!(tensors instanceof Map)) throw new Error(`importStateDict: tensors must be a Map of key -> { shape, data }, got ${describe(tensors)}`);
  if (typeof source !== 'string' || source === '') throw new Error(`importStateDict: source must be a non-empty string (the checkpoint's name), got ${describe(source)}`);
  const shapes = new Map<string, readonly number[]>();
  for (const [key, t] of tensors) {
    if (typeof t !== 'object' || t === null || !Array.isArray(t.shape) || !(t.data instanceof Float32Array)) {
      throw new Error(`${source}: key ${key} must be { shape: number[], data: Float32Array }, got ${describe(t)}`);
    }
    shapes.set(key, t.shape);
  }
  return applyPlan(planImport(shapes, source), source, (key) => tensors.get(key)!);
}

/**
 * The import from keys and shapes alone: the family, its config, and where every tensor goes,
 * with every check of the import but the values' (a dry run, also for full-size key lists).
 */
export function planImport(fileShapes: ShapeMap, source: string): ImportPlan {
  const shapes = new Map<string, readonly number[]>();
  const original = new Map<string, string>();
  for (const [key, shape] of fileShapes) {
    if (key === BATCH_COUNTER || key.endsWith(`.${BATCH_COUNTER}`)) continue;
    const name = key.startsWith(DATA_PARALLEL_PREFIX) ? key.slice(DATA_PARALLEL_PREFIX.length) : key;
    const twin = original.get(name);
    if (twin !== undefined) throw new Error(`${source}: keys ${twin} and ${key} are the same once the DataParallel prefix "${DATA_PARALLEL_PREFIX}" is removed`);
    original.set(name, key);
    shapes.set(name, shape);
  }
  if (shapes.size === 0) throw new Error(`${source}: the state dict holds no weights (${fileShapes.size} keys, none a weight)`);

  const family = detectFamily(shapes, source);
  const where = `${source}: ${family.name}`;
  const config = validateConfig(family.config(shapes, source), `${where}: config`);
  const graph = buildGraph(config, `${where}: config`);
  const specs = paramSpecs(graph);
  const byName = new Map(specs.map((s) => [s.name, s]));

  const filledBy = new Map<string, string>();
  const moves: ImportPlan['moves'] = [];
  const skipped: string[] = [];
  const unmatched: string[] = [];
  for (const [name, shape] of shapes) {
    const key = original.get(name)!;
    const target = family.rename(name);
    if (target === null) {
      skipped.push(key);
      continue;
    }
    const spec = target === undefined ? undefined : byName.get(target);
    if (!spec) {
      unmatched.push(target === undefined ? key : `${key} (as ${target})`);
      continue;
    }
    const earlier = filledBy.get(spec.name);
    if (earlier !== undefined) throw new Error(`${where}: keys ${earlier} and ${key} both map to parameter ${spec.name}`);
    filledBy.set(spec.name, key);
    const wanted = officialShape(spec.shape);
    if (!sameShape(shape, wanted)) {
      throw new Error(`${where}: key ${key} has shape [${shape}] but parameter ${spec.name} of the model read from the shapes needs [${wanted}] (anchorless layout [${spec.shape}])`);
    }
    moves.push({ key, spec });
  }
  if (unmatched.length > 0) {
    throw new Error(`${where}: ${unmatched.length} key${unmatched.length === 1 ? '' : 's'} of the checkpoint match no parameter of the model read from its shapes: ${list(unmatched)}`);
  }
  const missing = specs.filter((s) => !filledBy.has(s.name)).map((s) => s.name);
  if (missing.length > 0) {
    throw new Error(`${where}: ${missing.length} parameter${missing.length === 1 ? '' : 's'} of the model read from its shapes ${missing.length === 1 ? 'is' : 'are'} not in the checkpoint: ${list(missing)}`);
  }
  return { family, config, graph, specs, moves, skipped };
}

/** The official families, for messages and help: `name (published files)`. */
export function describeFamilies(families: readonly OfficialFamily[] = OFFICIAL_FAMILIES): string {
  return families.map((f) => `${f.name} (${f.published})`).join(', ');
}

function detectFamily(shapes: ShapeMap, source: string): OfficialFamily {
  const found = OFFICIAL_FAMILIES.filter((f) => f.matches(shapes));
  if (found.length === 1) return found[0];
  if (found.length > 1) {
    throw new Error(`${source}: the keys fit several checkpoint families (${found.map((f) => f.name).join(', ')}); the importer cannot tell which`);
  }
  const keys = [...shapes.keys()];
  throw new Error(`${source}: not a checkpoint of a known family; its keys ${list(keys)} match none of ${describeFamilies()}`);
}

function applyPlan(plan: ImportPlan, source: string, read: (key: string) => StateDictTensor): ImportedModel {
  const where = `${source}: ${plan.family.name}`;
  const filled = new Map<string, Float32Array>();
  for (const { key, spec } of plan.moves) {
    const t = read(key);
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (t.data.length !== n) throw new Error(`${where}: key ${key} has shape [${t.shape}] (${n} values) but holds ${t.data.length} values`);
    const bad = firstNonFinite(t.data);
    if (bad >= 0) throw new Error(`${where}: key ${key} holds ${t.data[bad]} at index ${bad}`);
    filled.set(spec.name, t.shape.length === 4 ? transpose2310(t.data, t.shape) : t.data.slice());
  }
  for (const name of inputConvWeights(plan.graph)) {
    const w = filled.get(name);
    if (w) reverseInputChannels(w, plan.specs.find((s) => s.name === name)!.shape, plan.graph.inputChannels);
  }
  // paramSpecs order, as a model file stores them
  const weights = new Map(plan.specs.map((s) => [s.name, filled.get(s.name)!]));
  return { family: plan.family.name, config: plan.config, weights, skipped: plan.skipped };
}

/** The official shape of a parameter: 4-D anchorless [a, b, c, d] came from [d, c, a, b]. */
function officialShape(shape: readonly number[]): number[] {
  return shape.length === 4 ? [shape[3], shape[2], shape[0], shape[1]] : [...shape];
}

/**
 * The (2, 3, 1, 0) transpose: Conv2d [out, in/g, kh, kw] -> HWIO [kh, kw, in/g, out];
 * ConvTranspose2d [in, out/g, kh, kw] -> [kh, kw, out/g, in].
 */
export function transpose2310(src: Float32Array, shape: readonly number[]): Float32Array {
  const [a, b, kh, kw] = shape;
  const out = new Float32Array(src.length);
  for (let i = 0; i < a; i++) {
    for (let j = 0; j < b; j++) {
      const from = (i * b + j) * kh * kw;
      for (let y = 0; y < kh; y++) {
        for (let x = 0; x < kw; x++) out[((y * kw + x) * b + j) * a + i] = src[from + y * kw + x];
      }
    }
  }
  return out;
}

/** Weights of the convs that read the network input (their channels are the image's). */
function inputConvWeights(graph: Graph): string[] {
  return graph.nodes.filter((n) => (n.op === 'conv' || n.op === 'dcn') && n.inputs.includes(INPUT)).map((n) => `${n.name}.weight`);
}

/** BGR -> RGB: reverses axis 2 of an HWIO weight [kh, kw, channels, cout] in place. */
function reverseInputChannels(w: Float32Array, shape: readonly number[], channels: number): void {
  const [kh, kw, cin, cout] = shape;
  if (cin !== channels) return; // a grouped input conv: no whole-image channel axis to reverse
  for (let t = 0; t < kh * kw; t++) {
    for (let c = 0; c < cin >> 1; c++) {
      const p = (t * cin + c) * cout;
      const q = (t * cin + (cin - 1 - c)) * cout;
      for (let o = 0; o < cout; o++) {
        const v = w[p + o];
        w[p + o] = w[q + o];
        w[q + o] = v;
      }
    }
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function list(names: readonly string[]): string {
  const head = names.slice(0, LISTED).join(', ');
  return names.length > LISTED ? `${head} and ${names.length - LISTED} more` : head;
}

function checkOptions(opts: unknown): string {
  if (typeof opts !== 'object' || opts === null) throw new Error(`importCheckpoint: options must be an object { source }, got ${describe(opts)}`);
  for (const key of Object.keys(opts)) {
    if (!IMPORT_OPTIONS.includes(key)) throw new Error(`importCheckpoint: unknown option ${JSON.stringify(key)} (options: ${IMPORT_OPTIONS.join(', ')})`);
  }
  const source = (opts as { source?: unknown }).source;
  if (typeof source !== 'string' || source === '') throw new Error(`importCheckpoint: options.source must be a non-empty string (the checkpoint's name), got ${describe(source)}`);
  return source;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return v.constructor?.name ?? 'an object';
  return typeof v;
}
