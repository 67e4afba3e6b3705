// The trainer end to end, small enough for CI: a synthetic dataset, a few dozen steps of
// centernet-tiny on the wasm backend, the loss falls, and the exported file loads and runs in
// the runtime. Then killing `train` at random moments and resuming: no broken file is ever left,
// and the resumed run ends with exactly the weights of an uninterrupted one.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ObjectDetector } from '../runtime/detector.js';
import { readModelFile } from '../runtime/weights/model-file.js';
import { readCheckpoint } from '../trainer/checkpoint.js';
import { synthDataset } from '../trainer/data/synth.js';
import { train } from '../trainer/train.js';
import { loadKernels } from './helpers/kernels.js';
import { rng } from './helpers/random.js';
import { trainLosses } from './helpers/metrics.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = mkdtempSync(path.join(tmpdir(), 'anchorless-train-'));
const data = path.join(dir, 'synth');
const quiet = () => undefined;
// 48 images of 64 px, batch 8: 6 steps per epoch
const ARGS = { data: path.join(data, 'train'), arch: 'centernet-tiny', inputSize: [64, 64] as [number, number], batch: 8, lr: 2e-3, workers: 0, backend: 'wasm', log: quiet };

test.before(async () => {
  await synthDataset({ out: data, train: 48, val: 8, size: 64, seed: 3 });
});

test('a few dozen steps: the loss falls and the exported model runs in the runtime', async () => {
  const out = path.join(dir, 'run');
  // (6 passes over 48 images is a fixed set, whose recipe augments; this test is about the loop)
  const result = await train({ ...ARGS, val: path.join(data, 'val'), out, epochs: 6, valEvery: 6, augment: 'none' });
  assert.ok(result.modelFile, 'model.safetensors written');
  const losses = readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; total?: number; AP?: number });
  const steps = losses.filter((l) => l.type === 'train').map((l) => l.total!);
  assert.is(steps.length, 36);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const first = mean(steps.slice(0, 6));
  const last = mean(steps.slice(-6));
  assert.ok(last < 0.6 * first, `loss fell from ${first.toFixed(3)} to ${last.toFixed(3)}`);
  assert.ok(losses.some((l) => l.type === 'val' && typeof l.AP === 'number'), 'a validation line with AP');

  await loadKernels();
  const bytes = new Uint8Array(readFileSync(result.modelFile!));
  const file = readModelFile(bytes, result.modelFile!);
  assert.equal(file.config.labels, ['circle', 'square', 'triangle', 'plus', 'ring', 'star']);
  const det = await ObjectDetector.create({ model: bytes, scoreThreshold: 0 });
  const img = new Uint8Array(64 * 64 * 3).fill(128);
  assert.ok((await det.detect({ data: img, width: 64, height: 64 })).length > 0);
  det.close();
});

test('an existing checkpoint is never overwritten without --resume', async () => {
  const out = path.join(dir, 'run');
  try {
    await train({ ...ARGS, out, epochs: 1 });
    assert.unreachable('must refuse');
  } catch (e) {
    assert.match((e as Error).message, /already holds a checkpoint; add --resume/);
  }
});

test('--steps counts optimiser steps across epochs (the last epoch cut short) and sets the schedule; the -tiny recipe fills the rest', async () => {
  const out = path.join(dir, 'steps');
  const lines: string[] = [];
  const result = await train({ ...ARGS, batch: undefined, out, steps: 10, weightDecay: 0, log: (l) => lines.push(l) });
  assert.is(result.state.globalStep, 10);
  assert.ok(result.modelFile, 'model written after the 10th step');
  const metrics = readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; epoch: number; lr: number });
  // 48 images at the recipe's batch 8: 6 steps in epoch 1, 4 in epoch 2
  assert.equal(metrics.map((m) => m.epoch), [1, 1, 1, 1, 1, 1, 2, 2, 2, 2]);
  // lr divided by 10 from 0-based step 0.7 * 10 = 7 and again from 0.9 * 10 = 9
  const [lr0, lr1, lr2] = [2e-3, 2e-3 * 0.1 ** 1, 2e-3 * 0.1 ** 2];
  assert.equal(metrics.map((m) => m.lr), [lr0, lr0, lr0, lr0, lr0, lr0, lr0, lr1, lr1, lr2]);
  assert.ok(lines.some((l) => l.includes('on 48 images, 6 steps/epoch')), lines.join('\n'));
  // the recipe line says what the caller's options replace, with their values
  assert.ok(lines.some((l) => l.startsWith('recipe: ') && l.endsWith(' (options given override it: weight decay 0)')), lines.join('\n'));
});

/** Runs the CLI's train in a child process; kills it after `killAfterMs` (if given). */
function runTrain(out: string, killAfterMs?: number): Promise<number | null> {
  const args = ['--import', 'tsx', path.join(root, 'runtime', 'cli.ts'), 'train', '--data', ARGS.data, '--arch', ARGS.arch, '--out', out,
    '--input-size', '64', '--batch', '8', '--epochs', '3', '--checkpoint-every', '1', '--workers', '0', '--backend', 'wasm', '--resume'];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: 'ignore' });
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('exit', (code) => {
      if (timer) clearTimeout(timer);
      resolve(code);
    });
  });
}

