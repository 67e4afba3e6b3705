// heatmapPeaksOfLogits (the decodes' path from raw heads): exactly heatmapPeaks(sigmoid(logits)),
// scores, classes and positions, bit for bit, on maps built to stress the logit-space pre-filter:
// flat noise (many near-equal peaks), saturated logits (probabilities that round to 1 and tie),
// logits near and below the denormal floor, logits too close to tell apart in probability below
// the neighbour test's ceiling, NaN, channel counts off the 4- and 16-lane groups,
// and k beyond the number of positive peaks (the completed answer).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { heatmapPeaks, heatmapPeaksOfLogits } from '../../runtime/ops/select.js';
import { sigmoid } from '../../runtime/ops/elementwise.js';
import { loadKernels } from '../helpers/kernels.js';
import { rng } from '../helpers/random.js';

await loadKernels();

interface MapCase {
  name: string;
  h: number;
  w: number;
  c: number;
  k: number;
  kernel?: number;
  value: (r: () => number, i: number) => number;
}

const CASES: MapCase[] = [
  { name: 'background noise, 80 classes', h: 32, w: 29, c: 80, k: 100, value: (r) => -4.6 + (r() - 0.5) * 2 },
  { name: 'noise plus strong bumps, 7 classes (4-lane tail)', h: 40, w: 33, c: 7, k: 50, value: (r) => (r() < 0.01 ? 3 + 10 * r() : -6 + r()) },
  { name: 'saturated: probabilities that round to 1 tie', h: 16, w: 16, c: 20, k: 60, value: (r) => 15 + 20 * r() },
  { name: 'near and below the denormal floor', h: 12, w: 13, c: 5, k: 40, value: (r) => -70 - 60 * r() },
  { name: 'quantised logits: many exact ties', h: 20, w: 20, c: 18, k: 100, value: (r) => Math.round(r() * 8) / 2 - 3 },
  { name: 'NaN scattered, 5x5 kernel', h: 24, w: 22, c: 16, k: 30, kernel: 5, value: (r) => (r() < 0.02 ? NaN : r() * 6 - 3) },
  { name: 'k beyond the positive peaks (completed from the mask)', h: 6, w: 5, c: 3, k: 90, value: (r) => -200 + r() },
  // below the neighbour test's ceiling (8): logits apart by less than its margin round to equal
  // probabilities, so the logit-space test must leave them to the exact one
  { name: 'close logits below the ceiling: neighbours 1e-5 apart tie in probability', h: 14, w: 15, c: 8, k: 60, value: (r) => 7.9 + r() * 1e-5 },
  { name: 'slopes around bumps: most candidates beaten by a neighbour', h: 30, w: 30, c: 12, k: 40, value: (r, i) => 4 * Math.sin(i * 0.37) + r() * 0.5 },
  { name: 'one channel, smooth ramp (one peak)', h: 17, w: 19, c: 1, k: 5, value: (_, i) => i / 100 - 2 },
];

for (const c of CASES) {
  test(`heatmapPeaksOfLogits = heatmapPeaks(sigmoid): ${c.name}`, () => {
    const r = rng(c.h * 1000 + c.c);
    const logits = { data: new Float32Array(c.h * c.w * c.c).map((_, i) => c.value(r, i)), shape: [c.h, c.w, c.c] };
    const opts = { k: c.k, kernel: c.kernel ?? 3 };
    const want = heatmapPeaks(sigmoid(logits), opts);
    const got = heatmapPeaksOfLogits(logits, opts);
    for (const key of ['scores', 'classes', 'ys', 'xs'] as const) {
      const at = want[key].findIndex((v, i) => !Object.is(v, got[key][i]));
      assert.is(at, -1, `${key} differ at ${at}: ${got[key][at]} vs ${want[key][at]}`);
    }
  });
}

test.run();
