// ObjectDetector end to end on model files with random weights: input forms, ordering, option
// and model-file errors, memory that stays flat over repeated calls, close().
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ObjectDetector } from '../runtime/detector.js';
import { preset } from '../runtime/model/presets.js';
import { buildGraph } from '../runtime/model/registry.js';
import { writeModelFile } from '../runtime/weights/model-file.js';
import { loadKernels } from './helpers/kernels.js';
import { rng } from './helpers/random.js';
import { randomWeights } from './helpers/random-weights.js';

function modelBytes(arch: string, seed = 5): Uint8Array {
  const config = preset(arch, { labels: ['circle', 'square', 'star'], inputSize: [64, 64] });
  return writeModelFile(config, randomWeights(buildGraph(config), seed));
}

function image(width: number, height: number, channels: 3 | 4, seed = 1): { data: Uint8Array; width: number; height: number; channels: 3 | 4 } {
  const r = rng(seed);
  const data = new Uint8Array(width * height * channels);
  for (let i = 0; i < data.length; i++) data[i] = channels === 4 && i % 4 === 3 ? 255 : Math.floor(r() * 256);
  return { data, width, height, channels };
}

function rgba(img: ReturnType<typeof image>): Uint8ClampedArray {
  const out = new Uint8ClampedArray(img.width * img.height * 4);
  for (let p = 0; p < img.width * img.height; p++) {
    out.set(img.data.subarray(p * 3, p * 3 + 3), p * 4);
    out[p * 4 + 3] = 17; // alpha is ignored
  }
  return out;
}

test('centernet: RGB and RGBA (ImageData-like) inputs give the same detections, score-descending, labelled', async () => {
  await loadKernels();
  const det = await ObjectDetector.create({ model: modelBytes('centernet-tiny'), scoreThreshold: 0, maxResults: 30 });
  const rgb = image(90, 70, 3);
  const a = await det.detect(rgb);
  const b = await det.detect({ data: rgba(rgb), width: 90, height: 70 });
  assert.equal(a, b);
  assert.is(a.length, 30);
  for (let i = 1; i < a.length; i++) assert.ok(a[i - 1].score >= a[i].score, 'score-descending');
  for (const d of a) {
    assert.ok(['circle', 'square', 'star'].includes(d.label));
    assert.is(d.label, ['circle', 'square', 'star'][d.classId]);
    assert.equal(d.bbox, [d.box.xmin, d.box.ymin, d.box.xmax - d.box.xmin, d.box.ymax - d.box.ymin]);
  }
  det.close();
});

test('scoreThreshold and maxResults filter the results', async () => {
  await loadKernels();
  const bytes = modelBytes('centernet-tiny');
  const all = await ObjectDetector.create({ model: bytes, scoreThreshold: 0, maxResults: 100 });
  const some = await ObjectDetector.create({ model: bytes, scoreThreshold: 0.5, maxResults: 5 });
  const img = image(64, 64, 3, 2);
  const a = await all.detect(img);
  const b = await some.detect(img);
  const expected = a.filter((d) => d.score >= 0.5).slice(0, 5);
  assert.equal(b, expected);
  all.close();
  some.close();
});

test('cornernet: detections with flip test and several scales', async () => {
  await loadKernels();
  const det = await ObjectDetector.create({ model: modelBytes('cornernet-tiny'), scoreThreshold: 0, flip: true, scales: [0.5, 1] });
  const dets = await det.detect(image(100, 60, 3, 3));
  assert.ok(dets.length > 0 && dets.length <= 100);
  for (const d of dets) {
    // CornerNet boxes are clipped to the image, as rescale_dets does
    assert.ok(d.box.xmin >= 0 && d.box.xmax <= 100 && d.box.ymin >= 0 && d.box.ymax <= 60, JSON.stringify(d.box));
  }
  det.close();
});

