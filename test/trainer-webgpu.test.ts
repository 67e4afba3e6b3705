// The trainer on the webgpu backend, run on whatever adapter Dawn finds: in CI a software one
// (Mesa >= 25 lavapipe, installed by .ci/run; or Chromium's SwiftShader through VK_ICD_FILENAMES).
// Against independent runs of the same step on other backends: both detectors' gradients (the
// -tiny presets: corner pooling, batch norm, deconvolutions with skips) equal the cpu backend's;
// 20 steps of centernet-tiny follow the wasm backend's losses, each step from the wasm run's state
// within 1e-3 and the free run as closely as the cpu backend's does; and `anchorless train --backend
// webgpu` resumes a checkpoint exactly and exports a model that `anchorless eval` scores.
//
// The presets' gradients are compared at a point where they are defined by the kernels, not by
// rounding: (a) narrowed to an eighth of their widths at twice their size multiple (a 2x2 deepest
// map: at 1x1 a batch-norm over the batch of 2 has an analytically zero gradient, so both sides are
// rounding noise); (b) with the transposed convs' weights drawn He-normal instead of the official
// bilinear up-sampling, whose channel copies leave some batch-norm gammas a gradient of ~1e-7;
// (c) each tensor's error relative to the larger of its own scale and 1e-3 of the model's largest
// gradient (an absolute floor, as allclose's atol): a conv bias followed by batch norm has a
// gradient of exactly 0 in exact arithmetic, ~1e-8 in float32 on every backend.
//
// Not here: the hourglass-104 presets, cornernet-saccade and centernet-resdcn101. At any size tried
// (to 384 px) every pair of backends, wasm against webgpu as much as either against cpu, differs by
// a median 1e-2 of a gradient's scale while their losses agree to 1e-6: batch norm at
// initialisation makes the gradients of such deep stacks explode with depth (Yang et al., "A mean
// field theory of batch normalization", ICLR 2019), so the last bits of any kernel decide the
// leading ones of a gradient. Batch-norm gammas of 0.3 and 0.1 instead of 1 shrink it to 1.2e-3 and
// 4.8e-4 (centernet-hourglass104, wasm against webgpu), as that theory predicts, still above 1e-4.
// Most of the difference comes from ReLU inputs within rounding of 0, which two backends put on
// different sides (the gradient jumps there). In an experiment (not in the code) every ReLU's 0/1
// gate was forced to the cpu forward pass's: centernet-hourglass104 at 256 px, 1/8 width, webgpu
// against cpu, went from a median 3.6e-2 to 8.0e-4 and a worst (floored as in (c)) 1.3e-1 to
// 2.5e-3 (wasm against cpu: 6.5e-3 to 5.2e-4, worst 1.4e-3; centernet-resdcn101 at 64 px, wasm:
// worst 6.5e-1 to 2.4e-3). What is left is the stack's own amplification of rounding: the cpu
// backend against itself, every weight times 1 + 2^-23 (batch norm cancels that after each conv
// it follows, so mostly the roundings change) and the gates forced, differs by as much (median
// 6.3e-4, worst 1.7e-3; wasm against cpu 5.2e-4 and 1.4e-3). So no float32 backend meets 1e-4
// there, and the test does not force gates.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { preset } from '../runtime/model/presets.js';
import type { ModelConfig } from '../runtime/model/config.js';
import { buildGraph } from '../runtime/model/registry.js';
import { inferShapes } from '../runtime/model/graph.js';
import { readModelFile } from '../runtime/weights/model-file.js';
import { selectBackend, type TF } from '../trainer/backend.js';
import { createLoader, type Batch } from '../trainer/data/loader.js';
import { loadDataset } from '../trainer/data/load.js';
import { synthDataset } from '../trainer/data/synth.js';
import { gaussianRng, initParams, trainableNames } from '../trainer/model/params.js';
import { shardGradients } from '../trainer/step.js';
import { modelTargetSpec } from '../trainer/targets/model-spec.js';
import { train } from '../trainer/train.js';
import { narrowConfig } from './helpers/narrow.js';
import { trainLosses } from './helpers/metrics.js';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = mkdtempSync(path.join(tmpdir(), 'anchorless-webgpu-'));
const data = path.join(dir, 'synth');
const quiet = () => undefined;

