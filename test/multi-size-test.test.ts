// The multi-size test: ObjectDetector's inputSizes (and a model file's testSizes) run each image at
// each size and merge by per-class soft-NMS or weighted boxes fusion (merge, testMerge);
// mergeEvaluations() gets the same numbers from evaluations already made at each size; train
// chooses it by AP on --val (trainer/inference-size.ts). References: one-size detectors' outputs
// merged by cornerNetPostprocess (soft-NMS has its own PyTorch fixtures) or fuseDetections (hand-
// worked cases in box-fusion.test.ts), and the runtime's own evaluation of the exported model.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ObjectDetector, type DetectedObject } from '../runtime/detector.js';
import { cornerNetPostprocess } from '../runtime/decode/postprocess.js';
import { fuseDetections } from '../runtime/decode/box-fusion.js';
import { readModelFile, writeModelFile } from '../runtime/weights/model-file.js';
import { validateConfig } from '../runtime/model/config.js';
import { preset } from '../runtime/model/presets.js';
import { synthDataset } from '../trainer/data/synth.js';
import { loadCocoDataset } from '../trainer/data/coco.js';
import { readImageRGB } from '../trainer/data/image-io.js';
import { evaluateModel, mergeEvaluations } from '../trainer/evaluate.js';
import { chooseInference, combinations, MULTI_SIZE_MIN_GAIN, type SizeTrial } from '../trainer/inference-size.js';
import { train } from '../trainer/train.js';
import { loadKernels } from './helpers/kernels.js';

const MODEL = fileURLToPath(new URL('../models/centernet-tiny-synth.safetensors', import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), 'anchorless-multisize-'));
const model = readModelFile(new Uint8Array(readFileSync(MODEL)));
/** The bundled model with other config fields (inputSize, testSizes). */
const withConfig = (fields: object) => writeModelFile({ ...model.config, ...fields }, model.tensors);

test.before(async () => {
  await loadKernels();
  await synthDataset({ out: path.join(dir, 'scenes'), train: 0, val: 12, size: 128, seed: 31 });
});
test.after(() => rmSync(dir, { recursive: true, force: true }));

const strip = (ds: readonly Pick<DetectedObject, 'box' | 'score' | 'classId'>[]) => ds.map((d) => ({ box: d.box, score: d.score, classId: d.classId }));

test('inputSizes: each image at each size, merged by per-class soft-NMS: the one-size detectors\' outputs merged', async () => {
  const ds = await loadCocoDataset(path.join(dir, 'scenes', 'val'));
  const multi = await ObjectDetector.create({ model: MODEL, inputSizes: [128, [160, 160]], scoreThreshold: 0 });
  const one = await Promise.all([128, 160].map((s) => ObjectDetector.create({ model: MODEL, inputSize: s, scoreThreshold: 0 })));
  try {
    assert.equal([multi.inputSize, multi.inputSizes, one[1].inputSizes], [[128, 128], [[128, 128], [160, 160]], [[160, 160]]]);
    let differs = 0;
    for (const image of ds.images.slice(0, 4)) {
      const rgb = await readImageRGB(image.file);
      const input = { data: rgb.data, width: rgb.width, height: rgb.height, channels: 3 as const };
      const parts = await Promise.all(one.map((d) => d.detect(input)));
      const expected = cornerNetPostprocess(parts.flat(), { maxResults: 100 });
      const got = await multi.detect(input);
      assert.equal(strip(got), strip(expected));
      assert.ok(got.length > 0);
      if (JSON.stringify(strip(got)) !== JSON.stringify(strip(parts[0]))) differs++;
    }
    assert.ok(differs > 0, 'the merge changes the detections of one size');
  } finally {
    multi.close();
    for (const d of one) d.close();
  }
});

