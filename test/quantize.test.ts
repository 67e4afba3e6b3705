// Post-training int8 quantisation (runtime/quantize/) of the bundled model, calibrated on
// synthetic scenes: which convs and transposed convs become int8; each int8 layer in the execution
// plan against the quantised arithmetic written out here in float64 (codes of the observed input
// times codes of the stored weights, scales, bias, ReLU; a transposed conv as PyTorch's
// ConvTranspose2d sums); the int8 detector against the f32 one on the sample
// image; its AP on held-out synthetic images against the f32 model's; and the refusals of
// quantizeModel and the `quantize` command.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, rmSync, writeFileSync, existsSync, readFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ObjectDetector } from '../runtime/detector.js';
import { preset } from '../runtime/model/presets.js';
import { buildGraph } from '../runtime/model/registry.js';
import { randomWeights } from './helpers/random-weights.js';
import { quantizeModel } from '../runtime/quantize/quantize-model.js';
import { readModelFile, writeModelFile } from '../runtime/weights/model-file.js';
import { quantizeCommand } from '../runtime/cli/quantize.js';
import { renderScene } from '../trainer/data/synth-scene.js';
import { SHAPE_NAMES } from '../trainer/data/synth-shapes.js';
import { encodePngRGB, readImageRGB } from '../trainer/data/image-io.js';
import { loadKernels } from './helpers/kernels.js';
import { synthDataset } from '../trainer/data/synth.js';
import { loadCocoDataset } from '../trainer/data/coco.js';
import { evaluateModel } from '../trainer/evaluate.js';
import { rejects } from './helpers/rejects.js';
import { checkInt8Layers } from './helpers/int8-layers.js';

const models = (name: string) => fileURLToPath(new URL(`../models/${name}`, import.meta.url));
const scenes = (n: number, seed: number) => Array.from({ length: n }, (_, i) => {
  const s = renderScene(seed + i, { size: 128, classes: SHAPE_NAMES });
  return { data: s.data, width: s.width, height: s.height, channels: 3 as const };
});

let int8Bytes: Uint8Array;

