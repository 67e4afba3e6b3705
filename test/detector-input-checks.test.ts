// Issue 10, defects 7 and 8: clear Errors instead of TypeErrors from inside, messages that show
// the value as given, inputSize as one number, and pixel values checked (a Float32 image of 0..1,
// -1e30 or NaN silently gave no detections or absurd ones).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ObjectDetector } from '../runtime/detector.js';
import { preset } from '../runtime/model/presets.js';
import { buildGraph } from '../runtime/model/registry.js';
import { init } from '../runtime/wasm/loader.js';
import { writeModelFile } from '../runtime/weights/model-file.js';
import { loadKernels } from './helpers/kernels.js';
import { randomWeights } from './helpers/random-weights.js';

function modelBytes(arch: string): Uint8Array {
  const config = preset(arch, { labels: ['a', 'b'], inputSize: [64, 64] });
  return writeModelFile(config, randomWeights(buildGraph(config), 3));
}

async function refused(run: () => unknown, pattern: RegExp): Promise<void> {
  try {
    await run();
  } catch (e) {
    assert.not.instance(e, TypeError, `a TypeError from inside: ${(e as Error).message}`);
    assert.match((e as Error).message, pattern);
    return;
  }
  assert.unreachable(`expected an Error matching ${pattern}`);
}

test('inputSize: one number is a square; strings and NaN are named as given', async () => {
  await loadKernels();
  const bytes = modelBytes('centernet-tiny');
  const det = await ObjectDetector.create({ model: bytes, inputSize: 128 });
  assert.equal(det.inputSize, [128, 128]);
  det.close();
  await refused(() => ObjectDetector.create({ model: bytes, inputSize: ['128', '128'] } as never), /inputSize must be .* got \["128", "128"\]/);
  await refused(() => ObjectDetector.create({ model: bytes, scales: [NaN] }), /scales must be .* got \[NaN\]/);
});

test('detect(null) on a CornerNet model, decode of null: Errors naming the argument', async () => {
  await loadKernels();
  const det = await ObjectDetector.create({ model: modelBytes('cornernet-tiny') });
  await refused(() => det.detect(null as never), /^detect: image must be/);
  await refused(() => det.detect({ width: 4 } as never), /^detect: image\.data must be/);
  det.close();
});

test('init with a valid but unrelated wasm module, or an older version\'s kernels, is an Error saying so', async () => {
  // (module (func (export "f"))): valid, but not the kernels
  const unrelated = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 7, 5, 1, 1, 102, 0, 0, 10, 4, 1, 2, 0, 11]);
  await refused(() => init({ wasm: unrelated }), /^init: opts\.wasm is not an anchorless kernel module/);
  // needs an import: cannot be instantiated with ours
  const importing = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 2, 7, 1, 1, 120, 1, 121, 0, 0]);
  await refused(() => init({ wasm: importing }), /^init: opts\.wasm is not an anchorless kernel module/);
  // memory, heapBase and isRelaxedBuild, as every version's kernels have, but not the newest kernels: an older build
  const section = (id: number, body: number[]) => [id, body.length, ...body];
  const name = (s: string) => [s.length, ...[...s].map((c) => c.charCodeAt(0))];
  const older = new Uint8Array([
    0, 97, 115, 109, 1, 0, 0, 0,
    ...section(1, [1, 0x60, 0, 1, 0x7f]),
    ...section(3, [2, 0, 0]),
    ...section(5, [1, 0, 1]),
    ...section(7, [3, ...name('memory'), 2, 0, ...name('heapBase'), 0, 0, ...name('isRelaxedBuild'), 0, 1]),
    ...section(10, [2, 4, 0, 0x41, 0, 0x0b, 4, 0, 0x41, 0, 0x0b]),
  ]);
  await refused(() => init({ wasm: older }), /^init: opts\.wasm is a kernel module of another anchorless version \(it lacks the exports bnFoldF32\)/);
  await loadKernels();
});

test('pixel values: 0..1 floats, huge, negative and non-finite values are refused with the range expected', async () => {
  await loadKernels();
  for (const arch of ['centernet-tiny', 'cornernet-tiny']) {
    const det = await ObjectDetector.create({ model: modelBytes(arch) });
    const w = 16;
    const h = 12;
    const floats = (f: (i: number) => number) => ({ data: Float32Array.from({ length: w * h * 3 }, (_, i) => f(i)), width: w, height: h, channels: 3 as const });
    await refused(() => det.detect(floats((i) => (i % 7) / 7)), /^detect: image\.data values all lie in 0\.\.0\.8\d*: pixel values must be in 0\.\.255, not 0\.\.1 \(multiply by 255\)/);
    await refused(() => det.detect(floats(() => -1e30)), /^detect: image\.data values span -1\.0*\d*e\+30\.\..*pixel values must be in 0\.\.255/);
    await refused(() => det.detect(floats((i) => (i === 5 ? NaN : 100))), /^detect: image\.data\[5\] is NaN/);
    await refused(() => det.detect(floats((i) => (i === 9 ? Infinity : 100))), /^detect: image\.data\[9\] is Infinity/);
    // valid float images pass: 0..255, and an all-black one
    assert.ok(Array.isArray(await det.detect(floats((i) => (i * 37) % 256))));
    assert.ok(Array.isArray(await det.detect(floats(() => 0))));
    det.close();
  }
});

test.run();