test('killed at random moments, --resume finishes with the weights of an uninterrupted run', async () => {
  const straight = path.join(dir, 'straight');
  assert.is(await runTrain(straight), 0);
  const killed = path.join(dir, 'killed');
  const r = rng(Date.now() % 100000);
  for (let i = 0; i < 4; i++) {
    await runTrain(killed, 2500 + r() * 4000);
    for (const name of readdirSync(killed)) {
      // whatever the moment of the kill: the checkpoint (if any) is whole
      if (name === 'checkpoint.safetensors') await readCheckpoint(path.join(killed, name));
    }
  }
  assert.is(await runTrain(killed), 0);
  assert.equal(readdirSync(killed).filter((n) => n.includes('.tmp-')), [], 'no temporary files left');
  assertSameModel(straight, killed);
  const lines = readFileSync(path.join(killed, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; step: number });
  assert.equal(lines.filter((l) => l.type === 'train').map((l) => l.step), Array.from({ length: 18 }, (_, i) => i + 1), 'one metrics line per step');
});

test('killed after a step was logged but before the first checkpoint: --resume starts over without the stale line', async () => {
  const out = path.join(dir, 'before-first-checkpoint');
  mkdirSync(out);
  // what such a kill leaves: metrics.jsonl with step 1, no checkpoint
  writeFileSync(path.join(out, 'metrics.jsonl'), `${JSON.stringify({ type: 'train', epoch: 1, step: 1, lr: 2e-3 })}\n`);
  await train({ ...ARGS, out, epochs: 3, checkpointEvery: 1, resume: true, maxSteps: 3 });
  const steps = readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { step: number }).step);
  assert.equal(steps, [1, 2, 3]);
});

// Adam's bias-correction accumulators (beta^t) must come back bit for bit: tfjs' setWeights would
// recompute them with pow(), which differs in float32 from the per-step products at t = 2 and 5.
test('stopped after 2, then 5 steps (--max-steps) and resumed: the same weights as without stopping', async () => {
  const stopped = path.join(dir, 'stopped');
  const opts = { ...ARGS, out: stopped, epochs: 3, checkpointEvery: 1, resume: true };
  await train({ ...opts, maxSteps: 2 });
  await train({ ...opts, maxSteps: 3 });
  const result = await train(opts);
  assert.is(result.state.globalStep, 18);
  assertSameModel(path.join(dir, 'straight'), stopped);
});

// --ema: the checkpoint carries the average, so a resumed run continues it exactly; what is
// exported is the average, not the last weights.
test('--ema: the export is the weight average, and a stopped and resumed run ends with the same one', async () => {
  const opts = { ...ARGS, epochs: 2, checkpointEvery: 1, ema: 0.9 };
  const straight = path.join(dir, 'ema-straight');
  await train({ ...opts, out: straight });
  const stopped = path.join(dir, 'ema-stopped');
  await train({ ...opts, out: stopped, resume: true, maxSteps: 5 });
  await train({ ...opts, out: stopped, resume: true });
  assertSameModel(straight, stopped);
  const ckpt = await readCheckpoint(path.join(straight, 'checkpoint.safetensors'));
  assert.ok(ckpt.average, 'the checkpoint holds the average');
  const model = readModelFile(new Uint8Array(readFileSync(path.join(straight, 'model.safetensors'))));
  let differ = 0;
  for (const [name, t] of model.tensors) {
    const avg = ckpt.average!.get(name)!;
    assert.ok(avg.length === t.length && t.every((v, i) => Object.is(v, avg[i])), `${name}: the exported value is the average`);
    if (!ckpt.params.get(name)!.every((v, i) => Object.is(v, t[i]))) differ++;
  }
  assert.ok(differ > 0.5 * model.tensors.size, `the average differs from the last weights (${differ} of ${model.tensors.size} tensors)`);
});

// --augment-from: the first share of the steps sees the images as they are (the same losses as a
// run without augmentation), the rest augmented; a run stopped after the switch resumes exactly.
test('--augment-from 0.5: the first half of the steps unaugmented, then augmented; resumed across the switch, the same model', async () => {
  const opts = { ...ARGS, epochs: 2, checkpointEvery: 1, augment: 'full' as const };
  const lines: string[] = [];
  const half = path.join(dir, 'aug-half');
  await train({ ...opts, out: half, augmentFrom: 0.5, log: (l) => lines.push(l) });
  const none = path.join(dir, 'aug-none');
  await train({ ...opts, out: none, augment: 'none' });
  const full = path.join(dir, 'aug-full');
  await train({ ...opts, out: full, augmentFrom: 0 });
  const [h, n, f] = [half, none, full].map(trainLosses);
  assert.is(h.length, 12);
  assert.equal(h.slice(0, 6), n.slice(0, 6), 'steps 1-6: the unaugmented run\'s losses');
  assert.ok(h[6] !== n[6], `step 7 augmented: ${h[6]} against ${n[6]} unaugmented`);
  assert.ok(f[0] !== n[0], 'a run augmented from the start differs from its first step');
  assert.ok(lines.some((l) => l.includes('train: augment full from step 6 of 12')), lines.join('\n'));
  const stopped = path.join(dir, 'aug-stopped');
  await train({ ...opts, out: stopped, augmentFrom: 0.5, resume: true, maxSteps: 8 });
  await train({ ...opts, out: stopped, augmentFrom: 0.5, resume: true });
  assertSameModel(half, stopped);
});


/** Both runs' model.safetensors hold bit-identical tensors. */
function assertSameModel(dirA: string, dirB: string): void {
  const a = readModelFile(new Uint8Array(readFileSync(path.join(dirA, 'model.safetensors'))));
  const b = readModelFile(new Uint8Array(readFileSync(path.join(dirB, 'model.safetensors'))));
  // (element by element: uvu's equal compares typed-array views by their whole underlying buffers)
  for (const [name, t] of a.tensors) {
    const u = b.tensors.get(name)!;
    assert.ok(u.length === t.length && t.every((v, i) => Object.is(v, u[i])), `${name} equal after resume`);
  }
}

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
