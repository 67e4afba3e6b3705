// Issue 10, defect 9: the CLI's rough edges, each command called in-process as the CLI calls it.
// detect --json reports every bad image and still prints the good ones; --out and train's
// arguments are checked before any work; messages name flags, not API options; eval says when it
// skips annotations and refuses image sizes that contradict the file.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { detectCommand } from '../runtime/cli/detect.js';
import { preset } from '../runtime/model/presets.js';
import { ObjectDetector } from '../runtime/detector.js';
import { readImageRGB } from '../trainer/data/image-io.js';
import { readModelFile, writeModelFile } from '../runtime/weights/model-file.js';
import { dataCommand } from '../trainer/cli/data.js';
import { evalCommand } from '../trainer/cli/eval.js';
import { exportCommand } from '../trainer/cli/export.js';
import { synthCommand } from '../trainer/cli/synth.js';
import { trainCommand } from '../trainer/cli/train.js';
import { synthDataset } from '../trainer/data/synth.js';
import type { CocoJson } from '../trainer/data/types.js';
import { loadKernels } from './helpers/kernels.js';

const dir = mkdtempSync(path.join(tmpdir(), 'anchorless-cli-edges-'));
const SAMPLE = path.resolve('models/sample.png');
const MODEL_FILE = path.resolve('models/centernet-tiny-synth.safetensors');

/** Runs a command with console.log / console.error captured; returns what it printed and its error. */
async function run(command: (argv: string[]) => Promise<void>, argv: string[]): Promise<{ out: string; err: string; error?: Error }> {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  const write = process.stderr.write;
  console.log = (...a: unknown[]) => out.push(a.join(' '));
  console.error = (...a: unknown[]) => err.push(a.join(' '));
  process.stderr.write = ((s: string) => (err.push(String(s)), true)) as typeof process.stderr.write;
  try {
    await command(argv);
    return { out: out.join('\n'), err: err.join('\n') };
  } catch (e) {
    return { out: out.join('\n'), err: err.join('\n'), error: e as Error };
  } finally {
    console.log = log;
    console.error = error;
    process.stderr.write = write;
  }
}

test.before(async () => {
  await loadKernels();
  await synthDataset({ out: path.join(dir, 'synth'), train: 2, val: 2, size: 64, seed: 3 });
});

test('detect --json: one bad image among good ones: the good ones printed, the bad one reported, an Error at the end', async () => {
  const bad = path.join(dir, 'not-an-image.png');
  writeFileSync(bad, 'hello');
  const r = await run(detectCommand, [SAMPLE, bad, SAMPLE, '--json']);
  const json = JSON.parse(r.out) as { image: string }[];
  assert.equal(json.map((j) => j.image), [SAMPLE, SAMPLE]);
  assert.match(r.err, /not-an-image\.png: cannot decode/);
  assert.match(r.error?.message ?? '', /^detect: 1 of 3 image\(s\) failed: .*not-an-image\.png$/);
});

test('detect --out into a missing folder: refused before any detection, without a libvips dump', async () => {
  const r = await run(detectCommand, [SAMPLE, '--out', path.join(dir, 'missing', 'a.png')]);
  assert.is(r.out, '', 'nothing detected or printed');
  assert.match(r.error?.message ?? '', /^detect: --out .*missing\/a\.png: the folder .*missing does not exist$/);
  const unsupported = await run(detectCommand, [SAMPLE, '--out', path.join(dir, 'a.gif')]);
  assert.is(unsupported.out, '');
  assert.match(unsupported.error?.message ?? '', /unsupported extension "\.gif"/);
});

test('detect --input-size: one size instead of the model\'s, the detections of a detector at that size; bad sizes named', async () => {
  const r = await run(detectCommand, [SAMPLE, '--input-size', '160', '--json']);
  const det = await ObjectDetector.create({ inputSize: 160, model: MODEL_FILE });
  try {
    const rgb = await readImageRGB(SAMPLE);
    const expected = await det.detect({ data: rgb.data, width: rgb.width, height: rgb.height, channels: 3 });
    const scores = (out: string) => (JSON.parse(out) as { detections: { score: number }[] }[])[0].detections.map((d) => d.score);
    // --json prints scores to 4 decimals
    assert.equal(scores(r.out), expected.map((d) => Math.round(d.score * 1e4) / 1e4));
    assert.not.equal(scores(r.out), scores((await run(detectCommand, [SAMPLE, '--json'])).out), 'the model\'s own size (128) differs');
  } finally {
    det.close();
  }
  for (const bad of ['0', '1x', '128x-1', 'big']) {
    const e = await run(detectCommand, [SAMPLE, '--input-size', bad]);
    assert.is(e.error?.message, `detect: --input-size must be N or HxW (positive integers up to 16384), got ${bad}`);
  }
});

