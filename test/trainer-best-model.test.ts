// Validation-driven training: the best model by val AP is kept (best.safetensors) and exported,
// training stops when AP has not improved for --patience validations, --resume continues with the
// best-so-far; metrics.svg draws metrics.jsonl's numbers; --time-budget's arithmetic; the recipe
// chosen by how many times the schedule sees each image. The validation is injected (AP by step),
// so which model must win is known in advance; the weights are compared with those the injected
// validation was handed at that step.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readModelFile } from '../runtime/weights/model-file.js';
import { afterValidation } from '../trainer/best-model.js';
import { readCheckpoint } from '../trainer/checkpoint.js';
import { synthDataset } from '../trainer/data/synth.js';
import { chooseRecipe, trainDefaults } from '../trainer/recipes.js';
import { COSINE_REFIT_UNTIL, fitSchedule, learningRateAt, refitHorizon, refitSchedule, trimSchedule, parseDuration } from '../trainer/schedule.js';
import { candidateSizes, train } from '../trainer/train.js';

const dir = mkdtempSync(path.join(tmpdir(), 'anchorless-best-'));
const data = path.join(dir, 'synth');
const quiet = () => undefined;
// 48 images of 64 px, batch 8: 6 steps per epoch; validation every 2 steps
const ARGS = { data: path.join(data, 'train'), val: path.join(data, 'val'), arch: 'centernet-tiny', inputSize: [64, 64] as [number, number], batch: 8, workers: 0, backend: 'wasm', augment: 'none' as const, steps: 12, valSteps: 2, patience: 2, log: quiet };
// val AP by step: rises to step 4, then falls: with patience 2 the run stops at step 8, best step 4
const AP_AT: Record<number, number> = { 2: 0.1, 4: 0.3, 6: 0.2, 8: 0.25, 10: 0.5, 12: 0.6 };

/** A validation that scores by the table and keeps the model it was handed at each step. */
function scripted() {
  const seen = new Map<number, Uint8Array>();
  const validateWith = async (model: Uint8Array, _val: unknown, step: number) => {
    seen.set(step, model.slice());
    return { AP: AP_AT[step], AP50: AP_AT[step] + 0.2 };
  };
  return { seen, validateWith };
}

function tensorsOf(bytes: Uint8Array): Map<string, Float32Array> {
  return readModelFile(bytes).tensors as Map<string, Float32Array>;
}

function sameTensors(a: Map<string, Float32Array>, b: Map<string, Float32Array>): boolean {
  if (a.size !== b.size) return false;
  for (const [name, t] of a) {
    const u = b.get(name);
    if (!u || u.length !== t.length || !t.every((v, i) => Object.is(v, u[i]))) return false;
  }
  return true;
}

const fileTensors = (file: string) => tensorsOf(new Uint8Array(readFileSync(file)));

test.before(async () => {
  await synthDataset({ out: data, train: 48, val: 8, size: 64, seed: 5 });
});

test('afterValidation: strictly better AP becomes the best; patience counts validations since it', () => {
  let rec = afterValidation({}, 2, { AP: 0.1 }, 2);
  assert.equal([rec.best.step, rec.improved, rec.sinceBest, rec.stop], [2, true, 0, false]);
  rec = afterValidation(rec, 4, { AP: 0.3 }, 2);
  assert.equal([rec.best.step, rec.improved, rec.sinceBest, rec.stop], [4, true, 0, false]);
  rec = afterValidation(rec, 6, { AP: 0.3 }, 2); // a tie keeps the earlier model
  assert.equal([rec.best.step, rec.improved, rec.sinceBest, rec.stop], [4, false, 1, false]);
  rec = afterValidation(rec, 8, { AP: Number.NaN }, 2); // NaN never wins
  assert.equal([rec.best.step, rec.improved, rec.sinceBest, rec.stop], [4, false, 2, true]);
  assert.is(afterValidation({ best: { step: 1, val: { AP: 0.5 } }, sinceBest: 99 }, 2, { AP: 0.1 }, 0).stop, false, 'patience 0 never stops');
});