/** Each preset's input for the gradient comparison: twice its size multiple; CornerNets 128k - 1. */
const CASES: Record<string, [number, number]> = {
  'centernet-tiny': [32, 32],
  'cornernet-tiny': [64, 64],
  'centernet-resnet18': [64, 64],
  'centernet-resdcn18': [64, 64],
  'centernet-dla34': [64, 64],
  'cornernet-squeeze': [255, 255],
};
/** The presets made narrower for the comparison (their widths / 8); the -tiny ones run as they are. */
const NARROWED = new Set(['centernet-resnet18', 'centernet-resdcn18', 'centernet-dla34', 'cornernet-squeeze']);

test.before(async () => {
  await synthDataset({ out: data, train: 16, val: 4, size: 64, seed: 5 });
});

/** The first batch of 2 images at the preset's case input, with its detector's targets. */
async function firstBatch(name: string): Promise<{ config: ModelConfig; batch: Batch; outputSize: [number, number] }> {
  const ds = await loadDataset(path.join(data, 'train'));
  const config = preset(name, { labels: ds.labels, inputSize: CASES[name] });
  if (NARROWED.has(name)) narrowConfig(config);
  const graph = buildGraph(config);
  const [h, w] = config.inputSize;
  const hm = inferShapes(graph, h, w).get(Object.values(graph.heads)[0][0])!;
  const outputSize: [number, number] = [hm.h, hm.w];
  const loader = await createLoader(ds, { batchSize: 2, inputSize: [h, w], outputSize, mean: config.mean, std: config.std, augment: false, workers: 0, targets: modelTargetSpec(config, graph, inferShapes(graph, h, w)) });
  const it = loader.epoch(0);
  const batch = (await it.next()).value as Batch;
  await it.return(undefined);
  await loader.close();
  return { config, batch, outputSize };
}

/** One step's loss parts and gradients (by parameter name) on `tf`'s current backend. */
async function stepOn(tf: TF, config: ModelConfig, batch: Batch, outputSize: [number, number]) {
  const graph = buildGraph(config);
  const params = initParams(tf, graph, 11);
  const normal = gaussianRng(23);
  for (const spec of params.specs.filter((sp) => sp.init === 'deconv-bilinear')) {
    const std = Math.sqrt(2 / spec.shape.slice(1).reduce((a, b) => a * b, 1));
    const v = params.values.get(spec.name)!;
    tf.tidy(() => v.assign(tf.tensor(Float32Array.from({ length: v.size }, () => normal() * std), v.shape)));
  }
  const { grads, parts } = await shardGradients(tf, graph, params, batch, config, outputSize);
  const names = trainableNames(params);
  for (const v of params.trainable) assert.ok(grads[v.name], `${v.name}: the step gives it no gradient`);
  const values = await Promise.all(params.trainable.map((v) => grads[v.name].data() as Promise<Float32Array>));
  tf.dispose([...Object.values(grads), ...params.values.values()]);
  return { parts, grads: new Map(names.map((n, i) => [n, values[i]])) };
}

for (const name of Object.keys(CASES)) {
  test(`${name}: one training step's loss and gradients on webgpu equal the cpu backend's within 1e-4`, async () => {
    const { config, batch, outputSize } = await firstBatch(name);
    const cpu = await stepOn((await selectBackend('cpu', { log: quiet })).tf, config, batch, outputSize);
    const gpu = await stepOn((await selectBackend('webgpu', { log: quiet })).tf, config, batch, outputSize);
    for (const [part, v] of Object.entries(cpu.parts)) {
      const err = Math.abs(gpu.parts[part] - v) / Math.max(Math.abs(v), 1e-6);
      assert.ok(err <= 1e-4, `${name} loss ${part}: webgpu ${gpu.parts[part]} vs cpu ${v}`);
    }
    let modelScale = 0;
    for (const g of cpu.grads.values()) for (const v of g) modelScale = Math.max(modelScale, Math.abs(v));
    let worst = 0;
    let worstName = '';
    for (const [param, g] of cpu.grads) {
      const err = flooredError(gpu.grads.get(param)!, g, 1e-3 * modelScale);
      if (!(err <= worst)) [worst, worstName] = [err, param];
    }
    assert.ok(worst <= 1e-4, `${name}: gradient of ${worstName} differs by ${worst.toExponential(2)} of its scale`);
    console.log(`  ${name}: ${cpu.grads.size} gradients, worst ${worst.toExponential(1)} (${worstName}), loss ${cpu.parts.total.toFixed(4)}`);
  });
}