test("detect --merge: a multi-size model's runs merged as asked (default its testMerge); a bad value named", async () => {
  const model = readModelFile(new Uint8Array(readFileSync(MODEL_FILE)));
  const file = path.join(dir, 'fused.safetensors');
  writeFileSync(file, writeModelFile({ ...model.config, testSizes: [[128, 128], [160, 160]], testMerge: 'wbf' }, model.tensors));
  const rgb = await readImageRGB(SAMPLE);
  const scores = (out: string) => (JSON.parse(out) as { detections: { score: number }[] }[])[0].detections.map((d) => d.score);
  const expected = async (merge: 'soft-nms' | 'wbf') => {
    const det = await ObjectDetector.create({ model: file, merge });
    try {
      return (await det.detect({ data: rgb.data, width: rgb.width, height: rgb.height, channels: 3 })).map((d) => Math.round(d.score * 1e4) / 1e4);
    } finally {
      det.close();
    }
  };
  const soft = scores((await run(detectCommand, [SAMPLE, '--model', file, '--merge', 'soft-nms', '--json'])).out);
  const fused = scores((await run(detectCommand, [SAMPLE, '--model', file, '--json'])).out);
  assert.equal(soft, await expected('soft-nms'));
  assert.equal(fused, await expected('wbf'));
  assert.not.equal(soft, fused);
  const e = await run(detectCommand, [SAMPLE, '--merge', 'nms']);
  assert.is(e.error?.message, `detect: --merge must be 'soft-nms' or 'wbf', got "nms"`);
});

test('export and data --arch FILE.json: a model config file in place of a preset (its classes kept unless --classes), errors naming the file', async () => {
  const config = preset('centernet-tiny', { labels: ['cat', 'dog'], inputSize: [64, 64] });
  const file = path.join(dir, 'arch-tiny.json');
  writeFileSync(file, JSON.stringify({ ...config, name: 'my-tiny' }));
  const model = async (args: string[], out: string) => {
    const r = await run(exportCommand, ['--arch', file, '--init', 'random', ...args, '--out', out]);
    assert.is(r.error, undefined, r.error?.message);
    return readModelFile(new Uint8Array(readFileSync(out)), out).config;
  };
  const own = await model([], path.join(dir, 'arch-own.safetensors'));
  assert.equal([own.name, own.labels, own.inputSize], ['my-tiny', ['cat', 'dog'], [64, 64]]);
  const three = await model(['--classes', '3', '--input-size', '96'], path.join(dir, 'arch-three.safetensors'));
  assert.equal([three.labels, three.inputSize], [['class0', 'class1', 'class2'], [96, 96]]);
  // data reads the file's detector and stride: the same summary as the preset it was made from
  const summary = async (arch: string, svg: string, ...args: string[]) => {
    const r = await run(dataCommand, [path.join(dir, 'synth', 'train'), '--arch', arch, ...args, '--out', path.join(dir, svg), '--json']);
    assert.is(r.error, undefined, r.error?.message);
    const { picture: _, model: m, ...rest } = JSON.parse(r.out.slice(r.out.indexOf('{'))) as Record<string, unknown> & { model: Record<string, unknown> };
    return { rest, model: { ...m, name: undefined } };
  };
  assert.equal(await summary(file, 'arch-file.svg'), await summary('centernet-tiny', 'arch-preset.svg', '--input-size', '64'));
  const missing = await run(exportCommand, ['--arch', path.join(dir, 'nope.json'), '--init', 'random', '--out', path.join(dir, 'nope.safetensors')]);
  assert.match(missing.error?.message ?? '', /^export: --arch .*nope\.json: cannot read the model config \(no such file\)$/);
  const broken = path.join(dir, 'arch-broken.json');
  writeFileSync(broken, '{"format": ');
  const notJson = await run(dataCommand, [path.join(dir, 'synth', 'train'), '--arch', broken, '--out', path.join(dir, 'b.svg')]);
  assert.match(notJson.error?.message ?? '', /^data: --arch .*arch-broken\.json: model config is not valid JSON/);
  writeFileSync(broken, JSON.stringify({ ...config, head: { type: 'no-such-head' } }));
  const badPart = await run(exportCommand, ['--arch', broken, '--init', 'random', '--out', path.join(dir, 'b.safetensors')]);
  assert.match(badPart.error?.message ?? '', /^export: --arch .*arch-broken\.json: .*no-such-head/);
  assert.not.ok(existsSync(path.join(dir, 'nope.safetensors')) || existsSync(path.join(dir, 'b.safetensors')) || existsSync(path.join(dir, 'b.svg')));
});

