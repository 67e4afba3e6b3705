// The model-part registry (keyed by a config's `type` fields) and buildGraph: model config ->
// Graph, the single definition of every architecture that trainer/ and runtime/ both build from.

import type { ModelConfig, PartConfig } from './config.js';
import { GraphBuilder, INPUT, type Graph } from './graph.js';
import { centernetHead } from './parts/centernet-head.js';
import { cornernetHead } from './parts/cornernet-head.js';
import { cornernetSaccadeHead } from './parts/cornernet-saccade-head.js';
import { dcnDeconvNeck } from './parts/dcn-deconv-neck.js';
import { deconvNeck } from './parts/deconv-neck.js';
import { dla } from './parts/dla.js';
import { dlaUpNeck } from './parts/dla-up.js';
import { hourglass } from './parts/hourglass.js';
import { checkInt, MAX_CLASSES, ParamReader, show } from './parts/params.js';
import { resnet } from './parts/resnet.js';
import { squeezeHourglass } from './parts/squeeze-hourglass.js';
import type { BackbonePart, HeadPart, NeckPart } from './parts/types.js';
import { headChannels } from './names.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- each entry has its own parameter type */
export const registry: {
  backbones: Record<string, BackbonePart<any>>;
  necks: Record<string, NeckPart<any>>;
  heads: Record<string, HeadPart<any>>;
} = {
  backbones: { resnet, hourglass, 'squeeze-hourglass': squeezeHourglass, dla },
  necks: { deconv: deconvNeck, 'dcn-deconv': dcnDeconvNeck, 'dla-up': dlaUpNeck },
  heads: { centernet: centernetHead, cornernet: cornernetHead, 'cornernet-saccade': cornernetSaccadeHead },
};

type Kind = keyof typeof registry;

/**
 * Adds a part type (for architectures built from new parts). The same registration must run in the
 * trainer and wherever the model is deployed, or the model file will not load there.
 */
export function registerPart<K extends Kind>(kind: K, type: string, part: (typeof registry)[K][string]): void {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(type)) throw new Error(`registerPart: type must be lower-case letters, digits and dashes, got ${JSON.stringify(type)}`);
  if (Object.prototype.hasOwnProperty.call(registry[kind], type)) throw new Error(`registerPart: ${kind} type ${JSON.stringify(type)} is already registered`);
  (registry[kind] as Record<string, unknown>)[type] = part;
}

/** Looks up a part and parses its fields; `at` names it in errors (`model.json: backbone`). */
export function resolvePart<K extends Kind>(kind: K, raw: unknown, at: string): { part: (typeof registry)[K][string]; params: Record<string, unknown> } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${at} must be an object with a "type" field, got ${show(raw)}`);
  const type = (raw as PartConfig).type;
  const table = registry[kind] as Record<string, (typeof registry)[K][string]>;
  if (typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(table, type)) {
    throw new Error(`${at}.type must be one of ${Object.keys(table).map((t) => JSON.stringify(t)).join(', ')}, got ${show(type)}`);
  }
  const part = table[type];
  const reader = new ParamReader(raw as Record<string, unknown>, at);
  const params = part.parse(reader) as Record<string, unknown>;
  reader.done();
  return { part, params };
}

/**
 * The network of a model config: backbone -> neck -> head. Throws an Error naming the config field
 * when a part's parameters are wrong or the parts do not fit together; `source` prefixes errors.
 */
export function buildGraph(config: ModelConfig, source = 'model config'): Graph {
  checkInt(config.numClasses, `${source}: numClasses`, 1, MAX_CLASSES);
  const backbone = resolvePart('backbones', config.backbone, `${source}: backbone`);
  const neck = config.neck === undefined ? undefined : resolvePart('necks', config.neck, `${source}: neck`);
  const head = resolvePart('heads', config.head, `${source}: head`);
  if (head.part.detector !== config.detector) {
    throw new Error(`${source}: head.type ${JSON.stringify(config.head.type)} makes ${head.part.detector} heads but detector is ${JSON.stringify(config.detector)}`);
  }
  const b = new GraphBuilder(3);
  let x = inPart(`${source}: backbone`, () => backbone.part.build(b, INPUT, backbone.params));
  if (neck) x = inPart(`${source}: neck`, () => neck.part.build(b, x, neck.params));
  const heads = inPart(`${source}: head`, () => head.part.build(b, x, head.params, config.numClasses));
  const expected = Object.keys(headChannels(config.detector, config.numClasses));
  for (const name of expected) {
    if (heads[name]?.length !== x.features.length) throw new Error(`${source}: head part ${config.head.type} did not produce head ${name} for every stack`);
  }
  return { inputChannels: 3, stride: x.stride, sizeMultiple: x.sizeMultiple, nodes: b.nodes, heads };
}

/** Runs a part's build, prefixing its errors with the config field it came from. */
function inPart<T>(at: string, build: () => T): T {
  try {
    return build();
  } catch (e) {
    throw new Error(`${at}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Head name -> the last stack's node: what inference computes (pruneTo these). */
export function inferenceHeads(graph: Graph): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [head, nodes] of Object.entries(graph.heads)) out[head] = nodes[nodes.length - 1];
  return out;
}