test("cornernet: the model file's decode.pairScore reaches the decode (geometric <= mean, by AM-GM)", async () => {
  await loadKernels();
  const config = preset('cornernet-tiny', { labels: ['circle', 'square', 'star'], inputSize: [64, 64] });
  const weights = randomWeights(buildGraph(config), 5);
  // the heatmaps' last convs scaled down: random He-scaled logits saturate every corner score at 1
  for (const [name, w] of weights) if (/^(tl|br)_heats\.0\.1\.weight$/.test(name)) w.forEach((v, i) => (w[i] = v * 0.01));
  const img = image(64, 64, 3, 4);
  const run = async (pairScore: 'mean' | 'geometric') => {
    const det = await ObjectDetector.create({ model: writeModelFile({ ...config, decode: { ...config.decode!, pairScore } }, weights), scoreThreshold: 0 });
    const dets = await det.detect(img);
    det.close();
    return dets;
  };
  const mean = await run('mean');
  const geometric = await run('geometric');
  assert.ok(mean.length > 0 && geometric.length > 0);
  assert.not.equal(geometric.map((d) => d.score), mean.map((d) => d.score));
  // the best pair is never decayed by soft-NMS: max sqrt(tl * br) <= max (tl + br) / 2 over the same pairs
  assert.ok(geometric[0].score <= mean[0].score, `${geometric[0].score} <= ${mean[0].score}`);
});

test('repeated detect() calls allocate no kernel memory: the heap is the same after the 10th and the 100th', async () => {
  const kn = await loadKernels();
  const det = await ObjectDetector.create({ model: modelBytes('centernet-tiny'), scoreThreshold: 0 });
  const img = image(80, 80, 3, 4);
  let after10 = { allocated: 0, memory: 0 };
  for (let i = 1; i <= 100; i++) {
    await det.detect(img);
    if (i === 10) after10 = { allocated: kn.heap.allocatedBytes, memory: kn.exports.memory.buffer.byteLength };
  }
  assert.equal({ allocated: kn.heap.allocatedBytes, memory: kn.exports.memory.buffer.byteLength }, after10);
  const before = kn.heap.allocatedBytes;
  det.close();
  assert.ok(kn.heap.allocatedBytes < before, 'close() frees the plan');
});

test('close(): later calls are an Error; close twice is fine', async () => {
  await loadKernels();
  const det = await ObjectDetector.create({ model: modelBytes('centernet-tiny') });
  det.close();
  det.close();
  try {
    await det.detect(image(10, 10, 3));
    assert.unreachable('detect after close must fail');
  } catch (e) {
    assert.match((e as Error).message, /after close/);
  }
});

test('bad options and bad images are Errors naming what is wrong', async () => {
  await loadKernels();
  const bytes = modelBytes('centernet-tiny');
  const cases: [object, RegExp][] = [
    [{ model: bytes, scoreThreshold: 2 }, /scoreThreshold/],
    [{ model: bytes, maxResults: 0 }, /maxResults/],
    [{ model: bytes, scales: [] }, /scales/],
    [{ model: bytes, flip: 'yes' }, /flip/],
    [{ model: bytes, inputSize: [60, 60] }, /multiples of 16/],
    [{ model: '/nonexistent/model.safetensors' }, /nonexistent\/model\.safetensors.*no such file/],
  ];
  for (const [opts, pattern] of cases) {
    try {
      await ObjectDetector.create(opts);
      assert.unreachable(`expected an error for ${JSON.stringify(Object.keys(opts))}`);
    } catch (e) {
      assert.match((e as Error).message, pattern);
    }
  }
  const det = await ObjectDetector.create({ model: bytes });
  for (const [img, pattern] of [
    [{ data: new Uint8Array(10), width: 4, height: 4 }, /image\.data has 10 values/],
    [{ data: new Uint8Array(48), width: 4, height: 4, channels: 2 }, /channels must be 3/],
    [null, /image must be/],
  ] as const) {
    try {
      await det.detect(img as never);
      assert.unreachable('expected an image error');
    } catch (e) {
      assert.match((e as Error).message, pattern);
    }
  }
  det.close();
});

test('a corrupt model file is refused with an Error naming the tensor, and the next valid one loads', async () => {
  await loadKernels();
  const good = modelBytes('centernet-tiny');
  const truncated = good.slice(0, good.length - 100);
  try {
    await ObjectDetector.create({ model: truncated });
    assert.unreachable('a truncated file must be refused');
  } catch (e) {
    assert.match((e as Error).message, /<model bytes>/);
  }
  const det = await ObjectDetector.create({ model: good });
  assert.ok((await det.detect(image(32, 32, 3))).length >= 0);
  det.close();
});

test.run();
