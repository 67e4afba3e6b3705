// The CenterNet decode on the acceptance line's size: an 80 x 128 x 128 heatmap (a 512x512 input's
// heads), k = 100: 3x3 peaks + top-K + boxes, from logits (the network's heads, sigmoid included)
// and from probabilities; median of many runs, with the parts timed alone. Goal: <= 2 ms.
// The heatmap looks like a trained one: mostly background (sigmoid ~ 0.01) with a few hundred
// bumps, so the top-K threshold rises quickly, as on real images.
import os from 'node:os';
import { loadAverage } from './load-average.js';
import { decodeCenterNet } from '../runtime/decode/index.js';
import * as ops from '../runtime/ops/index.js';
import { init } from '../runtime/wasm/loader.js';
import { rng } from '../test/helpers/random.js';

const [C, H, W, K] = [80, 128, 128, 100];
const RUNS = 41;

function heatmapLogits(seed: number): Float32Array {
  const r = rng(seed);
  const heat = new Float32Array(H * W * C);
  for (let i = 0; i < heat.length; i++) heat[i] = -4.6 + (r() - 0.5) * 2;
  for (let b = 0; b < 300; b++) {
    const [cy, cx, c] = [Math.floor(r() * H), Math.floor(r() * W), Math.floor(r() * C)];
    const peak = 6 * r();
    for (let y = Math.max(0, cy - 3); y < Math.min(H, cy + 4); y++) {
      for (let x = Math.max(0, cx - 3); x < Math.min(W, cx + 4); x++) {
        heat[(y * W + x) * C + c] += peak * Math.exp(-((y - cy) ** 2 + (x - cx) ** 2) / 4);
      }
    }
  }
  return heat;
}

/** Medians of wall time and of this process's CPU time (what a loaded machine's waiting does not inflate). */
function median(f: () => unknown): { wall: number; cpu: number } {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const c = process.cpuUsage();
    const t = performance.now();
    f();
    wall.push(performance.now() - t);
    const used = process.cpuUsage(c);
    cpu.push((used.user + used.system) / 1000);
  }
  const mid = (xs: number[]) => xs.sort((a, b) => a - b)[RUNS >> 1];
  return { wall: mid(wall), cpu: mid(cpu) };
}

export async function run(): Promise<void> {
  await init();
  const logits = { data: heatmapLogits(1), shape: [1, H, W, C] };
  const probs = ops.sigmoid(logits);
  const random = rng(2);
  const wh = { data: new Float32Array(H * W * 2).map(() => 4 + random() * 20), shape: [1, H, W, 2] };
  const offset = { data: new Float32Array(H * W * 2).map(() => random()), shape: [1, H, W, 2] };
  const rows = [
    { step: 'decodeCenterNet from logits (sigmoid + peaks + top-K + boxes)', ms: median(() => decodeCenterNet({ heatmap: logits, wh, offset }, { k: K })) },
    { step: 'decodeCenterNet from probabilities (peaks + top-K + boxes)', ms: median(() => decodeCenterNet({ heatmap: probs, wh, offset }, { k: K, logits: false })) },
    { step: 'ops.sigmoid alone (copy in, sigmoid, copy out)', ms: median(() => ops.sigmoid(logits)) },
    { step: 'ops.heatmapPeaks alone (copy in, peaks + top-K)', ms: median(() => ops.heatmapPeaks(probs, { k: K })) },
  ];
  console.log(`CenterNet decode, heatmap ${C}x${H}x${W}, k = ${K}, median of ${RUNS}; load average ${loadAverage()} on ${os.availableParallelism()} cores; goal <= 2 ms`);
  console.table(rows.map((r) => ({ step: r.step, 'p50 ms': r.ms.wall.toFixed(2), 'p50 CPU ms': r.ms.cpu.toFixed(2) })));
}
