// Issue 10, defect 4: a misspelt option name is an Error listing the valid ones, everywhere:
// ObjectDetector.create, the decodes, init and the ops (before, { modelPath } silently loaded the
// bundled model and { topK } silently decoded 100 peaks).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ObjectDetector } from '../runtime/detector.js';
import { decodeCenterNet } from '../runtime/decode/centernet.js';
import { decodeCornerNet } from '../runtime/decode/cornernet.js';
import * as ops from '../runtime/ops/index.js';
import { init } from '../runtime/wasm/loader.js';
import { loadKernels } from './helpers/kernels.js';

const t = (shape: number[], fill = 0.5) => ({ data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(fill), shape });

async function refused(run: () => unknown, pattern: RegExp): Promise<void> {
  try {
    await run();
  } catch (e) {
    assert.instance(e, Error);
    assert.not.instance(e, TypeError);
    assert.match((e as Error).message, pattern);
    return;
  }
  assert.unreachable(`expected an Error matching ${pattern}`);
}

test('ObjectDetector.create: modelPath, minScore, maxDetections are refused, the valid names listed', async () => {
  await loadKernels();
  await refused(() => ObjectDetector.create({ modelPath: 'x.safetensors' } as never), /ObjectDetector\.create: unknown option name "modelPath" \(valid: model, scoreThreshold, maxResults, inputSize/);
  await refused(() => ObjectDetector.create({ minScore: 0.5, maxDetections: 3 } as never), /unknown option names "minScore", "maxDetections"/);
});

test('decodeCenterNet / decodeCornerNet: topK is refused; null options are an Error, not a TypeError', async () => {
  await loadKernels();
  const center = { heatmap: t([4, 4, 2]), wh: t([4, 4, 2]) };
  await refused(() => decodeCenterNet(center, { topK: 5 } as never), /decodeCenterNet: unknown options name "topK" \(valid: k, kernel, stride, layout, logits\)/);
  await refused(() => decodeCenterNet(center, null as never), /decodeCenterNet: options must be an object/);
  const c = t([4, 4, 1]);
  const corner = { tlHeatmap: c, brHeatmap: c, tlEmbedding: c, brEmbedding: c, tlOffset: t([4, 4, 2]), brOffset: t([4, 4, 2]) };
  await refused(() => decodeCornerNet(corner, { topK: 5 } as never), /decodeCornerNet: unknown options name "topK" \(valid: k, kernel, aeThreshold, numDets/);
  await refused(() => decodeCornerNet(corner, 7 as never), /decodeCornerNet: options must be an object/);
});

test('init and the ops: misspelt names are refused', async () => {
  await refused(() => init({ wasmPath: 'x.wasm' } as never), /init: unknown opts name "wasmPath" \(valid: wasm, variant, calibrationCache\)/);
  await loadKernels();
  const x = t([1, 4, 4, 2]);
  const w = t([3, 3, 2, 2]);
  await refused(() => ops.conv2d(x, w, { padding: 1 } as never), /conv2d: unknown options name "padding" \(valid: bias, stride, pad/);
  await refused(() => ops.conv2dTranspose(x, t([2, 2, 2, 2]), { stride: 2, output_padding: 1 } as never), /conv2dTranspose: unknown options name "output_padding"/);
  await refused(() => ops.maxPool2d(x, { kernel: 3, padding: 1 } as never), /maxPool2d: unknown options name "padding" \(valid: kernel, stride, pad\)/);
  await refused(() => ops.heatmapPeaks(t([4, 4, 1]), { topK: 3 } as never), /heatmapPeaks: unknown options name "topK" \(valid: k, kernel\)/);
  const boxes = new Float32Array([0, 0, 1, 1]);
  const scores = new Float32Array([1]);
  await refused(() => ops.nms(boxes, scores, { iouThreshold: 0.5, iou: 0.3 } as never), /nms: unknown options name "iou" \(valid: iouThreshold\)/);
  await refused(() => ops.softNms(boxes, scores, { method: 'linear', threshold: 0.3 } as never), /softNms: unknown options name "threshold"/);
});

test.run();