test("a model file's testSizes are detect()'s default; inputSize overrides them; infer() and keepResolution keep one size", async () => {
  const image = await readImageRGB(loadImageFile());
  const input = { data: image.data, width: image.width, height: image.height, channels: 3 as const };
  const fromFile = await ObjectDetector.create({ model: withConfig({ testSizes: [[128, 128], [160, 160]] }) });
  const fromOption = await ObjectDetector.create({ model: MODEL, inputSizes: [[128, 128], [160, 160]] });
  const single = await ObjectDetector.create({ model: withConfig({ testSizes: [[128, 128], [160, 160]] }), inputSize: 160 });
  const plain160 = await ObjectDetector.create({ model: MODEL, inputSize: 160 });
  const keep = await ObjectDetector.create({ model: withConfig({ testSizes: [[128, 128], [160, 160]] }), keepResolution: true });
  try {
    assert.equal(fromFile.inputSizes, [[128, 128], [160, 160]]);
    assert.equal(strip(await fromFile.detect(input)), strip(await fromOption.detect(input)));
    assert.equal([single.inputSizes, keep.inputSizes], [[[160, 160]], [[128, 128]]]);
    assert.equal(strip(await single.detect(input)), strip(await plain160.detect(input)));
  } finally {
    for (const d of [fromFile, fromOption, single, plain160, keep]) d.close();
  }
});

test("merge 'wbf': the one-size detectors' outputs fused; the model's testMerge is the default, the option overrides it; worker mode the same", async () => {
  const ds = await loadCocoDataset(path.join(dir, 'scenes', 'val'));
  const sizes: [number, number][] = [[128, 128], [160, 160]];
  const fused = await ObjectDetector.create({ model: MODEL, inputSizes: sizes, merge: 'wbf', scoreThreshold: 0 });
  const soft = await ObjectDetector.create({ model: MODEL, inputSizes: sizes, scoreThreshold: 0 });
  const fromFile = await ObjectDetector.create({ model: withConfig({ testSizes: sizes, testMerge: 'wbf' }), scoreThreshold: 0 });
  const overridden = await ObjectDetector.create({ model: withConfig({ testSizes: sizes, testMerge: 'wbf' }), merge: 'soft-nms', scoreThreshold: 0 });
  const inWorker = await ObjectDetector.create({ model: MODEL, inputSizes: sizes, merge: 'wbf', worker: true });
  const thresholded = await ObjectDetector.create({ model: MODEL, inputSizes: sizes, merge: 'wbf' });
  const one = await Promise.all([128, 160].map((s) => ObjectDetector.create({ model: MODEL, inputSize: s, scoreThreshold: 0 })));
  try {
    let differs = 0;
    for (const image of ds.images.slice(0, 4)) {
      const rgb = await readImageRGB(image.file);
      const input = { data: rgb.data, width: rgb.width, height: rgb.height, channels: 3 as const };
      const parts = await Promise.all(one.map((d) => d.detect(input)));
      const got = strip(await fused.detect(input));
      assert.equal(got, strip(fuseDetections(parts)));
      assert.ok(got.length > 0);
      assert.equal(strip(await fromFile.detect(input)), got);
      const softened = strip(await soft.detect(input));
      assert.equal(strip(await overridden.detect(input)), softened);
      if (JSON.stringify(softened) !== JSON.stringify(got)) differs++;
      const above = got.filter((d) => d.score >= 0.3);
      assert.equal(strip(await inWorker.detect(input)), above);
      assert.equal(strip(await thresholded.detect(input)), above);
    }
    assert.ok(differs > 0, 'fusion and soft-NMS merge differently');
  } finally {
    for (const d of [fused, soft, fromFile, overridden, inWorker, thresholded, ...one]) d.close();
  }
});

function loadImageFile(): string {
  return fileURLToPath(new URL('../models/sample.png', import.meta.url));
}

