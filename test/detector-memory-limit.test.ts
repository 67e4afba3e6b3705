// Issue 10, defect 6: a model file (or a caller) asking for a huge input size is refused before
// kernel memory grows (wasm memory never shrinks), with an Error naming the input size; the
// memoryLimit option bounds what a detector may take.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ObjectDetector } from '../runtime/detector.js';
import { preset } from '../runtime/model/presets.js';
import { buildGraph } from '../runtime/model/registry.js';
import { writeModelFile } from '../runtime/weights/model-file.js';
import { loadKernels } from './helpers/kernels.js';
import { randomWeights } from './helpers/random-weights.js';

function modelBytes(inputSize: [number, number]): Uint8Array {
  const config = preset('centernet-tiny', { labels: ['a', 'b'], inputSize });
  return writeModelFile(config, randomWeights(buildGraph(config), 3));
}

test('a model file asking for 8192x8192 is refused, and the kernel memory has not grown', async () => {
  const kn = await loadKernels();
  const before = kn.exports.memory.buffer.byteLength;
  try {
    await ObjectDetector.create({ model: modelBytes([8192, 8192]) });
    assert.unreachable('8192x8192 must be refused under the default limit');
  } catch (e) {
    assert.match((e as Error).message, /input size 8192x8192 needs \d+ MiB of kernel memory .* more than the limit of 2048 MiB: use a smaller inputSize, or raise memoryLimit/);
  }
  assert.is(kn.exports.memory.buffer.byteLength, before, 'no memory.grow happened');
});

test('memoryLimit: a small limit refuses even a small plan; a sufficient one builds it', async () => {
  const kn = await loadKernels();
  const bytes = modelBytes([64, 64]);
  try {
    await ObjectDetector.create({ model: bytes, memoryLimit: 1000 });
    assert.unreachable('1000 bytes cannot hold any plan');
  } catch (e) {
    assert.match((e as Error).message, /input size 64x64 needs .* more than the limit of 1000 bytes/);
  }
  await ObjectDetector.create({ model: bytes, memoryLimit: -1 }).then(
    () => assert.unreachable('a negative limit is refused'),
    (e: Error) => assert.match(e.message, /memoryLimit must be a whole number of bytes/),
  );
  const det = await ObjectDetector.create({ model: bytes, memoryLimit: 64 * 2 ** 20, inputSize: 128 });
  assert.ok(kn.heap.allocatedBytes < 64 * 2 ** 20);
  det.close();
});

test.run();