/** max |a - b| over the larger of b's largest magnitude and `floor`. */
function flooredError(a: Float32Array, b: Float32Array, floor: number): number {
  if (a.length !== b.length) return Infinity;
  let diff = 0;
  let scale = floor;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return Number.isFinite(diff) && scale > 0 ? diff / scale : Infinity;
}

// the recipe of both runs: 16 images of 32 px in batches of 4, no augmentation, one thread (the
// wasm backend's default 2 threads normalise each half-batch's loss on its own)
const ARGS = { data: path.join(data, 'train'), arch: 'centernet-tiny', inputSize: [32, 32] as [number, number], batch: 4, lr: 2e-3, steps: 20, augment: 'none' as const, threads: 1, workers: 0, log: quiet };


// Two backends' runs part through events that rounding decides, and then drift apart step by step
// (measured here: equal to 4 digits for 3 steps, then up to 4e-2 by step 20, cpu against wasm too):
// - a ReLU input within rounding of 0 passes its gradient on one backend and not on the other. In a
//   full-batch run (16 images, lr 5e-4) from the cpu run's weights after 6 steps, one pixel of
//   deconv_layers.0 fell on the other side of 0 on webgpu: that step's gradient differed from the
//   cpu backend's by 1.3e-3 of scale in layer3 (4e-6 with the same weights and the images in
//   another order, where no ReLU input fell so close to 0), and the losses were 3e-3 apart by
//   step 20, while cpu and wasm, with no such flip, stayed within 3.3e-4;
// - Adam's first steps move each weight by about lr * sign(gradient), so a gradient near zero whose
//   last bits differ between two backends moves a weight by up to 2 lr.
// The 1e-3 over 20 free steps therefore holds for no pair of backends, so this test holds
// the first 3 steps to it, bounds the rest, and checks that webgpu drifts from wasm no further than
// the cpu backend does (the same run on cpu, against the same wasm run): its drift is that of any
// two backends, not a webgpu kernel's. The next test holds every step to 1e-3, each one started
// from the wasm run's state. Since the wasm backend's 3x3 convs run as Winograd (other roundings
// than webgpu's direct convs) the third step differed by 1.5e-4.
test('20 steps of centernet-tiny: the webgpu run\'s loss follows the wasm run\'s as closely as the cpu run\'s does (first 3 steps within 1e-3, all within 6e-2)', async () => {
  await train({ ...ARGS, backend: 'wasm', out: path.join(dir, 'wasm') });
  await train({ ...ARGS, backend: 'webgpu', out: path.join(dir, 'webgpu') });
  await train({ ...ARGS, backend: 'cpu', out: path.join(dir, 'cpu') });
  const [wasm, gpu, cpu] = [trainLosses(path.join(dir, 'wasm')), trainLosses(path.join(dir, 'webgpu')), trainLosses(path.join(dir, 'cpu'))];
  assert.is(gpu.length, 20);
  const drift = (run: number[]) => run.map((l, i) => Math.abs(l - wasm[i]) / Math.abs(wasm[i]));
  const rel = drift(gpu);
  assert.ok(Math.max(...rel.slice(0, 3)) <= 1e-3, `first 3 steps: ${rel.slice(0, 3).map((e) => e.toExponential(1))}`);
  const worst = Math.max(...rel);
  assert.ok(worst <= 6e-2, `loss relative difference ${worst.toExponential(2)}: webgpu ${gpu.map((l) => l.toFixed(4))} wasm ${wasm.map((l) => l.toFixed(4))}`);
  const cpuWorst = Math.max(...drift(cpu));
  assert.ok(worst <= 2 * cpuWorst, `webgpu drifts from wasm by ${worst.toExponential(2)}, the cpu backend by ${cpuWorst.toExponential(2)}`);
  assert.ok(gpu[19] < gpu[0], `the loss fell: ${gpu[0]} -> ${gpu[19]}`);
  console.log(`  loss ${gpu[0].toFixed(4)} -> ${gpu[19].toFixed(4)}, worst relative difference from wasm: webgpu ${worst.toExponential(1)}, cpu ${cpuWorst.toExponential(1)}`);
});

