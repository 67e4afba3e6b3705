// Small helpers both detectors' losses use: looking up a head's outputs, packing per-image target
// arrays into one batch array.

import type { Tensor4D } from '@tensorflow/tfjs-core';
import type { GraphOutputs } from '../model/tf-graph.js';

export function head(outputs: GraphOutputs, name: string): Tensor4D[] {
  const h = outputs.get(name);
  if (!h || h.length === 0) throw new Error(`loss: the model has no head ${JSON.stringify(name)} (heads: ${[...outputs.keys()].join(', ')})`);
  return h;
}

export function concat(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function concatInt(parts: readonly Int32Array[]): Int32Array {
  const out = new Int32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
