// What both detectors' losses use: looking up a head's outputs.

import type { Tensor4D } from '@tensorflow/tfjs-core';
import type { GraphOutputs } from '../model/tf-graph.js';

export function head(outputs: GraphOutputs, name: string): Tensor4D[] {
  const h = outputs.get(name);
  if (!h || h.length === 0) throw new Error(`loss: the model has no head ${JSON.stringify(name)} (heads: ${[...outputs.keys()].join(', ')})`);
  return h;
}