test('bad inputSizes and testSizes are Errors naming the option or field', async () => {
  const refuses = async (options: object, pattern: RegExp) => {
    const e = await ObjectDetector.create({ model: MODEL, ...options }).then((d) => (d.close(), undefined), (err: Error) => err);
    assert.ok(e, `accepted ${JSON.stringify(options)}`);
    assert.match(e!.message, pattern);
  };
  await refuses({ inputSizes: [] }, /inputSizes must be 1 to 4 sizes, each N or \[height, width\]/);
  await refuses({ inputSizes: [128, 160, 192, 224, 256] }, /inputSizes must be 1 to 4 sizes, each N or \[height, width\]/);
  await refuses({ inputSizes: [128, [160]] }, /inputSizes must be 1 to 4 sizes.*got \[128, \[160\]\]/);
  await refuses({ inputSizes: '128' }, /inputSizes must be 1 to 4 sizes/);
  await refuses({ inputSizes: [128, 160], inputSize: 128 }, /inputSizes cannot go with inputSize$/);
  await refuses({ inputSizes: [128, 160], keepResolution: true }, /inputSizes cannot go with keepResolution$/);
  await refuses({ inputSizes: [128, 100] }, /input 100x100 does not fit this architecture/);
  const config = (testSizes: unknown) => () => validateConfig({ ...preset('centernet-tiny', { numClasses: 2 }), testSizes }, 'm.safetensors');
  assert.throws(config([[128, 128]]), /m\.safetensors: testSizes must be an array of 2 to 4 \[height, width\] pairs/);
  assert.throws(config([[128, 128], [128, 128]]), /m\.safetensors: testSizes\[1\] \[128,128\] is listed twice/);
  assert.throws(config([[128, 128], [100, 100]]), /m\.safetensors: testSizes\[1\] \[100,100\] does not fit this architecture/);
  assert.throws(config([[128, 128], [160]]), /testSizes\[1\] must be an array of 2 numbers/);
  assert.equal(validateConfig({ ...preset('centernet-tiny', { numClasses: 2 }), testSizes: [[128, 128], [192, 160]] }, 'm').testSizes, [[128, 128], [192, 160]]);
  assert.throws(() => validateConfig({ ...preset('centernet-tiny', { numClasses: 2 }), testMerge: 'nms' }, 'm.safetensors'), /m\.safetensors: testMerge must be 'soft-nms' or 'wbf', got "nms"/);
  assert.is(validateConfig({ ...preset('centernet-tiny', { numClasses: 2 }), testMerge: 'wbf' }, 'm').testMerge, 'wbf');
  await refuses({ inputSizes: [128, 160], merge: 'fusion' }, /ObjectDetector\.create: merge must be 'soft-nms' or 'wbf', got "fusion"/);
  await refuses({ merge: 1 }, /merge must be 'soft-nms' or 'wbf', got 1/);
});

