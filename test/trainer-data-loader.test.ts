// The loader on a small synthetic dataset: epoch orders are permutations fixed by (seed, epoch);
// a run resumed at startStep sees exactly the remaining batches; worker threads, the main thread,
// the start-up fallback and a worker lost mid-epoch all give byte-identical batches; the decoded
// image cache fills and changes nothing; errors name the file; and processes exit promptly,
// whether or not the loader was closed (checked in child processes under a timeout).
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadCocoDataset } from '../trainer/data/coco.js';
import { createLoader, type Batch, type Loader, type LoaderOptions } from '../trainer/data/loader.js';
import { synthDataset } from '../trainer/data/synth.js';
import type { Dataset } from '../trainer/data/types.js';
import { PLACEHOLDER_TARGETS } from './helpers/placeholder-targets.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let dir = '';
let data: Dataset;

const options = (patch: Partial<LoaderOptions> = {}): LoaderOptions => ({
  batchSize: 4,
  inputSize: [64, 64],
  mean: [0.47, 0.45, 0.41],
  std: [0.28, 0.27, 0.29],
  seed: 11,
  targets: { kind: 'centernet', outputStride: 4, numClasses: data.labels.length, maxObjects: 8, module: PLACEHOLDER_TARGETS },
  workers: 0,
  ...patch,
});

async function collect(iter: AsyncIterable<Batch>, limit = Infinity): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of iter) {
    out.push(b);
    if (out.length >= limit) break;
  }
  return out;
}

async function withLoader<T>(patch: Partial<LoaderOptions>, fn: (l: Loader) => Promise<T>): Promise<T> {
  const loader = await createLoader(data, options(patch));
  try {
    return await fn(loader);
  } finally {
    await loader.close();
  }
}

const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

function sameBatch(a: Batch, b: Batch, what: string): void {
  assert.is(a.epoch, b.epoch, `${what}: epoch`);
  assert.is(a.step, b.step, `${what}: step`);
  assert.equal(a.images, b.images, `${what}: images`);
  assert.equal(a.shape, b.shape, `${what}: shape`);
  assert.ok(bytes(a.input).equals(bytes(b.input)), `${what}: input pixels`);
  assert.equal(Object.keys(a.targets).sort(), Object.keys(b.targets).sort(), `${what}: target names`);
  for (const k of Object.keys(a.targets)) assert.ok(bytes(a.targets[k]).equals(bytes(b.targets[k])), `${what}: target ${k}`);
  a.objects.forEach((o, i) => {
    assert.ok(bytes(o.boxes).equals(bytes(b.objects[i].boxes)), `${what}: boxes of image ${i}`);
    assert.equal(Array.from(o.classIds), Array.from(b.objects[i].classIds));
    assert.equal(Array.from(o.crowd), Array.from(b.objects[i].crowd));
  });
}

test.before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'anchorless-loader-'));
  await synthDataset({ out: dir, train: 10, val: 1, size: 80, seed: 4 });
  data = await loadCocoDataset(path.join(dir, 'train'));
});

test.after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('epoch order: a permutation fixed by (seed, epoch), new each epoch; dataset order without shuffle', async () => {
  const a = await createLoader(data, options());
  const b = await createLoader(data, options());
  const c = await createLoader(data, options({ seed: 12 }));
  const d = await createLoader(data, options({ shuffle: false }));
  assert.equal(Array.from(a.order(0)).sort((x, y) => x - y), [...Array(10).keys()]);
  assert.equal(Array.from(a.order(3)), Array.from(b.order(3)));
  assert.not.equal(Array.from(a.order(0)), Array.from(a.order(1)));
  assert.not.equal(Array.from(a.order(0)), Array.from(c.order(0)));
  assert.equal(Array.from(d.order(5)), [...Array(10).keys()]);
  // 10 images in batches of 4: two full batches, the last two images dropped unless dropLast is false
  assert.is(a.stepsPerEpoch, 2);
  const e = await createLoader(data, options({ dropLast: false }));
  assert.is(e.stepsPerEpoch, 3);
  assert.equal(e.indicesOf(0, 2), Array.from(e.order(0).subarray(8)));
  const last = await e.batch(0, 2);
  assert.equal(last.shape, [2, 64, 64, 3]);
  await Promise.all([a, b, c, d, e].map((l) => l.close()));
});

