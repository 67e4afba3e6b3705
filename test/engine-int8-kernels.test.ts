// Which kernels an int8 model runs on (runtime/engine/int8-kernels.ts): init()'s, except where
// init() chose SIMD128 by calibration and the relaxed build's int8 layout probe takes c4, which
// gives the model a relaxed instance of its own. Here (Node 20, no relaxed SIMD without a flag):
// the cases that keep init()'s kernels, the argument checks, the detector's kernelVariant and
// kernelMemoryBytes; and in Node 20 with relaxed SIMD in its baseline compiler only, where the
// relaxed dot product is wrong, the relaxed build is refused. The c4 case on an engine that runs
// the instruction fast is test/runtimes/deno-int8.test.ts.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ObjectDetector } from '../runtime/detector.js';
import { fasterInt8Kernels, int8BaseKernels } from '../runtime/engine/int8-kernels.js';
import { quantizeModel } from '../runtime/quantize/quantize-model.js';
import { loadThreadedKernels } from '../runtime/threads/threaded-kernels.js';
import { relaxedSimdSupported } from '../runtime/wasm/features.js';
import { chosenByCalibration, init, kernels, loadKernelInstance } from '../runtime/wasm/loader.js';
import { renderScene } from '../trainer/data/synth-scene.js';
import { SHAPE_NAMES } from '../trainer/data/synth-shapes.js';
import { rejects } from './helpers/rejects.js';

const probe = fileURLToPath(new URL('./helpers/int8-kernels-probe.ts', import.meta.url));

async function int8Model(): Promise<Uint8Array> {
  await init({ variant: 'simd' });
  const images = Array.from({ length: 4 }, (_, i) => {
    const s = renderScene(700 + i, { size: 128, classes: SHAPE_NAMES });
    return { data: s.data, width: s.width, height: s.height, channels: 3 as const };
  });
  return (await quantizeModel({ images })).bytes;
}

test("kernels forced to SIMD128, and the worker pool's, keep their own; the choice is made once per kernels", async () => {
  const kn = await init({ variant: 'simd' });
  assert.is(chosenByCalibration(kn), false, 'a forced variant is not a calibrated choice');
  const choice = int8BaseKernels(kn);
  assert.is(int8BaseKernels(kn), choice, 'cached per kernels');
  assert.is((await choice).kernels, kn);
  assert.match((await choice).reason, /forced or given/);
  const pooled = await loadThreadedKernels(2);
  try {
    const onPool = await int8BaseKernels(pooled);
    assert.is(onPool.kernels, pooled);
    assert.match(onPool.reason, /worker pool/);
  } finally {
    pooled.pool?.close();
  }
});

test('loadKernelInstance gives a new instance that init() does not return; fasterInt8Kernels checks its arguments', async () => {
  const kn = await init({ variant: 'simd' });
  const other = await loadKernelInstance('simd');
  assert.is.not(other, kn);
  assert.is.not(other.exports.memory, kn.exports.memory, 'memory of its own');
  assert.is(kernels(), kn, 'init() still returns its own');
  assert.is(chosenByCalibration(other), false);
  await rejects(async () => loadKernelInstance('fast' as 'simd'), /loadKernelInstance: variant must be 'simd' or 'relaxed', got fast/);
  if (!relaxedSimdSupported()) await rejects(async () => loadKernelInstance('relaxed'), /loadKernelInstance: this engine lacks relaxed SIMD/);
  await rejects(() => fasterInt8Kernels(kn, other), /fasterInt8Kernels: takes SIMD128 and relaxed kernels, got 'simd' and 'simd'/);
});

test("an int8 detector reports the kernels it runs on: here init()'s SIMD128 (no relaxed SIMD), in worker mode its worker's", async () => {
  const model = await int8Model();
  const kn = await init({ variant: 'simd' });
  const det = await ObjectDetector.create({ model });
  const remote = await ObjectDetector.create({ model, worker: true });
  try {
    if (relaxedSimdSupported()) console.log(`  this engine has relaxed SIMD: init()'s kernels were forced, so they stay`);
    assert.is(det.kernelVariant, 'simd');
    assert.is(det.kernelMemoryBytes, kn.exports.memory.buffer.byteLength, "the network's memory is init()'s kernels'");
    assert.is(remote.kernelVariant, 'simd');
    assert.is(remote.kernelMemoryBytes, undefined, 'a worker-mode detector has no kernel memory on this thread');
  } finally {
    det.close();
    remote.close();
  }
});

test("Node 20, relaxed SIMD in the baseline compiler only (its relaxed dot product wrong): an int8 model keeps init()'s calibrated kernels", async () => {
  if (!process.versions.node.startsWith('20.')) {
    console.log(`  Node ${process.versions.node}: the Liftoff fault is Node 20's (V8 11.3); not checked here`);
    return;
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'anchorless-int8-kernels-'));
  try {
    const file = path.join(dir, 'int8.safetensors');
    writeFileSync(file, await int8Model());
    const out = execFileSync(process.execPath, ['--experimental-wasm-relaxed-simd', '--liftoff-only', '--import', 'tsx', probe, file], { encoding: 'utf8', timeout: 180_000 });
    const r = JSON.parse(out.trim().split('\n').pop()!);
    assert.is(r.calibrated, true, 'init() timed both builds');
    assert.is(r.layout, 'c2');
    assert.is(r.picked, 'simd');
    assert.match(r.pickedReason, /would be c2 \(this engine computes the relaxed dot product wrongly/);
    assert.is(r.base, 'init', r.baseReason);
    assert.is(r.detector.variant, r.initVariant);
    assert.is(r.detector.memoryBytes, r.detector.baseMemoryBytes);
    assert.ok(r.detector.labels.length >= 4, `detections: ${r.detector.labels}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
