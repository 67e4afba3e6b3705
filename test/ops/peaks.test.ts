import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadKernels } from '../helpers/kernels.js';
import { specKernels } from '../helpers/spec-kernels.js';
import { randomF32, rng } from '../helpers/random.js';
import { heatmapPeaks, heatmapPeaksAt } from '../../runtime/ops/select.js';
import { contractCases, f32Of, Guarded, i32Of, sameValues, shapeOf } from './pool-helpers.js';

/**
 * DESIGN.md / the official decode, spelled out: masked = heat where heat equals the max of its
 * kernel x kernel neighbourhood (-infinity padding), else 0; then the top k of the masked map by
 * (score descending, flat NHWC index ascending).
 */
function reference(heat: Float32Array, h: number, w: number, c: number, k: number, kernel: number) {
  const r = (kernel - 1) / 2;
  const cells: { s: number; i: number }[] = [];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let ch = 0; ch < c; ch++) {
        const i = (y * w + x) * c + ch;
        let m = -Infinity;
        for (let yy = y - r; yy <= y + r; yy++) {
          for (let xx = x - r; xx <= x + r; xx++) {
            if (yy >= 0 && yy < h && xx >= 0 && xx < w) m = Math.max(m, heat[(yy * w + xx) * c + ch]);
          }
        }
        cells.push({ s: heat[i] === m ? heat[i] : 0, i });
      }
    }
  }
  cells.sort((a, b) => (a.s === b.s ? a.i - b.i : b.s - a.s));
  const top = cells.slice(0, k);
  return {
    scores: top.map((t) => t.s),
    classes: top.map((t) => t.i % c),
    ys: top.map((t) => Math.floor(t.i / c / w)),
    xs: top.map((t) => Math.floor(t.i / c) % w),
  };
}

/** Heatmaps of several kinds: dense random, a few blobs on a low background, ties, plateaus. */
function heatmap(kind: string, h: number, w: number, c: number, seed: number): Float32Array {
  const n = h * w * c;
  const r = rng(seed);
  const v = randomF32(n, seed, 0, 1);
  switch (kind) {
    case 'blobs': {
      for (let i = 0; i < n; i++) v[i] *= 0.05;
      for (let b = 0; b < 6; b++) {
        const cy = r() * h;
        const cx = r() * w;
        const ch = Math.floor(r() * c);
        const peak = 0.3 + 0.7 * r();
        for (let y = 0; y < h; y++) {
          for (let x = 0; x < w; x++) {
            const g = peak * Math.exp(-((y - cy) ** 2 + (x - cx) ** 2) / 4);
            const i = (y * w + x) * c + ch;
            v[i] = Math.max(v[i], g);
          }
        }
      }
      return v;
    }
    case 'ties':
      for (let i = 0; i < n; i++) v[i] = Math.floor(v[i] * 3) / 4; // 0, 0.25, 0.5: plateaus and zeros
      return v;
    case 'constant':
      return v.fill(0.5);
    case 'zeros':
      return v.fill(0);
    case 'signed':
      for (let i = 0; i < n; i++) v[i] = v[i] * 8 - 6; // logits-like: mostly negative
      return v;
    case 'nan':
      for (let i = 0; i < n; i++) if (r() < 0.05) v[i] = NaN;
      return v;
    default:
      return v;
  }
}

const kinds = ['random', 'blobs', 'ties', 'constant', 'zeros', 'signed', 'nan'];

test('heatmapPeaks equals the masked-map top-K definition over kinds of heatmaps, kernels and k', async () => {
  await loadKernels();
  let seed = 1;
  for (const [h, w, c] of [[1, 1, 1], [5, 7, 1], [6, 5, 3], [9, 8, 4], [7, 6, 5], [8, 9, 16], [5, 6, 17], [12, 10, 20], [6, 4, 80]]) {
    for (const kind of kinds) {
      for (const kernel of [1, 3, 5]) {
        const heat = heatmap(kind, h, w, c, seed++);
        for (const k of new Set([1, Math.min(7, h * w * c), Math.min(100, h * w * c), h * w * c])) {
          const ours = heatmapPeaks({ data: heat, shape: [1, h, w, c] }, { k, kernel });
          const ref = reference(heat, h, w, c, k, kernel);
          const label = `[${h},${w},${c}] ${kind} kernel=${kernel} k=${k}`;
          assert.is(sameValues(ours.scores, ref.scores), undefined, `${label} scores`);
          assert.is(sameValues(ours.classes, ref.classes), undefined, `${label} classes`);
          assert.is(sameValues(ours.ys, ref.ys), undefined, `${label} ys`);
          assert.is(sameValues(ours.xs, ref.xs), undefined, `${label} xs`);
        }
      }
    }
  }
});

test('heatmapPeaks on a realistic 80-class map: fused path, equal to the definition', async () => {
  await loadKernels();
  const [h, w, c] = [40, 48, 80];
  const heat = heatmap('blobs', h, w, c, 77);
  const ours = heatmapPeaks({ data: heat, shape: [h, w, c] }, { k: 100 });
  const ref = reference(heat, h, w, c, 100, 3);
  assert.is(sameValues(ours.scores, ref.scores), undefined);
  assert.is(sameValues(ours.classes, ref.classes), undefined);
  assert.is(sameValues(ours.ys, ref.ys), undefined);
  assert.is(sameValues(ours.xs, ref.xs), undefined);
});