test('train: bad arguments print nothing else and leave no --out folder; --out a file; --batch named', async () => {
  const out = path.join(dir, 'train-out');
  const missingData = await run(trainCommand, ['--data', path.join(dir, 'nope'), '--arch', 'centernet-tiny', '--out', out]);
  assert.match(missingData.error?.message ?? '', /nope: no such folder/);
  assert.is(missingData.err, '', 'no backend selection printed first');
  assert.not.ok(existsSync(out), 'no empty --out folder left');
  const badArch = await run(trainCommand, ['--data', path.join(dir, 'synth', 'train'), '--arch', 'centernet-tiny-typo', '--out', out]);
  assert.ok(badArch.error);
  assert.not.ok(existsSync(out));
  const file = path.join(dir, 'a-file');
  writeFileSync(file, 'x');
  const onFile = await run(trainCommand, ['--data', path.join(dir, 'synth', 'train'), '--arch', 'centernet-tiny', '--out', file]);
  assert.match(onFile.error?.message ?? '', /^train: --out .*a-file exists and is not a folder$/);
  const bigBatch = await run(trainCommand, ['--data', path.join(dir, 'synth', 'train'), '--arch', 'centernet-tiny', '--out', out, '--batch', '8']);
  assert.match(bigBatch.error?.message ?? '', /has 2 image\(s\), fewer than one batch of 8: give a smaller --batch/);
  assert.not.match(bigBatch.error?.message ?? '', /dropLast/);
  assert.not.ok(existsSync(out));
  const badSchedule = await run(trainCommand, ['--data', path.join(dir, 'synth', 'train'), '--arch', 'centernet-tiny', '--out', out, '--lr-schedule', 'linear']);
  assert.match(badSchedule.error?.message ?? '', /^train: --lr-schedule must be one of step, cosine, got "linear"$/);
  assert.not.ok(existsSync(out));
  // the lists and the weight average's decay are checked before anything runs
  for (const [args, message] of [
    [['--scales', '0.8,x'], /^train: --scales must be a number in \[0\.25, 4\], got x$/],
    [['--infer-scales', '1,9'], /^train: --infer-scales must be a number in \[0\.25, 4\], got 9$/],
    [['--ema', '1'], /^train: --ema must be a number in \[0, 0\.999999\], got 1$/],
    [['--ema', '-0.5'], /^train: --ema must be a number in \[0, 0\.999999\], got -0\.5$/],
    [['--augment-from', '1'], /^train: --augment-from must be a number in \[0, 0\.999\], got 1$/],
    [['--augment-from', 'half'], /^train: --augment-from must be a number in \[0, 0\.999\], got half$/],
    [['--infer-merge', '0'], /^train: --infer-merge must be an integer in \[1, 4\], got 0$/],
    [['--infer-merge', '2.5'], /^train: --infer-merge must be an integer in \[1, 4\], got 2\.5$/],
  ] as const) {
    const r = await run(trainCommand, ['--data', path.join(dir, 'synth', 'train'), '--arch', 'centernet-tiny', '--out', out, ...args]);
    assert.match(r.error?.message ?? '', message, args.join(' '));
    assert.not.ok(existsSync(out));
  }
});

test('synth into a non-empty folder names --overwrite, not the API option', async () => {
  const r = await run(synthCommand, ['--out', path.join(dir, 'synth'), '--train', '1', '--val', '1', '--size', '64']);
  assert.match(r.error?.message ?? '', /^synth: --out .*synth is not empty \(add --overwrite/);
  assert.not.match(r.error?.message ?? '', /overwrite: true/);
});

test('eval: skipped zero-size boxes are reported; an image size that contradicts the file is refused', async () => {
  const model = path.resolve('models/centernet-tiny-synth.safetensors');
  const val = path.join(dir, 'synth', 'val');
  const json = JSON.parse(readFileSync(path.join(val, 'annotations.json'), 'utf8')) as CocoJson;
  const zero = path.join(dir, 'zero');
  mkdirSync(zero);
  const withZero: CocoJson = { ...json, annotations: [...json.annotations, { id: 999, image_id: json.images[0].id, category_id: json.categories[0].id, bbox: [5, 5, 0, 0], area: 0 }] };
  writeFileSync(path.join(zero, 'annotations.json'), JSON.stringify(withZero));
  const link = (d: string) => readdirSync(path.join(val, 'images')).forEach((f) => {
    mkdirSync(path.join(d, 'images'), { recursive: true });
    writeFileSync(path.join(d, 'images', f), readFileSync(path.join(val, 'images', f)));
  });
  link(zero);
  const r = await run(evalCommand, ['--model', model, '--data', zero, '--json']);
  assert.is(r.error, undefined);
  assert.match(r.err, /eval: warning: .*annotations\[\d+\] \(id 999\): degenerate bbox \[5,5,0,0\] skipped/);

  const wrong = path.join(dir, 'wrong-size');
  mkdirSync(wrong);
  writeFileSync(path.join(wrong, 'annotations.json'), JSON.stringify({ ...json, images: json.images.map((im) => ({ ...im, width: 640, height: 480 })) }));
  link(wrong);
  const w = await run(evalCommand, ['--model', model, '--data', wrong]);
  assert.match(w.error?.message ?? '', /^image .*000001\.png: the file is 64x64 but the annotations say 640x480/);
  // with two detectors too: the error is the same, and the worker detector is closed (the test would hang otherwise)
  const w2 = await run(evalCommand, ['--model', model, '--data', wrong, '--detectors', '2']);
  assert.match(w2.error?.message ?? '', /^image .*: the file is 64x64 but the annotations say 640x480/);
  // --detectors 2: the same numbers
  const two = await run(evalCommand, ['--model', model, '--data', zero, '--json', '--detectors', '2']);
  assert.equal(JSON.parse(two.out).metrics, JSON.parse(r.out).metrics);
  const bad = await run(evalCommand, ['--model', model, '--data', zero, '--detectors', '0']);
  assert.match(bad.error?.message ?? '', /eval: --detectors/);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
