// Pooling and selection kernels: corner pooling (128 channels, 128x128), heatmap peaks + top-100 on
// an 80x128x128 heatmap, soft-NMS / NMS on 1000 clustered boxes, top-K. Each SIMD kernel is timed
// against its scalar spec on the same heap buffers (kernel time only: the data already lives on
// the kernel heap, as it does inside the runtime), and the goals are checked next to the numbers.
import { Bench } from 'tinybench';
import { init, type Kernels } from '../runtime/wasm/loader.js';
import { heatmapPeaks, softNms } from '../runtime/ops/select.js';
import { nmsScratchBytes, softNmsScratchBytes } from '../runtime/ops/select.js';
import { rng } from '../test/helpers/random.js';
import { specKernels } from '../test/helpers/spec-kernels.js';

interface Row {
  op: string;
  simd: number;
  scalar?: number;
  goal?: number;
}

/** Mean milliseconds per call (tinybench), at least `iterations` calls and `time` ms. */
async function measure(name: string, fn: () => void, slow = false): Promise<number> {
  const bench = new Bench(slow ? { time: 0, iterations: 3, warmupIterations: 1 } : { time: 400, iterations: 20 });
  bench.add(name, fn);
  await bench.run();
  const result = bench.tasks[0].result;
  if (!('latency' in result)) throw new Error(`bench ${name} did not complete: ${result.state}`);
  return result.latency.mean;
}


/** A realistic post-sigmoid heatmap: a low noisy background and a few hundred Gaussian objects. */
function heatmap(h: number, w: number, c: number, objects: number): Float32Array {
  const r = rng(1);
  const heat = new Float32Array(h * w * c);
  for (let i = 0; i < heat.length; i++) heat[i] = 0.002 + 0.02 * r() * r();
  for (let o = 0; o < objects; o++) {
    const cy = r() * h;
    const cx = r() * w;
    const ch = Math.floor(r() * c);
    const radius = 1 + r() * 5;
    const peak = 0.1 + 0.85 * r();
    for (let y = Math.max(0, Math.floor(cy - 3 * radius)); y < Math.min(h, cy + 3 * radius); y++) {
      for (let x = Math.max(0, Math.floor(cx - 3 * radius)); x < Math.min(w, cx + 3 * radius); x++) {
        const i = (y * w + x) * c + ch;
        heat[i] = Math.max(heat[i], peak * Math.exp(-((y - cy) ** 2 + (x - cx) ** 2) / (2 * radius * radius)));
      }
    }
  }
  return heat;
}

/** Clustered detections: ~100 objects with ~10 jittered boxes each (what multi-scale + flip produce). */
function clusteredBoxes(n: number): { boxes: Float32Array; scores: Float32Array } {
  const r = rng(2);
  const objects = Array.from({ length: Math.ceil(n / 10) }, () => [r() * 512, r() * 512, 16 + r() * 200, 16 + r() * 200]);
  const boxes = new Float32Array(n * 4);
  const scores = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const [cx, cy, bw, bh] = objects[i % objects.length];
    const x = cx + (r() - 0.5) * 0.2 * bw;
    const y = cy + (r() - 0.5) * 0.2 * bh;
    const w = bw * (0.8 + 0.4 * r());
    const h = bh * (0.8 + 0.4 * r());
    boxes.set([x - w / 2, y - h / 2, x + w / 2, y + h / 2], 4 * i);
    scores[i] = 0.05 + 0.9 * r();
  }
  return { boxes, scores };
}

function onHeap(kn: Kernels, data: Float32Array): number {
  return kn.heap.allocF32(data);
}