// The line one step at a time: each webgpu step starts from the wasm run's own state, so
// what is compared is the two backends' step (forward pass, gradients, Adam) and not where rounding
// sent two free runs. The states come from the wasm run resumed one step at a time (its resume is
// exact: the chain's losses are the uninterrupted run's). Measured here: the 19 next losses within
// 6.2e-5 of the wasm run's (metrics.jsonl keeps 4 decimals, ~1e-4 of these losses).
test('20 steps of centernet-tiny, one at a time: from each state of the wasm run, a webgpu step gives the next loss within 1e-3 of the wasm run\'s', async () => {
  const wasm = trainLosses(path.join(dir, 'wasm'));
  assert.is(wasm.length, 20);
  const rel: number[] = [];
  let state = '';
  for (let k = 0; k < 19; k++) {
    // k steps of wasm (none at k = 0: a fresh run), then one webgpu update and the loss after it
    const ahead = path.join(dir, `ahead-${k}`);
    if (k > 0) cpSync(state, ahead, { recursive: true });
    await train({ ...ARGS, backend: 'webgpu', out: ahead, resume: k > 0, maxSteps: 2 });
    const next = trainLosses(ahead);
    assert.is(next.length, k + 2);
    rel.push(Math.abs(next[k + 1] - wasm[k + 1]) / Math.abs(wasm[k + 1]));
    if (k === 18) break;
    const chain = path.join(dir, `chain-${k + 1}`);
    if (k > 0) cpSync(state, chain, { recursive: true });
    await train({ ...ARGS, backend: 'wasm', out: chain, resume: k > 0, maxSteps: 1 });
    assert.is(trainLosses(chain)[k], wasm[k], `the wasm chain's step ${k + 1} is the uninterrupted run's`);
    state = chain;
  }
  const worst = Math.max(...rel);
  assert.ok(worst <= 1e-3, `the next loss after a webgpu step differs from the wasm run's by ${rel.map((e) => e.toExponential(1)).join(' ')}`);
  console.log(`  19 single webgpu steps from the wasm run's states: the next loss within ${worst.toExponential(1)} of the wasm run's`);
});

test('`anchorless train --backend webgpu`: a checkpoint after 8 steps, --resume ends with the weights of the uninterrupted run; eval scores the model', async () => {
  const out = path.join(dir, 'resumed');
  await train({ ...ARGS, backend: 'webgpu', out, maxSteps: 8 });
  const cli = (args: string[]) => run(process.execPath, ['--import', 'tsx', path.join(root, 'runtime', 'cli.ts'), ...args], { cwd: root, maxBuffer: 1 << 24 });
  const { stderr } = await cli(['train', '--data', ARGS.data, '--arch', ARGS.arch, '--out', out, '--input-size', '32', '--batch', '4', '--lr', '0.002', '--steps', '20', '--augment', 'none', '--workers', '0', '--backend', 'webgpu', '--resume']);
  assert.match(stderr, /backend: webgpu \(forced\) on .+ \((.+, )?(software|GPU)\)/, 'the log line names the adapter');
  assert.match(stderr, /resuming .*step 8|8 steps done/);
  const a = readModelFile(new Uint8Array(readFileSync(path.join(dir, 'webgpu', 'model.safetensors'))));
  const b = readModelFile(new Uint8Array(readFileSync(path.join(out, 'model.safetensors'))));
  for (const [name, t] of a.tensors) {
    const u = b.tensors.get(name)!;
    assert.ok(u.length === t.length && t.every((v, i) => Object.is(v, u[i])), `${name} equal after resume`);
  }
  assert.equal(trainLosses(out), trainLosses(path.join(dir, 'webgpu')), 'the same losses, step by step');
  const { stdout } = await cli(['eval', '--model', path.join(out, 'model.safetensors'), '--data', path.join(data, 'val'), '--json']);
  const ap = (JSON.parse(stdout) as { metrics?: { AP?: number } }).metrics?.AP;
  assert.ok(typeof ap === 'number' && ap >= 0 && ap <= 1, `an AP in [0, 1]: ${stdout.slice(0, 300)}`);
});

test.after(async () => {
  rmSync(dir, { recursive: true, force: true });
  // later suites in this process expect the cpu backend
  await (await selectBackend('cpu', { log: quiet })).tf.setBackend('cpu');
});

test.run();
