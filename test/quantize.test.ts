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
import { ExecutionPlan } from '../runtime/engine/plan.js';
import { inferShapes, type ConvNode, type DeconvNode } from '../runtime/model/graph.js';
import { preset } from '../runtime/model/presets.js';
import { buildGraph } from '../runtime/model/registry.js';
import { randomWeights } from './helpers/random-weights.js';
import { inferenceHeads } from '../runtime/model/registry.js';
import { quantizeModel } from '../runtime/quantize/quantize-model.js';
import { int8PlanSteps } from '../runtime/engine/int8-step.js';
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

/** Nearest integer, halves to even, as the kernels' f32.nearest (written again here, not imported). */
function nearestEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  return d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1;
}

/** Runs an int8 model file's plan on a fixed input and checks every int8 layer's output against the quantised conv of its observed input. */
async function checkInt8Layers(bytes: Uint8Array): Promise<number> {
  const kn = await loadKernels();
  const file = readModelFile(bytes, 'int8');
  const heads = inferenceHeads(file.graph);
  const [h, w] = file.config.inputSize;
  const values = new Map<string, Float32Array>();
  const plan = ExecutionPlan.build(kn, file.graph, file.tensors, heads, h, w, {
    int8: await int8PlanSteps(kn, file.int8!),
    observe: (name, v) => values.set(name, v.slice()),
  });
  const input = new Float32Array(h * w * 3);
  for (let i = 0; i < input.length; i++) input[i] = Math.sin(i * 0.37) * 2;
  plan.run(input);
  plan.release();
  // the inputs' sizes from the model definition; each conv's output size from its own parameters
  const inferred = inferShapes(file.graph, h, w);
  const shapeOf = (name: string): [number, number, number] => {
    const s = inferred.get(name)!;
    return [s.h, s.w, s.c];
  };
  let checked = 0;
  for (const [name, layer] of file.int8!) {
    const node = file.graph.nodes.find((n) => n.name === name) as ConvNode | DeconvNode;
    const x = values.get(node.inputs[0])!;
    const y = values.get(name)!;
    const [ih, iw, cin] = shapeOf(node.inputs[0]);
    const out = node.op === 'deconv'
      ? (n: number) => (n - 1) * node.stride - 2 * node.pad + node.kernel + node.outputPadding
      : (n: number) => Math.floor((n + 2 * node.pad - node.dilation * (node.kernel - 1) - 1) / node.stride) + 1;
    const [oh, ow, cout] = [out(ih), out(iw), node.cout];
    assert.is(y.length, oh * ow * cout, name);
    const scale = layer.input.scale;
    const [lo, hi] = layer.input.codes === 'u8' ? [0, 255] : [-127, 127];
    // the kernels multiply by the f32 reciprocal of the scale
    const inv = Math.fround(1 / scale);
    const qx = Float64Array.from(x, (v) => Math.min(hi, Math.max(lo, nearestEven(Math.fround(v * inv)))));
    // the integer sum of output (oy, ox, co): a conv's taps over its window; a transposed conv's
    // over every input pixel and tap that lands there (oy = iy stride - pad + ky), codes [k, k, cout, cin]
    const sum = (oy: number, ox: number, co: number) => {
      let acc = 0;
      for (let ky = 0; ky < node.kernel; ky++) {
        for (let kx = 0; kx < node.kernel; kx++) {
          if (node.op === 'deconv') {
            const ty = oy + node.pad - ky;
            const tx = ox + node.pad - kx;
            if (ty < 0 || tx < 0 || ty % node.stride !== 0 || tx % node.stride !== 0) continue;
            const [iy, ix] = [ty / node.stride, tx / node.stride];
            if (iy >= ih || ix >= iw) continue;
            for (let ci = 0; ci < cin; ci++) acc += qx[(iy * iw + ix) * cin + ci] * layer.codes[((ky * node.kernel + kx) * cout + co) * cin + ci];
          } else {
            const iy = oy * node.stride - node.pad + ky * node.dilation;
            const ix = ox * node.stride - node.pad + kx * node.dilation;
            if (iy < 0 || iy >= ih || ix < 0 || ix >= iw) continue;
            for (let ci = 0; ci < cin; ci++) acc += qx[(iy * iw + ix) * cin + ci] * layer.codes[((ky * node.kernel + kx) * cin + ci) * cout + co];
          }
        }
      }
      return acc;
    };
    let worst = 0;
    let peak = 0;
    // a sample of output pixels (all channels): corners, borders and the interior (both phases of a stride-2 transposed conv)
    for (let oy = 0; oy < oh; oy += Math.max(1, Math.floor(oh / 7))) {
      for (let ox = 0; ox < ow; ox += Math.max(1, Math.floor(ow / 7))) {
        for (const [py, px] of [[oy, ox], [Math.min(oh - 1, oy + 1), Math.min(ow - 1, ox + 1)]]) {
          for (let co = 0; co < cout; co++) {
            let want = sum(py, px, co) * scale * layer.scales[co] + layer.bias[co];
            if (node.act === 'relu') want = Math.max(0, want);
            const got = y[(py * ow + px) * cout + co];
            worst = Math.max(worst, Math.abs(got - want));
            peak = Math.max(peak, Math.abs(want));
          }
        }
      }
    }
    assert.ok(worst <= 2e-6 * Math.max(1, peak), `${name}: off by ${worst} (outputs up to ${peak})`);
    checked++;
  }
  assert.is(checked, file.int8!.size);
  return checked;
}

test('each int8 layer in the plan computes the quantised conv of its observed input', async () => {
  assert.is(await checkInt8Layers(int8Bytes), 22);
});

test('cornernet-tiny (random weights, corner pools, both corner heads): the same, through the CornerNet preprocessing of quantizeModel', async () => {
  const config = preset('cornernet-tiny', { numClasses: 3 });
  const f32 = writeModelFile(config, randomWeights(buildGraph(config), 3));
  const { bytes, int8Layers } = await quantizeModel({ model: f32, images: scenes(3, 70) });
  assert.ok(int8Layers > 10, `${int8Layers} int8 layers`);
  assert.is(await checkInt8Layers(bytes), int8Layers);
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