test('heatmapPeaksNhwc (fused) and peaksMaskNhwc stay inside their buffers and agree with the scalar mask', async () => {
  const kn = await loadKernels();
  let seed = 50;
  for (const c of [1, 3, 4, 5, 15, 16, 17, 33]) {
    for (const kind of ['random', 'blobs', 'ties', 'signed']) {
      const [h, w, kernel] = [7, 6, 3];
      const n = h * w * c;
      const heat = new Guarded(kn, n, heatmap(kind, h, w, c, seed++));
      const simd = new Guarded(kn, n);
      const scalar = new Guarded(kn, n);
      kn.exports.peaksMaskNhwc(heat.ptr, h, w, c, kernel, simd.ptr);
      specKernels(kn).peaksMaskNhwcScalar(heat.ptr, h, w, c, kernel, scalar.ptr);
      assert.is(sameValues(simd.f32(), scalar.f32()), undefined, `mask c=${c} ${kind}`);
      const k = Math.min(10, n);
      const scores = new Guarded(kn, k);
      const flat = new Guarded(kn, k);
      const found = kn.exports.heatmapPeaksNhwc(heat.ptr, h, w, c, kernel, k, scores.ptr, flat.ptr);
      // the positive peaks it found are the head of the scalar mask's ranking
      const mask = Array.from(scalar.f32(), (s, i) => ({ s, i })).filter((e) => e.s > 0);
      mask.sort((a, b) => (a.s === b.s ? a.i - b.i : b.s - a.s));
      assert.is(found, Math.min(k, mask.length), `found c=${c} ${kind}`);
      assert.is(sameValues(flat.i32().slice(0, found), mask.slice(0, found).map((e) => e.i)), undefined, `fused c=${c} ${kind}`);
      [heat, simd, scalar, scores, flat].forEach((g) => g.check(`c=${c} ${kind}`));
      [heat, simd, scalar, scores, flat].forEach((g) => g.release());
    }
  }
});

test('heatmapPeaks: equal neighbours both survive; [h, w, c] and [1, h, w, c] agree', async () => {
  await loadKernels();
  // a 1x4 row, one class: 0.2 0.9 0.9 0.1 -> both 0.9s are peaks, in index order
  const heat = Float32Array.from([0.2, 0.9, 0.9, 0.1]);
  const p = heatmapPeaks({ data: heat, shape: [1, 4, 1] }, { k: 3 });
  assert.equal(Array.from(p.scores), [Math.fround(0.9), Math.fround(0.9), 0]);
  assert.equal(Array.from(p.xs), [1, 2, 0], 'after the peaks: the first zero (cell 0 is no peak)');
  const q = heatmapPeaks({ data: heat, shape: [1, 1, 4, 1] }, { k: 3 });
  assert.equal(q, p);
});

for (const [i, c] of contractCases('heatmapPeaks.json').entries()) {
  test(`heatmapPeaks contract case ${i} (PyTorch): [${shapeOf(c.heatmap)}] k=${c.k} kernel=${c.kernel}`, async () => {
    await loadKernels();
    const p = heatmapPeaks({ data: f32Of(c.heatmap), shape: shapeOf(c.heatmap) }, { k: c.k as number, kernel: c.kernel as number });
    const scores = f32Of(c.scores);
    assert.is(sameValues(p.scores, scores), undefined);
    // "equal scores may come in any order": compare (class, y, x) as sets within each run of equal scores
    const key = (cl: ArrayLike<number>, ys: ArrayLike<number>, xs: ArrayLike<number>, j: number) => `${scores[j]}:${cl[j]},${ys[j]},${xs[j]}`;
    const ours = Array.from(scores, (_, j) => key(p.classes, p.ys, p.xs, j)).sort();
    const theirs = Array.from(scores, (_, j) => key(i32Of(c.classes), i32Of(c.ys), i32Of(c.xs), j)).sort();
    assert.equal(ours, theirs);
  });
}

test('heatmapPeaks rejects bad input with errors that name the argument', async () => {
  const kn = await loadKernels();
  const heat = { data: new Float32Array(2 * 3 * 3 * 2), shape: [2, 3, 3, 2] };
  assert.throws(() => heatmapPeaks(heat), /heatmapPeaks: heat must hold one image \(\[1, h, w, c\] or \[h, w, c\]\), got shape \[2,3,3,2\]/);
  assert.throws(() => heatmapPeaks({ data: new Float32Array(9), shape: [3, 3] }), /heat must have shape \[h, w, c\] or \[1, h, w, c\]/);
  const one = { data: new Float32Array(18), shape: [3, 3, 2] };
  assert.throws(() => heatmapPeaks(one, { kernel: 2 }), /kernel must be odd/);
  assert.throws(() => heatmapPeaks(one, { kernel: 0 }), /kernel must be a positive integer/);
  assert.throws(() => heatmapPeaks(one, { k: 19 }), /k \(19\) is larger than the number of candidates \(18\)/);
  assert.throws(() => heatmapPeaks(one), /k \(100\) is larger than the number of candidates \(18\)/);
  assert.throws(() => heatmapPeaks(one, { k: 2.5 }), /k must be a non-negative integer/);
  assert.throws(() => heatmapPeaks({ data: new Float64Array(18) as unknown as Float32Array, shape: [3, 3, 2] }), /heat.data must be a Float32Array, got Float64Array/);
  assert.throws(() => heatmapPeaksAt(kn, kn.exports.memory.buffer.byteLength, 3, 3, 2, 1, 3), /heat .* is outside kernel memory/);
});

test.run();
