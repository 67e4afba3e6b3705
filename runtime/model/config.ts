// The model config: the JSON that names an architecture (parts from the registry), its classes and
// its input conventions. It travels inside every weight file (__metadata__.config), so it is
// untrusted input: validateConfig checks every field and says which one is wrong.

import { checkPairScore, type PairScore } from '../decode/options.js';
import { checkInt, MAX_CLASSES, show } from './parts/params.js';
import { inferShapes, type Graph } from './graph.js';
import { buildGraph, resolvePart } from './registry.js';
import { DETECTORS, MODEL_FORMAT, outputNamesOf, type Detector } from './names.js';

/** A part: `type` picks it from the registry, the other fields are its parameters. */
export interface PartConfig {
  type: string;
  [field: string]: unknown;
}

/** Decode defaults stored with the model (the runtime's options override them). */
export interface DecodeConfig {
  /** Peaks (CenterNet: detections; CornerNet: corners per corner type) kept by top-K. */
  k: number;
  /** Max-pool window of the heatmap peak extraction (odd). */
  kernel: number;
  /** CornerNet only: largest |tl_tag - br_tag| of a corner pair. */
  aeThreshold?: number;
  /** CornerNet only: corner pairs kept after scoring. */
  numDets?: number;
  /**
   * CornerNet only: a corner pair's score from its two corner scores: 'mean' (the official
   * (tl + br) / 2, the default) or 'geometric' (sqrt(tl * br): a strong corner paired with a weak
   * one ranks low, where the mean ranks it above pairs of two moderate corners).
   */
  pairScore?: PairScore;
}

export interface ModelConfig {
  format: typeof MODEL_FORMAT;
  name: string;
  detector: Detector;
  backbone: PartConfig;
  neck?: PartConfig;
  head: PartConfig;
  numClasses: number;
  /** One per class, index = class id (heatmap channel). */
  labels: string[];
  /**
   * [height, width] the model was trained at and detect() resizes to: any size the graph computes
   * (preferably multiples of its sizeMultiple; 511x511, 128k - 1, for the official CornerNets).
   */
  inputSize: [number, number];
  /**
   * Multi-size test: the input sizes detect() runs each image at by default, their detections
   * merged as testMerge says. `train` sets it when merging sizes scores better on --val than any
   * one size; absent, detect() runs inputSize alone.
   */
  testSizes?: [number, number][];
  /**
   * How detect() merges the detections of several runs of an image (testSizes, or the detector's
   * inputSizes or scales): 'soft-nms' (absent: per-class soft-NMS, as CenterNet merges its
   * multi-scale test) or 'wbf' (weighted boxes fusion, decode/box-fusion.ts; `train` writes it).
   */
  testMerge?: TestMerge;
  /** Per-channel normalisation of 0..1 pixel values, (x - mean) / std, in RGB order. */
  mean: [number, number, number];
  std: [number, number, number];
  decode?: DecodeConfig;
  /**
   * Head -> the name detector.infer gives its output, where it differs from the detector's
   * official default (names.ts OFFICIAL_OUTPUT_NAMES): CornerNet-Lite's `tl_offs`, `br_offs`.
   */
  outputNames?: Record<string, string>;
}

const TOP_LEVEL = ['format', 'name', 'detector', 'backbone', 'neck', 'head', 'numClasses', 'labels', 'inputSize', 'testSizes', 'testMerge', 'mean', 'std', 'decode', 'outputNames'];
const MAX_SIDE = 16384;

export const DECODE_DEFAULTS: Record<Detector, DecodeConfig> = {
  centernet: { k: 100, kernel: 3 },
  cornernet: { k: 100, kernel: 3, aeThreshold: 0.5, numDets: 1000, pairScore: 'mean' },
};

/**
 * Checks an untrusted value (parsed JSON) and returns the normalised config: part parameters and
 * decode settings with their defaults filled in, fields in a fixed order. Builds the graph to
 * check that the parts fit together and that inputSize suits it. Errors start with `source`.
 */
