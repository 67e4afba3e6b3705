// Random but well-scaled weights for a graph: He-scaled conv weights, and batch-norm statistics
// far from the identity (so that folding is really exercised), seeded.
import { paramSpecs, type Graph } from '../../runtime/model/graph.js';
import { rng } from './random.js';

export function randomWeights(graph: Graph, seed: number): Map<string, Float32Array> {
  const r = rng(seed);
  const uniform = (lo: number, hi: number) => lo + (hi - lo) * r();
  const out = new Map<string, Float32Array>();
  for (const spec of paramSpecs(graph)) {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    const name = spec.name;
    if (name.endsWith('.running_var')) data.forEach((_, i) => (data[i] = uniform(0.5, 1.5)));
    else if (name.endsWith('.running_mean')) data.forEach((_, i) => (data[i] = uniform(-0.2, 0.2)));
    else if (/(^|\.)(bn\.)?weight$/.test(name) && spec.shape.length === 1) data.forEach((_, i) => (data[i] = uniform(0.5, 1.5)));
    else if (spec.shape.length === 1) data.forEach((_, i) => (data[i] = uniform(-0.2, 0.2)));
    else {
      // conv HWIO [kh, kw, cin/g, cout] or deconv [kh, kw, cout, cin]: fan-in scaled uniform
      const [kh, kw, a, b] = spec.shape;
      const fanIn = kh * kw * (spec.init === 'deconv-bilinear' ? b : a);
      const bound = Math.sqrt(6 / fanIn);
      data.forEach((_, i) => (data[i] = uniform(-bound, bound)));
    }
    out.set(name, data);
  }
  return out;
}