test('a run whose val AP falls stops early and exports the earlier, better model', async () => {
  const out = path.join(dir, 'falls');
  const { seen, validateWith } = scripted();
  const lines: string[] = [];
  const result = await train({ ...ARGS, out, validateWith, log: (l) => lines.push(l) });
  assert.equal([...seen.keys()], [2, 4, 6, 8], 'validated every 2 steps until patience ran out');
  assert.is(result.stopped, 'patience');
  assert.is(result.state.globalStep, 8);
  assert.is(result.best!.step, 4);
  assert.is(result.val!.AP, 0.3);
  const atStep4 = tensorsOf(seen.get(4)!);
  assert.ok(sameTensors(fileTensors(path.join(out, 'best.safetensors')), atStep4), 'best.safetensors holds the step-4 weights');
  assert.ok(sameTensors(fileTensors(result.modelFile!), atStep4), 'model.safetensors is the step-4 model');
  assert.not.ok(sameTensors(fileTensors(result.modelFile!), tensorsOf(seen.get(8)!)), 'not the last weights');
  const trained = JSON.parse(readModelFile(new Uint8Array(readFileSync(result.modelFile!))).metadata['anchorless.trained']) as { bestStep: number; AP: number };
  assert.equal([trained.bestStep, trained.AP], [4, 0.3]);
  assert.ok(lines.some((l) => /stopped early at step 8/.test(l)), lines.join('\n'));
  const metrics = readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; step: number; AP?: number; best?: boolean });
  assert.equal(metrics.filter((m) => m.type === 'val').map((m) => [m.step, m.AP, m.best]), [[2, 0.1, true], [4, 0.3, true], [6, 0.2, false], [8, 0.25, false]]);
  assert.is(metrics.filter((m) => m.type === 'train').length, 8);
});

test('--resume keeps the best-so-far: stopped after step 5, resumed, the step-4 model still wins', async () => {
  const out = path.join(dir, 'resumed');
  const first = scripted();
  await train({ ...ARGS, out, validateWith: first.validateWith, maxSteps: 5, resume: true });
  assert.equal([...first.seen.keys()], [2, 4]);
  const ckpt = await readCheckpoint(path.join(out, 'checkpoint.safetensors'));
  assert.equal([ckpt.state.globalStep, ckpt.state.best?.step, ckpt.state.best?.val.AP], [5, 4, 0.3]);
  const second = scripted();
  const result = await train({ ...ARGS, out, validateWith: second.validateWith, resume: true });
  assert.equal([...second.seen.keys()], [6, 8], 'the resumed run validates only its own steps');
  assert.equal([result.best!.step, result.stopped, result.state.globalStep], [4, 'patience', 8]);
  assert.ok(sameTensors(fileTensors(result.modelFile!), tensorsOf(first.seen.get(4)!)), 'the model is the first run\'s step-4 weights');
  assert.ok(sameTensors(fileTensors(result.modelFile!), fileTensors(path.join(dir, 'falls', 'model.safetensors'))), 'and equals the uninterrupted run\'s');
});

test('metrics.svg is well-formed and its points are metrics.jsonl\'s', () => {
  const out = path.join(dir, 'falls');
  const svg = readFileSync(path.join(out, 'metrics.svg'), 'utf8');
  assertWellFormed(svg);
  const metrics = readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; step: number; total?: number; AP?: number });
  // validation points: one circle per val line, same step and AP, placed linearly
  const circles = [...svg.matchAll(/<circle class="val" cx="([\d.]+)" cy="([\d.]+)"[^>]*data-step="(\d+)" data-ap="([\d.]+)"/g)].map((m) => m.slice(1).map(Number));
  const val = metrics.filter((m) => m.type === 'val');
  assert.equal(circles.map((c) => [c[2], c[3]]), val.map((m) => [m.step, m.AP]));
  assertLinear(circles.map((c) => [c[2], c[0]]), 'x against step', 1);
  assertLinear(circles.map((c) => [c[3], c[1]]), 'y against AP', -1);
  assert.match(svg, /<circle class="best"[^>]*data-step="4"/);
  // the loss line: one point per training step (short runs are not averaged), placed linearly
  const loss = /<polyline class="loss"[^>]*points="([^"]+)"/.exec(svg)![1].split(' ').map((p) => p.split(',').map(Number));
  const train = metrics.filter((m) => m.type === 'train');
  assert.is(loss.length, train.length);
  assertLinear(train.map((m, i) => [m.step, loss[i][0]]), 'loss x against step', 1);
  assertLinear(train.map((m, i) => [m.total!, loss[i][1]]), 'loss y against loss', -1);
});

