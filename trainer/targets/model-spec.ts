// The loader's target spec for a model: its detector's targets, for CornerNet-Saccade the attention
// maps' geometry, read off the graph's head shapes, and for the CornerNet-Lite presets that code's
// Gaussian radius.
import type { ModelConfig } from '../../runtime/model/config.js';
import type { Graph, NodeShape } from '../../runtime/model/graph.js';
import { attentionHeads } from '../../runtime/model/parts/cornernet-saccade-head.js';
import type { TargetSpec } from '../data/target-spec.js';

/** Presets the official CornerNet-Lite code trains, with its corrected gaussian_radius. */
export const CORNERNET_LITE_PRESETS: readonly string[] = ['cornernet-squeeze', 'cornernet-saccade'];

export function modelTargetSpec(config: ModelConfig, graph: Graph, shapes: ReadonlyMap<string, NodeShape>): TargetSpec {
  const attention = attentionHeads(graph.heads);
  const radius = CORNERNET_LITE_PRESETS.includes(config.name) ? { radius: 'cornernet-lite' as const } : {};
  if (attention.length === 0) return { kind: config.detector, numClasses: config.numClasses, ...radius };
  const [inH, inW] = config.inputSize;
  const sizes: [number, number][] = [];
  const strides: number[] = [];
  for (const name of attention) {
    const { h, w } = shapes.get(graph.heads[name][0])!;
    // the level's true stride (16, 8, 4 officially): 255 / 16 = 15.9 in pixels of an odd input size
    const stride = Math.round(inH / h);
    if (Math.round(inW / w) !== stride) throw new Error(`train: attention head ${name} is ${h} x ${w} on a ${inH} x ${inW} input: not one stride on both axes`);
    sizes.push([h, w]);
    strides.push(stride);
  }
  return { kind: 'cornernet-saccade', numClasses: config.numClasses, attention: { sizes, strides }, ...radius };
}
