// Hostile-input suite: ObjectDetector.create options and detect() inputs. Every create() ends in
// a detector or an Error naming ObjectDetector.create / the option / the model; every detect() in
// detections or an Error naming detect; kernel memory returns to where it was after close() and
// after every failure, and never grows past what the largest accepted plan needs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { ObjectDetector } from '../runtime/detector.js';
import { preset } from '../runtime/model/presets.js';
import { buildGraph } from '../runtime/model/registry.js';
import { writeModelFile } from '../runtime/weights/model-file.js';
import type { Kernels } from '../runtime/wasm/loader.js';
import { loadKernels } from './helpers/kernels.js';
import { randomWeights } from './helpers/random-weights.js';
import { count, endsCleanlyAsync, hostileNumber, hostileValue, params } from './helpers/hostile.js';

function modelBytes(arch: string): Uint8Array {
  const config = preset(arch, { labels: ['a', 'b'], inputSize: [32, 32] });
  return writeModelFile(config, randomWeights(buildGraph(config), 3));
}

let kn: Kernels;
let centernet: Uint8Array;
let cornernet: Uint8Array;

test.before(async () => {
  kn = await loadKernels();
  centernet = modelBytes('centernet-tiny');
  cornernet = modelBytes('cornernet-tiny');
});

/** Sizes near the valid ones (multiples of 16 up to 96) and hostile ones. */
const size = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 6 }).map((n) => n * 16) }, { weight: 1, arbitrary: hostileNumber });

test('ObjectDetector.create: generated options', async () => {
  const before = kn.heap.allocatedBytes;
  const option = (a: fc.Arbitrary<unknown>) => fc.oneof({ weight: 14, arbitrary: a }, { weight: 1, arbitrary: hostileValue });
  const opts = fc.record(
    {
      model: fc.oneof({ weight: 6, arbitrary: fc.constantFrom('centernet', 'cornernet') }, { weight: 1, arbitrary: fc.constantFrom('/nonexistent/m.safetensors', 'C:\\m.safetensors', 'ftp://x/m', '', 'http://') }, { weight: 1, arbitrary: hostileValue }),
      scoreThreshold: option(fc.double({ min: 0, max: 1, noNaN: true })),
      maxResults: option(fc.integer({ min: 1, max: 200 })),
      inputSize: option(fc.oneof(size, fc.tuple(size, size))),
      flip: option(fc.boolean()),
      scales: option(fc.array(fc.constantFrom(0.5, 1, 1.5), { minLength: 1, maxLength: 2 })),
      memoryLimit: option(fc.constantFrom(2 ** 20, 2 ** 26, 2 ** 31)),
      keepResolution: option(fc.boolean()),
    },
    { requiredKeys: [] },
  );
  const misspelt = fc.oneof({ weight: 8, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom('modelPath', 'minScore', 'maxDetections', 'threshold', 'input_size') });
  await fc.assert(
    fc.asyncProperty(opts, misspelt, async (o, wrongName) => {
      const options = { ...o } as Record<string, unknown>;
      if (options.model === 'centernet') options.model = centernet;
      else if (options.model === 'cornernet') options.model = cornernet;
      else if (options.model === undefined) options.model = centernet;
      if (wrongName !== undefined) options[wrongName] = 1;
      let det: ObjectDetector | undefined;
      const threw = await endsCleanlyAsync(async () => (det = await ObjectDetector.create(options as never)), /ObjectDetector\.create|^model |options?\.|model/, 'ObjectDetector.create');
      count('ObjectDetector.create', threw);
      det?.close();
      if (kn.heap.allocatedBytes !== before) throw new Error(`kernel memory not returned: ${kn.heap.allocatedBytes - before} bytes`);
    }),
    { ...params(300), timeout: 30_000 },
  );
});

test('detect: generated images on a CenterNet and a CornerNet detector', async () => {
  const detectors = [await ObjectDetector.create({ model: centernet, scoreThreshold: 0 }), await ObjectDetector.create({ model: cornernet, scoreThreshold: 0, flip: true })];
  // the first calls size the decode's scratch; after them, memory must not grow any more
  for (const d of detectors) await d.detect({ data: new Uint8Array(40 * 40 * 4), width: 40, height: 40 });
  const grown = kn.exports.memory.buffer.byteLength;
  const typed = fc.constantFrom('u8', 'u8c', 'f32', 'f64', 'i16', 'array');
  const pixels = fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 0, max: 255 }) }, { weight: 1, arbitrary: fc.constantFrom(NaN, -1, 256, 1e30, -1e30, Infinity, 0.5) });
  const goodImage = fc.record({ w: fc.integer({ min: 1, max: 40 }), h: fc.integer({ min: 1, max: 40 }), c: fc.constantFrom(3, 4), kind: typed, pixel: pixels, scale: fc.constantFrom(1, 1 / 255) }).map(({ w, h, c, kind, pixel, scale }) => {
    const n = w * h * c;
    const values = Array.from({ length: n }, (_, i) => (i % 13 === 0 ? pixel : (i * 37) % 256) * scale);
    const data = kind === 'u8' ? Uint8Array.from(values) : kind === 'u8c' ? Uint8ClampedArray.from(values) : kind === 'f32' ? Float32Array.from(values) : kind === 'f64' ? Float64Array.from(values) : kind === 'i16' ? Int16Array.from(values) : values;
    return { data, width: w, height: h, channels: c };
  });
  const image = fc.oneof(
    { weight: 8, arbitrary: goodImage },
    { weight: 2, arbitrary: fc.tuple(goodImage, fc.record({ width: hostileValue, height: hostileValue, channels: hostileValue }, { requiredKeys: [] })).map(([img, bad]) => ({ ...img, ...bad })) },
    { weight: 1, arbitrary: hostileValue },
  );
  await fc.assert(
    fc.asyncProperty(image, fc.integer({ min: 0, max: 1 }), async (img, which) => {
      const threw = await endsCleanlyAsync(() => detectors[which].detect(img as never), /^(detect|preprocessCornerNet|preprocessCenterNet): /, 'detect');
      count('detect', threw);
      if (kn.exports.memory.buffer.byteLength !== grown) throw new Error('detect grew kernel memory');
    }),
    { ...params(500), timeout: 30_000 },
  );
  for (const d of detectors) d.close();
  assert.ok(true);
});

test.run();