/** Pairs (a, b) lie on one line b = k a + c with sign(k) = sign (to the SVG's 0.01 rounding). */
function assertLinear(pairs: number[][], what: string, sign: 1 | -1): void {
  const [a0, b0] = pairs[0];
  const far = pairs.reduce((p, q) => (Math.abs(q[0] - a0) > Math.abs(p[0] - a0) ? q : p));
  const k = (far[1] - b0) / (far[0] - a0);
  assert.ok(Math.sign(k) === sign, `${what}: slope ${k}`);
  for (const [a, b] of pairs) assert.ok(Math.abs(b0 + k * (a - a0) - b) < 0.05, `${what}: (${a}, ${b}) off the line`);
}

/** Tags balance, attributes are quoted, no stray '<' or '&' in text. */
function assertWellFormed(xml: string): void {
  assert.match(xml, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  const stack: string[] = [];
  const re = /<(\/?)([a-zA-Z][\w-]*)((?:\s+[\w:-]+="[^"<&]*")*)\s*(\/?)>|([^<]+)/gy;
  let m: RegExpExecArray | null;
  let at = 0;
  while ((m = re.exec(xml))) {
    at = re.lastIndex;
    if (m[5] !== undefined) {
      assert.not.match(m[5], /&(?!(lt|gt|amp|quot);)/, 'unescaped & in text');
      continue;
    }
    if (m[1]) assert.is(stack.pop(), m[2], `</${m[2]}> closes the open element`);
    else if (!m[4]) stack.push(m[2]);
  }
  assert.is(at, xml.length, `unparsable from: ${xml.slice(at, at + 60)}`);
  assert.equal(stack, [], 'every element closed');
}

test('--time-budget: the measured costs give the number of steps', () => {
  // 1200 s, 3% kept back: 1164 s; 30 s spent, 10 validations of 5 s: 1084 s for 0.2 s steps = 5420 more
  assert.equal(fitSchedule({ budgetS: 1200, elapsedS: 30, stepsDone: 23, stepS: 0.2, valS: 5, validations: 10 }), { totalSteps: 5443, expectedS: 30 + 5420 * 0.2 + 50 });
  assert.is(fitSchedule({ budgetS: 1200, elapsedS: 30, stepsDone: 23, stepS: 0.2, valS: 0, validations: 10, reserve: 0 }).totalSteps, 23 + 5850);
  assert.is(fitSchedule({ budgetS: 60, elapsedS: 70, stepsDone: 23, stepS: 0.2, valS: 5 }).totalSteps, 23, 'over budget: no more steps');
  assert.throws(() => fitSchedule({ budgetS: 60, elapsedS: 1, stepsDone: 1, stepS: 0, valS: 0 }), /stepS must be a positive number/);
  assert.equal(['20m', '90s', '1h30m', '1.5h', '600'].map((t) => parseDuration(t)), [1200, 90, 5400, 5400, 600]);
  for (const bad of ['', 'm', '20 minutes', '-5', '0s']) assert.throws(() => parseDuration(bad), /--time-budget must be a/);
});

test('--time-budget refits: a new total from the steady-state costs, only before the first lr decay', () => {
  const base = { budgetS: 1200, elapsedS: 300, stepsDone: 600, valS: 5, validations: 8, reserve: 0, firstDecay: 0.7 };
  // planned 2000 steps from slow first steps; the steady state runs 0.3 s/step: 1200 - 300 - 8 x 5 = 860 s left, 2866 more steps
  assert.is(refitSchedule({ ...base, stepS: 0.3, totalSteps: 2000 }), 600 + 2866);
  // slower than planned: fewer steps (860 / 0.7 = 1228 more), the decay point still ahead (0.7 x 1828 > 600)
  assert.is(refitSchedule({ ...base, stepS: 0.7, totalSteps: 2000 }), 600 + 1228);
  // the same total: nothing to change
  assert.is(refitSchedule({ ...base, stepS: 0.3, totalSteps: 3466 }), undefined);
  // the lr has decayed (600 >= 0.7 x 800): the plan stays
  assert.is(refitSchedule({ ...base, stepS: 0.3, totalSteps: 800 }), undefined);
  // a fit that would put the decay point behind us (160 s for 160 steps: 760, 0.7 x 760 < 600) stops at
  // the smallest total whose decay is ahead: 858 (ceil(0.7 x 858) = 601; 857 gives 600)
  assert.is(refitSchedule({ ...base, elapsedS: 1000, stepS: 1, totalSteps: 2000 }), 858);
  // over the budget already: the same floor (ceil(0.7 x 15) = 11 > 10)
  assert.is(refitSchedule({ ...base, stepsDone: 10, elapsedS: 1300, stepS: 1, totalSteps: 2000 }), 15);
  // without lr decay (firstDecay 1): at least one more step
  assert.is(refitSchedule({ ...base, stepsDone: 10, elapsedS: 1300, stepS: 1, totalSteps: 2000, firstDecay: 1 }), 11);
  assert.throws(() => refitSchedule({ ...base, stepS: 0.3, totalSteps: 2000, firstDecay: 0 }), /firstDecay must be in \(0, 1\]/);
});

test('--time-budget after the decay: the total only shrinks, to what fits without reserve, at least one more step', () => {
  const base = { budgetS: 1200, elapsedS: 1000, stepsDone: 4500, valS: 4, validations: 5, totalSteps: 5634 };
  // 1200 - 1000 - 5 x 4 = 180 s left: at 0.2 s/step 900 more steps fit (5400 < 5634): trimmed
  assert.is(trimSchedule({ ...base, stepS: 0.2 }), 5400);
  // at 0.15 s/step 1200 more fit (5700 >= 5634): kept, never lengthened
  assert.is(trimSchedule({ ...base, stepS: 0.15 }), undefined);
  // over the budget already: one more step, the last
  assert.is(trimSchedule({ ...base, elapsedS: 1300, stepS: 0.2 }), 4501);
  assert.throws(() => trimSchedule({ ...base, stepS: 0 }), /stepS must be a positive number/);
});

test('learning-rate schedules: step decay at fractions or epochs, cosine down to 0', () => {
  const step = { lr: 0.01, schedule: 'step' as const, lrSteps: [0.7, 0.9], stepsPerEpoch: 10 };
  // 100 steps: /10 from step 70, /100 from step 90
  assert.equal([0, 69, 70, 89, 90, 99].map((s) => learningRateAt(step, s, 100)), [0.01, 0.01, 0.01 * 0.1, 0.01 * 0.1, 0.01 * 0.1 ** 2, 0.01 * 0.1 ** 2]);
  // epoch numbers: /10 from epoch 3 (step 30)
  assert.equal([29, 30].map((s) => learningRateAt({ ...step, lrSteps: [3] }, s, 100)), [0.01, 0.01 * 0.1]);
  const cosine = { ...step, schedule: 'cosine' as const };
  // lr (1 + cos(pi s / T)) / 2: full at 0, half at T/2, a quarter of the way down at T/4 ... 0 at T
  const at = (s: number) => learningRateAt(cosine, s, 100);
  assert.is(at(0), 0.01);
  assert.ok(Math.abs(at(50) - 0.005) < 1e-15);
  assert.ok(Math.abs(at(25) - 0.01 * (1 + Math.SQRT1_2) / 2) < 1e-15);
  assert.ok(Math.abs(at(100)) < 1e-15 && at(99) > 0);
  for (let s = 1; s < 100; s++) assert.ok(at(s) < at(s - 1), 'falls at every step');
  // refits stop at the first decay (step) or at COSINE_REFIT_UNTIL (cosine)
  assert.is(refitHorizon(step), 0.7);
  assert.is(refitHorizon({ ...step, lrSteps: [3] }), 1);
  assert.is(refitHorizon(cosine), COSINE_REFIT_UNTIL);
});

test('--time-budget runs the fitted number of steps, validating along the way', async () => {
  const out = path.join(dir, 'budget');
  const lines: string[] = [];
  const { seen, validateWith } = scripted();
  const result = await train({ ...ARGS, steps: undefined, patience: 0, valSteps: undefined, out, timeBudget: 60, validateWith, log: (l) => lines.push(l) });
  const plan = lines.find((l) => l.includes('time budget 1m00s: measured'));
  assert.ok(plan, lines.join('\n'));
  const [, stepS, planned] = /measured ([\d.]+) s\/step.* -> (\d+) steps in all/.exec(plan!)!.map(Number);
  // (on a loaded machine the 23 measured steps may use the whole budget: then no more are planned)
  assert.ok(planned >= 23, `${planned} steps`);
  assert.ok(planned === 23 || (planned - 23) * stepS < 60, 'the steps planned fit the budget at the measured rate');
  // validations may refit the plan (faster steady-state steps): the last plan is what ran
  const refits = lines.filter((l) => /time budget 1m00s: at step \d+, .* -> \d+ steps in all \(was \d+;/.test(l));
  const final = refits.length ? Number(/-> (\d+) steps in all/.exec(refits[refits.length - 1])![1]) : planned;
  assert.is(result.state.plannedSteps, final);
  assert.is(result.state.globalStep, final);
  assert.ok(seen.has(23) && seen.has(final), 'validated when measuring and after the last step');
  // the recipe is chosen again for the first plan's steps (48 images: the preset's 6300 steps gave 1050 passes)
  assert.is(result.state.recipeSteps, planned);
  const replanned = chooseRecipe('centernet-tiny', 48, { steps: planned, batch: 8 });
  assert.is(result.recipe.why, replanned.why);
  assert.is(lines.some((l) => l.startsWith(`recipe for the ${planned} steps planned: ${replanned.why}`)), replanned.why !== chooseRecipe('centernet-tiny', 48, { batch: 8 }).why);
  // a refit moves the next validation a whole (new) interval on, never a few steps after the last one
  // (the shortest interval any plan gave: a tenth of its total; the last one may be cut by the end)
  const shortest = Math.round(Math.min(planned, ...refits.map((l) => Number(/-> (\d+) steps in all/.exec(l)![1]))) / 10);
  const steps = [...seen.keys()].sort((a, b) => a - b);
  for (let i = 2; i < steps.length - 1; i++) assert.ok(steps[i] - steps[i - 1] >= shortest, `validations at ${steps}; shortest interval ${shortest}`);
  assert.ok(result.modelFile);
});

test('weight decay: after a step the conv kernels are the plain step\'s times (1 - lr * wd), the rest the same', async () => {
  const one = { ...ARGS, val: undefined, steps: 1, lr: 2e-3 };
  const plain = await train({ ...one, out: path.join(dir, 'wd0'), weightDecay: 0 });
  const decayed = await train({ ...one, out: path.join(dir, 'wd1'), weightDecay: 0.25 });
  const a = fileTensors(plain.modelFile!);
  const b = fileTensors(decayed.modelFile!);
  const factor = Math.fround(1 - 2e-3 * 0.25);
  // (biases, batch-norm scales and running statistics are not decayed: they must match exactly)
  let kernels = 0;
  for (const [name, t] of a) {
    const u = b.get(name)!;
    const scaled = t.every((v, i) => Math.abs(v * factor - u[i]) <= 1e-7 * Math.abs(v) + 1e-12);
    const same = t.every((v, i) => Object.is(v, u[i]));
    if (scaled && !same) kernels++;
    else assert.ok(same, `${name}: neither unchanged nor scaled by ${factor}`);
  }
  assert.ok(kernels > 10, `${kernels} kernels decayed`);
});

test('the recipe depends on how often the schedule sees each image', () => {
  // the -tiny recipes on 30,000 generated images (1.7 and 1.4 passes) stay exactly as measured
  for (const arch of ['centernet-tiny', 'cornernet-tiny']) {
    const plenty = chooseRecipe(arch, 30000);
    assert.is(plenty.kind, 'plenty');
    assert.equal(plenty.defaults, trainDefaults(arch));
    assert.is(plenty.defaults.augment, 'none');
    const fixed = chooseRecipe(arch, 2000);
    assert.is(fixed.kind, 'fixed-set');
    assert.is(fixed.defaults.augment, 'full');
    assert.match(fixed.why, /passes over each image/);
  }
  // on a fixed set both -tiny presets train at 4e-3 (each at its own decay points); with plenty of data at 2e-3
  assert.equal([chooseRecipe('cornernet-tiny', 2000).defaults.lr, chooseRecipe('cornernet-tiny', 2000).defaults.lrSteps], [4e-3, [0.7, 0.9]]);
  assert.equal([chooseRecipe('centernet-tiny', 2000).defaults.lr, chooseRecipe('centernet-tiny', 2000).defaults.lrSteps], [4e-3, [0.8, 0.95]]);
  assert.is(chooseRecipe('cornernet-tiny', 30000).defaults.lr, 2e-3);
  assert.match(chooseRecipe('cornernet-tiny', 2000).why, /lr 0\.004 \/10 at 70% and 90% of the steps/);
  assert.is(chooseRecipe('centernet-tiny', 2000).passes, (6300 * 8) / 2000);
  // centernet-tiny's augmentation on a fixed set starts at 30% of the steps; cornernet-tiny's, and with plenty of data, at once
  assert.equal([chooseRecipe('centernet-tiny', 2000).defaults.augmentFrom, chooseRecipe('cornernet-tiny', 2000).defaults.augmentFrom, chooseRecipe('centernet-tiny', 30000).defaults.augmentFrom], [0.3, 0, 0]);
  assert.match(chooseRecipe('centernet-tiny', 2000).why, /augment full \(scales 0\.8\.\.1\.2\) from 30% of the steps/);
  // a fixed set seen at most AUGMENT_FROM_PASSES times: weight decay, the preset's augmentation (none for -tiny)
  const few = chooseRecipe('centernet-tiny', 2000, { steps: 2600 });
  assert.equal([few.kind, few.defaults.augment, few.defaults.weightDecay], ['fixed-set', 'none', 0.05]);
  assert.match(few.why, /10\.4 passes .*augment none as the preset \(<= 12 passes/);
  // the fixed-set augmentation comes with the choice of the inference size; plenty of data and the unaugmented regime keep the training size
  assert.equal(chooseRecipe('centernet-tiny', 2000).defaults.inferScales, [1, 1.25, 1.5]);
  assert.match(chooseRecipe('centernet-tiny', 2000).why, /inference size chosen on --val among 1, 1\.25, 1\.5x the training input/);
  assert.equal([chooseRecipe('centernet-tiny', 30000).defaults.inferScales, few.defaults.inferScales], [[1], [1]]);
  assert.is(chooseRecipe('centernet-tiny', 2000, { steps: 3000 }).defaults.augment, 'none', '12 passes: none');
  assert.is(chooseRecipe('centernet-tiny', 2000, { steps: 3001 }).defaults.augment, 'full', 'over 12 passes: full');
  assert.is(chooseRecipe('centernet-dla34', 1000, { epochs: 10 }).defaults.augment, 'full', 'a preset that augments keeps it');
  // fewer steps on the same 2000 images: 500 x 8 = 2 passes, plenty
  assert.is(chooseRecipe('centernet-tiny', 2000, { steps: 500 }).kind, 'plenty');
  assert.is(chooseRecipe('centernet-tiny', 2000, { steps: 500, batch: 32 }).kind, 'fixed-set');
  // presets counting epochs: 30 passes
  assert.is(chooseRecipe('centernet-dla34', 100000).kind, 'fixed-set');
  assert.throws(() => chooseRecipe('centernet-tiny', 0), /images must be a positive integer/);
});

test('candidate inference sizes: scales of the training input rounded to the size multiple, no repeats, smallest first', () => {
  assert.equal(candidateSizes([128, 128], [1, 1.25, 1.5], 16), [[128, 128], [160, 160], [192, 192]]);
  assert.equal(candidateSizes([64, 96], [1.5, 1, 1.1], 32), [[64, 96], [96, 160]]); // 1.1 rounds to 64x96 again
  assert.equal(candidateSizes([32, 32], [0.25], 32), [[32, 32]]); // never below one multiple
});

test('the inference input size: the best AP on --val among the scales; ties keep the smaller; exported with the training size recorded', async () => {
  // AP by the model's input size at the end (training validates at 64); the model at step 12 is the best
  const run = async (name: string, apBySize: Record<number, number>, inferScales?: number[]) => {
    const sizes: number[] = [];
    const validateWith = async (model: Uint8Array, _val: unknown, step: number) => {
      const size = readModelFile(model).config.inputSize[0];
      sizes.push(size);
      const AP = size === 64 ? step / 100 : apBySize[size];
      return { AP, AP50: AP + 0.2 };
    };
    const out = path.join(dir, name);
    const lines: string[] = [];
    const result = await train({ ...ARGS, out, steps: 4, valSteps: 4, patience: 0, ...(inferScales ? { inferScales } : {}), validateWith, log: (l) => lines.push(l) });
    const file = readModelFile(new Uint8Array(readFileSync(result.modelFile!)));
    const trained = JSON.parse(file.metadata['anchorless.trained']) as { AP: number; trainInputSize?: string };
    const metrics = readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; inputSize?: number[]; AP?: number });
    return { sizes, result, file, trained, lines, tried: metrics.filter((m) => m.type === 'inference-size').map((m) => [m.inputSize![0], m.AP]) };
  };
  // 64 px (multiple 16): candidates 80 and 96; 80 scores best
  const a = await run('infer-80', { 80: 0.5, 96: 0.45 }, [1, 1.25, 1.5]);
  assert.equal(a.sizes, [64, 80, 96]);
  assert.equal(a.tried, [[80, 0.5], [96, 0.45]]);
  assert.equal([a.file.config.inputSize, a.result.val!.AP, a.trained.AP, a.trained.trainInputSize], [[80, 80], 0.5, 0.5, '64x64']);
  assert.ok(a.lines.some((l) => l.startsWith('inference input size: 80x80 (AP 0.5')), a.lines.join('\n'));
  // the weights are the best model's whatever the size
  assert.ok(sameTensors(a.file.tensors as Map<string, Float32Array>, fileTensors(path.join(dir, 'infer-80', 'best.safetensors'))));
  // a tie keeps the smaller input; none better than the training size keeps it (and no trainInputSize)
  const tie = await run('infer-tie', { 80: 0.5, 96: 0.5 }, [1.5, 1.25, 1]);
  assert.equal(tie.file.config.inputSize, [80, 80]);
  const none = await run('infer-none', { 80: 0.01, 96: 0.04 }, [1, 1.25, 1.5]);
  assert.equal([none.file.config.inputSize, none.result.val!.AP, none.trained.trainInputSize], [[64, 64], 0.04, undefined]);
  // the default for this short run (plenty of data): the training size only, no extra validation
  const plain = await run('infer-default', { 80: 0.9 });
  assert.equal([plain.sizes, plain.file.config.inputSize], [[64], [64, 64]]);
});

test('--infer-scales: a bad list is an Error naming the option', async () => {
  for (const bad of [[], [0.1], [1, NaN], 'x' as unknown as number[]]) {
    try {
      await train({ ...ARGS, out: path.join(dir, 'infer-bad'), inferScales: bad });
      assert.unreachable(`accepted ${JSON.stringify(bad)}`);
    } catch (e) {
      assert.match((e as Error).message, /train: --infer-scales must be a non-empty list of numbers in \[0\.25, 4\]/);
    }
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