test('a batch holds the ordered images, their objects in input pixels and the concatenated targets', async () => {
  await withLoader({}, async (loader) => {
    const [batch] = await collect(loader.epoch(0), 1);
    const idx = loader.indicesOf(0, 0);
    assert.equal(batch.indices, idx);
    assert.equal(batch.images, idx.map((i) => data.images[i].id));
    assert.equal(batch.shape, [4, 64, 64, 3]);
    assert.is(batch.targets.corners.length, 4 * 8 * 4);
    batch.objects.forEach((o, b) => {
      const count = batch.targets.count[b];
      assert.is(count, Math.min(8, o.crowd.filter((c) => c === 0).length));
      for (let k = 0; k < o.boxes.length; k++) assert.ok(o.boxes[k] >= 0 && o.boxes[k] <= 64, 'boxes inside the input');
    });
  });
});

test('the default target builder (trainer/targets buildTargets) fills the batch, in a worker too', async () => {
  const numClasses = data.labels.length;
  for (const workers of [0, 1]) {
    await withLoader({ workers, targets: { kind: 'centernet', outputStride: 4, numClasses } }, async (l) => {
      const batch = await l.batch(0, 0);
      const t = batch.targets;
      assert.is(t.heatmap.length, 4 * 16 * 16 * numClasses);
      assert.is(t.index.length, 4 * 128);
      assert.instance(t.index, Int32Array);
      batch.objects.forEach((o, b) => {
        const mask = t.mask.subarray(b * 128, (b + 1) * 128);
        assert.is(Array.from(mask).reduce((a, v) => a + v, 0), t.count[b]);
        // at most one slot per kept box (no crowd in synthetic data; a box squeezed to nothing on the
        // output map is no target); these crops keep objects in every image
        assert.ok(t.count[b] > 0 && t.count[b] <= o.classIds.length);
      });
    });
  }
});

test('resuming at startStep gives exactly the remaining batches; stream() runs on across epochs', async () => {
  const opts = { dropLast: false };
  const full = await withLoader(opts, async (l) => [...(await collect(l.epoch(1))), ...(await collect(l.epoch(2)))]);
  assert.is(full.length, 6);
  const resumed = await withLoader(opts, (l) => collect(l.epoch(1, { startStep: 1 })));
  assert.is(resumed.length, 2);
  resumed.forEach((b, i) => sameBatch(b, full[1 + i], `resumed step ${b.step}`));
  const streamed = await withLoader(opts, (l) => collect(l.stream(1, 2), 4));
  streamed.forEach((b, i) => sameBatch(b, full[2 + i], `streamed ${b.epoch}/${b.step}`));
  await withLoader(opts, async (l) => assert.is((await collect(l.epoch(1, { startStep: 3 }))).length, 0));
  // a different epoch augments the same image differently
  assert.not.ok(bytes(full[0].input).equals(bytes(full[3].input)));
});