test('mergeEvaluations: the evaluations at each size merged equal the evaluation of the model with those testSizes', async () => {
  const ds = await loadCocoDataset(path.join(dir, 'scenes', 'val'));
  const at = await Promise.all([128, 192].map((s) => evaluateModel(withConfig({ inputSize: [s, s] }), ds)));
  const merged = mergeEvaluations(at, ds, model.config);
  const direct = await evaluateModel(withConfig({ testSizes: [[128, 128], [192, 192]] }), ds, { detectors: 2 });
  assert.equal(merged.detections.map(strip), direct.detections.map(strip));
  assert.equal(merged.coco.stats, direct.coco.stats);
  assert.is(merged.voc07, direct.voc07);
  assert.ok(merged.coco.stats.AP > 0.3, 'the bundled model finds the shapes');
  const fusedConfig = { ...model.config, testMerge: 'wbf' as const };
  const fused = mergeEvaluations(at, ds, fusedConfig);
  const fusedDirect = await evaluateModel(withConfig({ testSizes: [[128, 128], [192, 192]], testMerge: 'wbf' }), ds);
  assert.equal(fused.detections.map(strip), fusedDirect.detections.map(strip));
  assert.equal(fused.coco.stats, fusedDirect.coco.stats);
  assert.is(fused.voc07, fusedDirect.voc07);
  assert.not.equal(fused.coco.stats, merged.coco.stats);
  assert.throws(() => mergeEvaluations(at.slice(0, 1), ds, model.config), /at least 2 evaluations/);
  assert.throws(() => mergeEvaluations(at, { ...ds, images: ds.images.slice(1) }, model.config), /must cover the dataset's 11 images, got 12, 12/);
  assert.throws(() => mergeEvaluations(at, ds, { detector: 'cornernet', labels: model.config.labels }), /only CenterNet's detections merge after the fact/);
});

const trial = (sizes: number[], AP: number): SizeTrial => ({ sizes: sizes.map((s) => [s, s] as [number, number]), val: { AP } });

test('chooseInference: the best single size; a merge only when it gains the minimum; ties keep the cheaper', () => {
  const singles = [trial([128], 0.6), trial([160], 0.65), trial([192], 0.65)];
  assert.equal(chooseInference(singles, []).chosen.sizes, [[160, 160]]);
  const small = [trial([128, 160], 0.655), trial([160, 192], 0.659)];
  const r = chooseInference(singles, small);
  assert.equal([r.chosen.sizes, r.single.sizes, r.bestMerged?.sizes], [[[160, 160]], [[160, 160]], [[160, 160], [192, 192]]]);
  assert.equal(chooseInference(singles, [trial([128, 192], 0.66), trial([160, 192], 0.66)]).chosen.sizes, [[128, 128], [192, 192]]);
  assert.equal(chooseInference(singles, small, -1).chosen.sizes, [[160, 160], [192, 192]]);
  assert.equal(chooseInference([trial([128], Number.NaN), trial([160], 0.1)], []).chosen.sizes, [[160, 160]]);
  assert.equal(chooseInference([trial([128], Number.NaN)], [trial([128, 160], 0.1)]).chosen.sizes, [[128, 128], [160, 160]]);
  assert.is(MULTI_SIZE_MIN_GAIN, 0.01);
  assert.throws(() => chooseInference([], []), /at least one single-size trial/);
  assert.equal(combinations(['a', 'b', 'c'], 2), [['a', 'b'], ['a', 'c'], ['b', 'c']]);
  assert.equal(combinations(['a', 'b', 'c'], 3), [['a', 'b'], ['a', 'b', 'c'], ['a', 'c'], ['b', 'c']]);
  assert.equal(combinations(['a'], 2), []);
});

test('train --infer-merge: the merges are logged in metrics.jsonl, the exported testSizes score what was logged, a small gain keeps one size', async () => {
  const data = path.join(dir, 'train-data');
  await synthDataset({ out: data, train: 16, val: 8, size: 64, seed: 3 });
  const base = { data: path.join(data, 'train'), val: path.join(data, 'val'), arch: 'centernet-tiny', inputSize: [64, 64] as [number, number], batch: 8, workers: 0, backend: 'wasm', augment: 'none' as const, steps: 2, valSteps: 2, patience: 0, inferScales: [1, 1.5], inferMerge: 2 };
  const run = async (name: string, inferMergeGain: number) => {
    const lines: string[] = [];
    const result = await train({ ...base, out: path.join(dir, name), inferMergeGain, log: (l) => lines.push(l) });
    const metrics = readFileSync(path.join(dir, name, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    return { result, lines, file: readModelFile(new Uint8Array(readFileSync(result.modelFile!))), merges: metrics.filter((m) => m.type === 'inference-sizes') };
  };
  const taken = await run('merge-taken', -1);
  assert.equal(taken.merges.map((m) => m.inputSizes), [[[64, 64], [96, 96]]]);
  assert.equal([taken.file.config.testSizes, taken.file.config.testMerge], [[[64, 64], [96, 96]], 'wbf']);
  const valSet = await loadCocoDataset(path.join(data, 'val'));
  const own = await evaluateModel(taken.result.modelFile!, valSet);
  assert.is(Math.round(own.coco.stats.AP * 10000) / 10000, taken.merges[0].AP);
  assert.is(taken.result.val!.AP, taken.merges[0].AP);
  assert.ok(taken.lines.some((l) => l.startsWith('multi-size test: 64x64 + 96x96, merged')), taken.lines.join('\n'));
  const kept = await run('merge-not-taken', 1);
  assert.is(kept.file.config.testSizes, undefined);
  assert.ok(kept.lines.some((l) => l.startsWith('multi-size test: not taken')), kept.lines.join('\n'));
  const error = await train({ ...base, arch: 'cornernet-tiny', out: path.join(dir, 'corner') }).then(() => undefined, (e: Error) => e);
  assert.match(error!.message, /train: --infer-merge 2: the multi-size test is chosen for CenterNet models only/);
  for (const bad of [0, 5, 1.5]) {
    const e = await train({ ...base, inferMerge: bad, out: path.join(dir, 'bad') }).then(() => undefined, (err: Error) => err);
    assert.match(e!.message, /^train: --infer-merge must be an integer from 1 \(one size\) to 4/);
  }
});

test.run();
