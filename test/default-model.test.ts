// The bundled default model (centernet-tiny trained on synthetic shapes; held-out AP 0.683, AP50
// 0.905, see models/README.md) on the bundled sample image: every object of the sample's ground
// truth (models/sample.json, written by the generator, not by the model) is found with its own
// label at IoU >= 0.5 among the detections scoring 0.2 or more.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ObjectDetector } from '../runtime/detector.js';
import { DEFAULT_MODEL_FILE } from '../runtime/model-source.js';
import { readImageRGB } from '../trainer/data/image-io.js';
import { loadKernels } from './helpers/kernels.js';

const models = (name: string) => fileURLToPath(new URL(`../models/${name}`, import.meta.url));

function iou(a: number[], b: { xmin: number; ymin: number; xmax: number; ymax: number }): number {
  const w = Math.max(0, Math.min(a[2], b.xmax) - Math.max(a[0], b.xmin));
  const h = Math.max(0, Math.min(a[3], b.ymax) - Math.max(a[1], b.ymin));
  const inter = w * h;
  return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b.xmax - b.xmin) * (b.ymax - b.ymin) - inter);
}

test('the bundled model is under 2 MB and finds every object of the sample image (score >= 0.2)', async () => {
  assert.ok(statSync(fileURLToPath(new URL(`../${DEFAULT_MODEL_FILE}`, import.meta.url))).size < 2 * 2 ** 20, 'model file < 2 MB');
  await loadKernels();
  const truth = JSON.parse(readFileSync(models('sample.json'), 'utf8')) as { objects: { label: string; box: number[] }[] };
  const img = await readImageRGB(models('sample.png'));
  const det = await ObjectDetector.create({ scoreThreshold: 0.2 }); // no model: the bundled one
  const dets = await det.detect({ data: img.data, width: img.width, height: img.height, channels: 3 });
  det.close();
  for (const o of truth.objects) {
    const best = Math.max(0, ...dets.filter((d) => d.label === o.label).map((d) => iou(o.box, d.box)));
    assert.ok(best >= 0.5, `${o.label} at [${o.box}]: best IoU ${best.toFixed(2)} among ${JSON.stringify(dets.map((d) => [d.label, d.score.toFixed(2)]))}`);
  }
});

test.run();