test('worker threads and the main thread make identical batches; the cache fills and changes nothing', async () => {
  const local = await withLoader({ workers: 0 }, async (l) => {
    const batches = [...(await collect(l.epoch(0))), ...(await collect(l.epoch(1)))];
    assert.is(l.cachedImages, new Set(batches.flatMap((b) => b.indices)).size, 'the images seen are cached');
    return batches;
  });
  await withLoader({ workers: 1 }, async (l) => {
    assert.is(l.mode, 'workers');
    assert.is(l.workerCount, 1);
    const batches = [...(await collect(l.epoch(0))), ...(await collect(l.epoch(1)))];
    batches.forEach((b, i) => sameBatch(b, local[i], `worker batch ${i}`));
    assert.is(l.cachedImages, new Set(batches.flatMap((b) => b.indices)).size, 'images decoded in the worker are in the shared cache');
  });
  await withLoader({ workers: 2, cacheMB: 0 }, async (l) => {
    assert.is(l.workerCount, 2);
    assert.is(l.cacheableImages, 0);
    const batches = [...(await collect(l.epoch(0))), ...(await collect(l.epoch(1)))];
    batches.forEach((b, i) => sameBatch(b, local[i], `uncached two-worker batch ${i}`));
    assert.is(l.cachedImages, 0);
  });
});

test('workers that cannot start: a message, then the same batches from the main thread', async () => {
  const messages: string[] = [];
  const reference = await withLoader({}, (l) => collect(l.epoch(0)));
  await withLoader({ workers: 1, workerStartTimeoutMs: 1, log: (m) => messages.push(m) }, async (l) => {
    assert.is(l.mode, 'in-process');
    assert.match(l.workerStartError ?? '', /did not start within 1 ms/);
    assert.is(messages.length, 1);
    assert.match(messages[0], /worker threads could not start .*making batches on the main thread/);
    (await collect(l.epoch(0))).forEach((b, i) => sameBatch(b, reference[i], `fallback batch ${i}`));
  });
});

test('a worker lost mid-epoch: its batches are made again elsewhere, identical', async () => {
  const expected = await withLoader({ dropLast: false }, async (l) => [...(await collect(l.epoch(0))), ...(await collect(l.epoch(1)))]);
  const messages: string[] = [];
  await withLoader({ workers: 1, dropLast: false, log: (m) => messages.push(m) }, async (l) => {
    const got: Batch[] = [];
    let killed = false;
    for (const e of [0, 1]) {
      for await (const b of l.epoch(e)) {
        got.push(b);
        if (!killed) {
          killed = true;
          // the loader's own worker: terminate it behind the loader's back
          const pool = (l as unknown as { pool: { worker: { terminate(): Promise<number> } }[] }).pool;
          await pool[0].worker.terminate();
        }
      }
    }
    got.forEach((b, i) => sameBatch(b, expected[i], `batch ${i} after the loss`));
    assert.is(l.mode, 'in-process');
    assert.match(messages.join('\n'), /worker 0 stopped \(exit code 1\); making batches on the main thread/);
  });
});

test('an unreadable image: the batch fails with the file named, in a worker as on the main thread', async () => {
  const copy: Dataset = { ...data, images: data.images.map((img) => ({ ...img })) };
  const bad = path.join(dir, 'broken.png');
  await writeFile(bad, 'not a png');
  copy.images[3].file = bad;
  for (const workers of [0, 1]) {
    const loader = await createLoader(copy, options({ workers, shuffle: false }));
    try {
      await loader.batch(0, 0);
      assert.unreachable('expected a decode error');
    } catch (e) {
      assert.match((e as Error).message, /broken\.png: cannot decode/);
    } finally {
      await loader.close();
    }
  }
  const wrongSize: Dataset = { ...data, images: data.images.map((img, i) => (i === 0 ? { ...img, width: img.width + 1 } : img)) };
  const loader = await createLoader(wrongSize, options({ shuffle: false }));
  await loader.batch(0, 0).then(
    () => assert.unreachable('expected a size error'),
    (e: Error) => assert.match(e.message, /decoded as 80x80 but the annotations say 81x80/),
  );
  await loader.close();
});