export async function run(): Promise<void> {
  const kn = await init();
  const e = kn.exports;
  const spec = specKernels(kn);
  const rows: Row[] = [];
  console.log(`kernel build: ${kn.variant}`);

  // corner pooling, 128 channels at 128x128
  {
    const [n, h, w, c] = [1, 128, 128, 128];
    const size = n * h * w * c;
    const r = rng(3);
    const x = onHeap(kn, Float32Array.from({ length: size }, () => r() * 2 - 1));
    const y = onHeap(kn, new Float32Array(size));
    const out = kn.heap.alloc(size * 4);
    const scratch = kn.heap.alloc(size * 4);
    const names = ['top', 'left', 'bottom', 'right'];
    for (let dir = 0; dir < 4; dir++) {
      rows.push({
        op: `cornerPool ${names[dir]} 128x128x128`,
        simd: await measure('corner simd', () => e.cornerPoolNhwc(x, n, h, w, c, dir, out)),
        scalar: await measure('corner scalar', () => spec.cornerPoolNhwcScalar(x, n, h, w, c, dir, out), true),
      });
    }
    rows.push({
      op: 'cornerPool pair top(a) + left(b), fused',
      simd: await measure('pair simd', () => e.cornerPoolPairAddNhwc(x, y, n, h, w, c, 0, 1, scratch, out)),
      scalar: await measure('pair scalar', () => spec.cornerPoolPairAddNhwcScalar(x, y, n, h, w, c, 0, 1, scratch, out), true),
    });
    rows.push({
      op: 'cornerPool pair as top + left + add (unfused SIMD)',
      simd: await measure('pair unfused', () => {
        e.cornerPoolNhwc(x, n, h, w, c, 0, out);
        e.cornerPoolNhwc(y, n, h, w, c, 1, scratch);
        e.addF32(out, scratch, out, size, 0);
      }),
    });
    [x, y, out, scratch].forEach((p) => kn.heap.release(p));
  }

  // heatmap peaks + top-100, 80 classes at 128x128, a few hundred objects
  {
    const [h, w, c, k] = [128, 128, 80, 100];
    const data = heatmap(h, w, c, 300);
    const heat = onHeap(kn, data);
    const scores = kn.heap.alloc(k * 4);
    const flat = kn.heap.alloc(k * 4);
    const mask = kn.heap.alloc(h * w * c * 4);
    const order = kn.heap.alloc(h * w * c * 4);
    const found = e.heatmapPeaksNhwc(heat, h, w, c, 3, k, scores, flat);
    if (found < k) throw new Error(`bench heatmap has only ${found} peaks`);
    rows.push({
      op: 'heatmapPeaks + top-100, 128x128x80 (kernel)',
      simd: await measure('peaks simd', () => e.heatmapPeaksNhwc(heat, h, w, c, 3, k, scores, flat)),
      scalar: await measure('peaks scalar', () => {
        spec.peaksMaskNhwcScalar(heat, h, w, c, 3, mask);
        spec.topKF32Scalar(mask, h * w * c, k, order, scores, flat);
      }, true),
      goal: 2,
    });
    rows.push({
      op: 'ops.heatmapPeaks (copies the 5 MB map in)',
      simd: await measure('peaks op', () => heatmapPeaks({ data, shape: [1, h, w, c] }, { k })),
    });
    rows.push({
      op: 'topK k=100 of 1,310,720 values',
      simd: await measure('topk simd', () => e.topKF32(heat, h * w * c, k, scores, flat)),
      scalar: await measure('topk scalar', () => spec.topKF32Scalar(heat, h * w * c, k, order, scores, flat), true),
    });
    [heat, scores, flat, mask, order].forEach((p) => kn.heap.release(p));
  }

  // top-K over CornerNet's 100 x 100 pair scores
  {
    const n = 10000;
    const k = 1000;
    const r = rng(4);
    const values = onHeap(kn, Float32Array.from({ length: n }, () => (r() < 0.7 ? -1 : r())));
    const ov = kn.heap.alloc(k * 4);
    const oi = kn.heap.alloc(k * 4);
    const order = kn.heap.alloc(n * 4);
    rows.push({
      op: 'topK k=1000 of 10,000 pair scores',
      simd: await measure('topk pairs simd', () => e.topKF32(values, n, k, ov, oi)),
      scalar: await measure('topk pairs scalar', () => spec.topKF32Scalar(values, n, k, order, ov, oi)),
    });
    [values, ov, oi, order].forEach((p) => kn.heap.release(p));
  }

  // soft-NMS and NMS on 1000 clustered boxes
  {
    const n = 1000;
    const { boxes, scores } = clusteredBoxes(n);
    const pb = onHeap(kn, boxes);
    const ps = onHeap(kn, scores);
    const scratch = kn.heap.alloc(Math.max(softNmsScratchBytes(n), nmsScratchBytes(n)));
    const oi = kn.heap.alloc(n * 4);
    const os = kn.heap.alloc(n * 4);
    for (const [method, code] of [['gaussian', 2], ['linear', 1], ['hard', 0]] as const) {
      const kept = e.softNmsF32(pb, ps, n, code, 0.5, 0.5, 0.001, scratch, oi, os);
      rows.push({
        op: `softNms ${method}, 1000 boxes (${kept} kept)`,
        simd: await measure(`softnms ${method}`, () => e.softNmsF32(pb, ps, n, code, 0.5, 0.5, 0.001, scratch, oi, os)),
        scalar: await measure(`softnms ${method} scalar`, () => spec.softNmsF32Scalar(pb, ps, n, code, 0.5, 0.5, 0.001, scratch, oi, os)),
        goal: method === 'hard' ? undefined : 1,
      });
    }
    rows.push({
      op: 'ops.softNms gaussian (copies + checks)',
      simd: await measure('softnms op', () => softNms(boxes, scores, { method: 'gaussian' })),
    });
    rows.push({
      op: `nms, 1000 boxes (${e.nmsF32(pb, ps, n, 0.5, scratch, oi)} kept)`,
      simd: await measure('nms simd', () => e.nmsF32(pb, ps, n, 0.5, scratch, oi)),
      scalar: await measure('nms scalar', () => spec.nmsF32Scalar(pb, ps, n, 0.5, scratch, oi)),
    });
    [pb, ps, scratch, oi, os].forEach((p) => kn.heap.release(p));
  }

  console.table(
    rows.map((r) => ({
      op: r.op,
      'SIMD ms': r.simd.toFixed(3),
      'scalar spec ms': r.scalar === undefined ? '' : r.scalar.toFixed(3),
      'spec / SIMD': r.scalar === undefined ? '' : `${(r.scalar / r.simd).toFixed(1)}x`,
      goal: r.goal === undefined ? '' : `<= ${r.goal} ms: ${r.simd <= r.goal ? 'PASS' : 'FAIL'}`,
    })),
  );
}
