// Training data loader throughput on the synthetic dataset at 256x256 (decode, CenterNet
// augmentation, CenterNet targets from trainer/targets), with one worker thread against batches
// made on the main thread: alone (images/s the loader can deliver, first epoch decoding, second from the cache),
// and next to a busy main thread that stands in for the training step (how long the step waits
// for its batch). Env: BENCH_LOADER_IMAGES (default 256), BENCH_LOADER_STEP_MS (default 150).
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadCocoDataset } from '../trainer/data/coco.js';
import { createLoader } from '../trainer/data/loader.js';
import { synthDataset } from '../trainer/data/synth.js';

const IMAGES = Number(process.env.BENCH_LOADER_IMAGES ?? 256);
const STEP_MS = Number(process.env.BENCH_LOADER_STEP_MS ?? 150);
const BATCH = 16;
const SIZE = 256;

function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

export async function run(): Promise<void> {
  const dir = path.join(tmpdir(), `anchorless-bench-loader-${IMAGES}-${SIZE}`);
  if (!existsSync(path.join(dir, 'train', 'annotations.json'))) {
    console.log(`writing ${IMAGES} synthetic ${SIZE}x${SIZE} images to ${dir}`);
    await synthDataset({ out: dir, train: IMAGES, val: 1, size: SIZE, seed: 1, overwrite: true });
  }
  const data = await loadCocoDataset(path.join(dir, 'train'));
  const rows: Record<string, string | number>[] = [];
  for (const workers of [0, 1]) {
    const make = () =>
      createLoader(data, {
        batchSize: BATCH,
        inputSize: [SIZE, SIZE],
        mean: [0.47, 0.45, 0.41],
        std: [0.28, 0.27, 0.29],
        workers,
        targets: { kind: 'centernet', outputStride: 4, numClasses: data.labels.length, maxObjects: 128 },
      });
    // alone: the loader's own rate
    const loader = await make();
    for (const epoch of [0, 1]) {
      const t0 = performance.now();
      let n = 0;
      for await (const b of loader.epoch(epoch)) n += b.shape[0];
      const s = (performance.now() - t0) / 1000;
      rows.push({ mode: loader.mode, case: epoch === 0 ? 'alone, decoding' : 'alone, cached', 'images/s': Math.round(n / s), 'wait ms/batch': '-' });
    }
    await loader.close();
    // next to a training step that keeps the main thread busy for STEP_MS per batch (cache cold)
    const busy = await make();
    let waited = 0;
    let steps = 0;
    const t0 = performance.now();
    let tWait = performance.now();
    for await (const b of busy.epoch(0)) {
      waited += performance.now() - tWait;
      steps++;
      void b;
      spin(STEP_MS);
      tWait = performance.now();
    }
    const s = (performance.now() - t0) / 1000;
    rows.push({ mode: busy.mode, case: `with a ${STEP_MS} ms step, decoding`, 'images/s': Math.round((steps * BATCH) / s), 'wait ms/batch': Math.round(waited / steps) });
    await busy.close();
  }
  console.log(`loader: ${IMAGES} images ${SIZE}x${SIZE}, batch ${BATCH}, CenterNet augmentation + targets (128 slots, ${data.labels.length} classes)`);
  console.table(rows);
}