test('breaking out early abandons the batches made ahead without unhandled rejections; close() is idempotent', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (r: unknown) => unhandled.push(r);
  process.on('unhandledRejection', onUnhandled);
  try {
    const loader = await createLoader(data, options({ workers: 1, prefetch: 3, dropLast: false }));
    const first = await collect(loader.epoch(0), 1);
    assert.is(first.length, 1);
    await loader.close();
    await loader.close();
    await loader.batch(0, 1).then(
      () => assert.unreachable('closed loader made a batch'),
      (e: Error) => assert.match(e.message, /closed/),
    );
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

test('option errors name the option', async () => {
  const rejects = async (patch: Partial<LoaderOptions>, re: RegExp) => {
    await createLoader(data, options(patch)).then(
      (l) => {
        void l.close();
        assert.unreachable(`expected ${re}`);
      },
      (e: Error) => assert.match(e.message, re),
    );
  };
  await rejects({ batchSize: 0 }, /batchSize must be a positive integer/);
  await rejects({ batchSize: 11 }, /10 images make no full batch of 11/);
  await rejects({ workers: -1 }, /workers must be a non-negative integer/);
  await rejects({ cacheMB: -1 }, /cacheMB must be a non-negative number/);
  await rejects({ targets: { kind: 'centernet', numClasses: 6, outputStride: 5 } }, /64x64 is not a multiple of outputStride 5/);
  await rejects({ targets: { kind: 'centernet', numClasses: 6 } }, /give outputStride \(or the loader an outputSize\)/);
  await rejects({ targets: { kind: 'centernet', numClasses: 6, outputStride: 4, module: path.join(dir, 'none.js') } }, /cannot load the target builder module .*none\.js/);
  await rejects({ targets: { kind: 'centernet', numClasses: 6, outputStride: 4, module: PLACEHOLDER_TARGETS, exportName: 'nope' } }, /has no function export "nope"/);
  await rejects({ augment: { flip: -1 } }, /augment.flip must be a probability/);
  await createLoader([], options()).then(
    () => assert.unreachable('an empty dataset made a loader'),
    (e: Error) => assert.match(e.message, /the dataset has no images/),
  );
  await withLoader({}, async (l) => {
    assert.throws(() => l.epoch(-1), /epoch must be a non-negative integer/);
    assert.throws(() => l.epoch(0, { startStep: 3 }), /startStep must be an integer in \[0, 2\]/);
    assert.throws(() => l.indicesOf(0, 2), /step must be an integer in \[0, 2\)/);
  });
});

/** Runs a script that uses the loader in a fresh Node process; it must finish well within the timeout. */
function runChild(body: string): { status: number | null; signal: string | null; stdout: string; stderr: string; ms: number } {
  const script = `
import { loadCocoDataset } from ${JSON.stringify(path.join(ROOT, 'trainer/data/coco.ts'))};
import { createLoader } from ${JSON.stringify(path.join(ROOT, 'trainer/data/loader.ts'))};
const data = await loadCocoDataset(${JSON.stringify(path.join(dir, 'train'))});
const loader = await createLoader(data, { batchSize: 4, inputSize: [64, 64], mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], workers: 1 });
${body}
`;
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - t0 };
}

test('processes exit promptly: after close(), and also when the loader is never closed (idle workers are unref\'d)', () => {
  const closed = runChild(`for await (const b of loader.epoch(0)) console.log('batch ' + b.step + ' ' + loader.mode); await loader.close(); console.log('closed');`);
  assert.is(closed.status, 0, `exit status ${closed.status} signal ${closed.signal}: ${closed.stderr}`);
  assert.match(closed.stdout, /batch 0 workers\nbatch 1 workers\nclosed/, `stdout: ${JSON.stringify(closed.stdout)} stderr: ${closed.stderr}`);
  const forgotten = runChild(`const it = loader.epoch(0); const { value } = await it.next(); console.log('got ' + value.step);`);
  assert.is(forgotten.status, 0, `exit status ${forgotten.status} signal ${forgotten.signal}: ${forgotten.stderr}`);
  assert.match(forgotten.stdout, /got 0/);
  assert.ok(closed.ms < 30_000 && forgotten.ms < 30_000, `took ${closed.ms} / ${forgotten.ms} ms`);
});

test.run();