export function validateConfig(raw: unknown, source: string): ModelConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${source}: model config must be a JSON object, got ${show(raw)}`);
  const o = raw as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!TOP_LEVEL.includes(key)) throw new Error(`${source}: unknown field ${JSON.stringify(key)} (known: ${TOP_LEVEL.join(', ')})`);
  }
  const at = (field: string) => `${source}: ${field}`;
  if (o.format !== MODEL_FORMAT) throw new Error(`${at('format')} must be ${JSON.stringify(MODEL_FORMAT)}, got ${show(o.format)}`);
  if (typeof o.name !== 'string' || o.name.length === 0 || o.name.length > 200) throw new Error(`${at('name')} must be a non-empty string of at most 200 characters, got ${show(o.name)}`);
  if (typeof o.detector !== 'string' || !DETECTORS.includes(o.detector as Detector)) {
    throw new Error(`${at('detector')} must be one of ${DETECTORS.map((d) => JSON.stringify(d)).join(', ')}, got ${show(o.detector)}`);
  }
  const detector = o.detector as Detector;
  const numClasses = checkInt(o.numClasses, at('numClasses'), 1, MAX_CLASSES);
  if (!Array.isArray(o.labels)) throw new Error(`${at('labels')} must be an array of ${numClasses} strings, got ${show(o.labels)}`);
  if (o.labels.length !== numClasses) throw new Error(`${at('labels')} has ${o.labels.length} entries but numClasses is ${numClasses}`);
  const labels = o.labels.map((l, i) => {
    if (typeof l !== 'string' || l.length === 0) throw new Error(`${at(`labels[${i}]`)} must be a non-empty string, got ${show(l)}`);
    return l;
  });
  const inputSize = tuple(o.inputSize, at('inputSize'), 2, (v, w) => checkInt(v, w, 1, MAX_SIDE)) as [number, number];
  const mean = tuple(o.mean, at('mean'), 3, (v, w) => finite(v, w, -1e6, 1e6)) as [number, number, number];
  const std = tuple(o.std, at('std'), 3, (v, w) => finite(v, w, 1e-12, 1e6)) as [number, number, number];

  const backbone = { type: (o.backbone as PartConfig)?.type, ...resolvePart('backbones', o.backbone, at('backbone')).params } as PartConfig;
  const neck = o.neck === undefined ? undefined : ({ type: (o.neck as PartConfig)?.type, ...resolvePart('necks', o.neck, at('neck')).params } as PartConfig);
  const head = { type: (o.head as PartConfig)?.type, ...resolvePart('heads', o.head, at('head')).params } as PartConfig;
  const decode = parseDecode(o.decode, detector, at('decode'));

  const config: ModelConfig = { format: MODEL_FORMAT, name: o.name, detector, backbone, ...(neck ? { neck } : {}), head, numClasses, labels, inputSize, mean, std, decode };
  const graph = buildGraph(config, source);
  try {
    inferShapes(graph, inputSize[0], inputSize[1]);
  } catch (e) {
    throw new Error(`${at('inputSize')} [${inputSize}] does not fit this architecture (output stride ${graph.stride}): ${(e as Error).message}`);
  }
  if (o.testSizes !== undefined) config.testSizes = parseTestSizes(o.testSizes, graph, at('testSizes'));
  if (o.testMerge !== undefined) config.testMerge = checkTestMerge(o.testMerge, at('testMerge'));
  if (o.outputNames !== undefined) config.outputNames = parseOutputNames(o.outputNames, detector, Object.keys(graph.heads), at('outputNames'));
  return config;
}

/** How the runs of a multi-size (or multi-scale) test are merged: ModelConfig.testMerge. */
export type TestMerge = 'soft-nms' | 'wbf';
const TEST_MERGES: readonly TestMerge[] = ['soft-nms', 'wbf'];

/** v as a TestMerge, else an Error `${where} must be 'soft-nms' or 'wbf', got ...` (the config's and the detector's check). */
export function checkTestMerge(v: unknown, where: string): TestMerge {
  if (!TEST_MERGES.includes(v as TestMerge)) throw new Error(`${where} must be 'soft-nms' or 'wbf', got ${show(v)}`);
  return v as TestMerge;
}

/** Most sizes one multi-size test may run: each is a whole network run. */
export const MAX_TEST_SIZES = 4;

/** testSizes: 2..MAX_TEST_SIZES distinct [height, width] pairs, each one the graph computes. */
function parseTestSizes(raw: unknown, graph: Graph, at: string): [number, number][] {
  if (!Array.isArray(raw) || raw.length < 2 || raw.length > MAX_TEST_SIZES) {
    throw new Error(`${at} must be an array of 2 to ${MAX_TEST_SIZES} [height, width] pairs, got ${show(raw)}`);
  }
  const seen = new Set<string>();
  return raw.map((v, i) => {
    const size = tuple(v, `${at}[${i}]`, 2, (x, w) => checkInt(x, w, 1, MAX_SIDE)) as [number, number];
    if (seen.has(`${size}`)) throw new Error(`${at}[${i}] [${size}] is listed twice`);
    seen.add(`${size}`);
    try {
      inferShapes(graph, size[0], size[1]);
    } catch (e) {
      throw new Error(`${at}[${i}] [${size}] does not fit this architecture (output stride ${graph.stride}): ${(e as Error).message}`);
    }
    return size;
  });
}

/** JSON.parse with an Error naming the file, then validateConfig. */
export function parseConfigJson(text: string, source: string): ModelConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`${source}: model config is not valid JSON (${(e as Error).message})`);
  }
  return validateConfig(raw, source);
}

/** The decode settings of a config, defaults filled in for the detector. */
export function decodeSettings(config: ModelConfig): DecodeConfig {
  return { ...DECODE_DEFAULTS[config.detector], ...config.decode };
}

function parseDecode(raw: unknown, detector: Detector, at: string): DecodeConfig {
  const d = { ...DECODE_DEFAULTS[detector] };
  if (raw === undefined) return d;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${at} must be an object, got ${show(raw)}`);
  const known = Object.keys(d);
  for (const [key, v] of Object.entries(raw)) {
    if (!known.includes(key)) {
      const cornerOnly = key in DECODE_DEFAULTS.cornernet;
      throw new Error(`${at}.${key}: ${cornerOnly ? `applies to cornernet models only` : `unknown field (known: ${known.join(', ')})`}`);
    }
    if (key === 'aeThreshold') d.aeThreshold = finite(v, `${at}.aeThreshold`, 0, 1e6);
    else if (key === 'k') d.k = checkInt(v, `${at}.k`, 1, 10000);
    else if (key === 'numDets') d.numDets = checkInt(v, `${at}.numDets`, 1, 1e6);
    else if (key === 'pairScore') d.pairScore = checkPairScore(`${at}.pairScore`, v, show(v));
    else if (key === 'kernel') {
      d.kernel = checkInt(v, `${at}.kernel`, 1, 15);
      if (d.kernel % 2 === 0) throw new Error(`${at}.kernel must be odd (a window centred on the peak), got ${d.kernel}`);
    }
  }
  return d;
}