test('the bundled model: every conv but the RGB stem and the heads\' last ones in int8, and the neck\'s transposed convs, in a file about 60% the size', async () => {
  await loadKernels();
  const seen: number[] = [];
  const r = await quantizeModel({ images: scenes(12, 500), onImage: (n) => seen.push(n) });
  int8Bytes = r.bytes;
  const f32 = readModelFile(readFileSync(models('centernet-tiny-synth.safetensors')));
  const convs = f32.graph.nodes.filter((n) => n.op === 'conv');
  const headLast = new Set(Object.values(f32.graph.heads).flat());
  // the stem reads 3 channels: below INT8_MIN_CIN (8), where the f32 kernel is the faster one
  const stems = convs.filter((n) => n.op === 'conv' && n.cin < 8).map((n) => n.name);
  assert.equal(stems, ['conv1']);
  const deconvs = f32.graph.nodes.filter((n) => n.op === 'deconv').map((n) => n.name);
  assert.ok(deconvs.length >= 2, 'the model has an up-sampling neck');
  assert.is(r.int8Layers, convs.filter((n) => !headLast.has(n.name)).length - 1 + deconvs.length);
  assert.is(r.f32Layers, headLast.size + 1);
  assert.is(r.images, 12);
  assert.equal(seen, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  const file = readModelFile(int8Bytes, 'int8');
  assert.is(file.int8!.size, r.int8Layers);
  for (const name of [...headLast, 'conv1']) assert.not.ok(file.int8!.has(name), name);
  for (const name of deconvs) assert.ok(file.int8!.has(name), name);
  // a conv after the max pool (of ReLU outputs): unsigned codes
  assert.is(file.int8!.get('layer1.0.conv1')!.input.codes, 'u8');
  assert.ok(int8Bytes.length < 0.65 * readFileSync(models('centernet-tiny-synth.safetensors')).length, `${int8Bytes.length} bytes`);
});

test('each int8 layer in the plan computes the quantised conv of its observed input', async () => {
  assert.is(await checkInt8Layers(await loadKernels(), int8Bytes, 'c2'), 22);
});

test("the same in the 'c4' layout (the relaxed dot product's 7-bit codes; the SIMD128 build's exact emulation where relaxed SIMD is off)", async () => {
  assert.is(await checkInt8Layers(await loadKernels(), int8Bytes, 'c4'), 22);
});

test('cornernet-tiny (random weights, corner pools, both corner heads): the same, through the CornerNet preprocessing of quantizeModel', async () => {
  const config = preset('cornernet-tiny', { numClasses: 3 });
  const f32 = writeModelFile(config, randomWeights(buildGraph(config), 3));
  const { bytes, int8Layers } = await quantizeModel({ model: f32, images: scenes(3, 70) });
  assert.ok(int8Layers > 10, `${int8Layers} int8 layers`);
  assert.is(await checkInt8Layers(await loadKernels(), bytes, 'c2'), int8Layers);
});


test('int8 and f32 detectors find the same objects in the sample image', async () => {
  await loadKernels();
  const img = await readImageRGB(models('sample.png'));
  const image = { data: img.data, width: img.width, height: img.height, channels: 3 as const };
  const f32 = await ObjectDetector.create({ scoreThreshold: 0.3 });
  const q = await ObjectDetector.create({ model: int8Bytes, scoreThreshold: 0.3 });
  const a = await f32.detect(image);
  const b = await q.detect(image);
  f32.close();
  q.close();
  assert.ok(a.length >= 4);
  assert.is(b.length, a.length);
  for (const d of a) {
    const m = b.find((e) => e.label === d.label && Math.max(...e.bbox.map((v, i) => Math.abs(v - d.bbox[i]))) < 2);
    assert.ok(m, `int8 misses ${d.label} at ${d.bbox}`);
    assert.ok(Math.abs(m!.score - d.score) < 0.05, `${d.label}: score ${m!.score} vs ${d.score}`);
  }
});

test('the int8 bundled model loses at most 0.01 AP and AP50 against its f32 self on held-out synthetic images', async () => {
  await loadKernels();
  const dir = mkdtempSync(path.join(tmpdir(), 'anchorless-int8-ap-'));
  try {
    // held out: another seed than the calibration scenes (and than the model's training data)
    await synthDataset({ out: dir, train: 0, val: 150, size: 128, seed: 23 });
    const ds = await loadCocoDataset(path.join(dir, 'val'));
    const { bytes } = await quantizeModel({ images: scenes(50, 9000) });
    const f32 = (await evaluateModel(models('centernet-tiny-synth.safetensors'), ds)).coco.stats;
    const int8 = (await evaluateModel(bytes, ds)).coco.stats;
    console.log(`  held-out AP f32 ${f32.AP.toFixed(4)} int8 ${int8.AP.toFixed(4)}, AP50 ${f32.AP50.toFixed(4)} / ${int8.AP50.toFixed(4)}`);
    assert.ok(f32.AP > 0.5, 'the f32 model finds the shapes');
    assert.ok(f32.AP - int8.AP <= 0.01, `AP ${f32.AP} -> ${int8.AP}`);
    assert.ok(f32.AP50 - int8.AP50 <= 0.01, `AP50 ${f32.AP50} -> ${int8.AP50}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('refused: a quantised model, no images, unknown options, an unreadable image', async () => {
  await loadKernels();
  await rejects(() => quantizeModel({ model: int8Bytes, images: scenes(1, 1) }), /already quantised/);
  await rejects(() => quantizeModel({ images: [] }), /no calibration images/);
  await rejects(() => quantizeModel({ images: scenes(1, 1), calibration: 1 } as never), /quantizeModel: .*calibration/);
  await rejects(() => quantizeModel({ images: 5 } as never), /images must be an iterable/);
  await rejects(() => quantizeModel({ images: [...scenes(2, 1), { data: new Uint8Array(5), width: 4, height: 4 }] }), /calibration image 2: /);
});

test('the quantize command: writes the file once, refuses to overwrite, names a folder without images', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'anchorless-quantize-'));
  try {
    mkdirSync(path.join(dir, 'cal', 'images'), { recursive: true });
    for (const [i, s] of scenes(3, 40).entries()) writeFileSync(path.join(dir, 'cal', 'images', `${i}.png`), await encodePngRGB(s));
    const out = path.join(dir, 'q.safetensors');
    const log = console.log;
    const lines: string[] = [];
    console.log = (...args: unknown[]) => void lines.push(args.join(' '));
    try {
      await quantizeCommand(['--calibration', path.join(dir, 'cal'), '--out', out]);
    } finally {
      console.log = log;
    }
    assert.match(lines.join('\n'), /22 conv and transposed-conv layers in int8, 4 left in f32 \(calibrated on 3 images/);
    assert.ok(readModelFile(readFileSync(out), out).int8);
    await rejects(() => quantizeCommand(['--calibration', path.join(dir, 'cal'), '--out', out]), /--out .* exists/);
    mkdirSync(path.join(dir, 'empty'));
    await rejects(() => quantizeCommand(['--calibration', path.join(dir, 'empty'), '--out', path.join(dir, 'b.safetensors')]), /--calibration .*empty: no image files/);
    await rejects(() => quantizeCommand(['--out', path.join(dir, 'b.safetensors')]), /--calibration DIR is required/);
    await rejects(() => quantizeCommand(['--calibration', path.join(dir, 'cal'), '--out', path.join(dir, 'b.safetensors'), '--bits', '4']), /bits/);
    assert.equal(readdirSync(dir).sort(), ['cal', 'empty', 'q.safetensors']);
    assert.not.ok(existsSync(path.join(dir, 'b.safetensors')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