/** Known heads only, non-empty names, and no two heads with one name once the defaults are filled in. */
function parseOutputNames(raw: unknown, detector: Detector, heads: string[], at: string): Record<string, string> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${at} must be an object { head: name }, got ${show(raw)}`);
  const names: Record<string, string> = {};
  for (const [head, name] of Object.entries(raw)) {
    if (!heads.includes(head)) throw new Error(`${at}.${head}: unknown head (heads: ${heads.join(', ')})`);
    if (typeof name !== 'string' || name.length === 0 || name.length > 200) throw new Error(`${at}.${head} must be a non-empty string of at most 200 characters, got ${show(name)}`);
    names[head] = name;
  }
  const seen = new Map<string, string>();
  for (const [head, name] of Object.entries(outputNamesOf(detector, heads, names))) {
    const other = seen.get(name);
    if (other !== undefined) throw new Error(`${at}: heads ${other} and ${head} would both be named ${JSON.stringify(name)}`);
    seen.set(name, head);
  }
  return names;
}

function tuple(v: unknown, where: string, n: number, check: (x: unknown, where: string) => number): number[] {
  if (!Array.isArray(v) || v.length !== n) throw new Error(`${where} must be an array of ${n} numbers, got ${show(v)}`);
  return v.map((x, i) => check(x, `${where}[${i}]`));
}

function finite(v: unknown, where: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw new Error(`${where} must be a number in [${min}, ${max}], got ${show(v)}`);
  return v;
}
