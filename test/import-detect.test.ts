// End to end with imported weights: the official-layout checkpoints of the new architectures
// (ResNet-DCN, DLA-34: CenterNet at its official 512 x 512; CornerNet-Saccade: its saccade
// procedure at 255) imported, written as an anchorless model file, read back by ObjectDetector
// and run on the sample image. Their weights are random, so the test asks for well-formed output
// (boxes inside the image, finite, score-descending, labelled), not for particular objects.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ObjectDetector } from '../runtime/detector.js';
import { importCheckpoint } from '../runtime/import/import.js';
import { writeModelFile } from '../runtime/weights/model-file.js';
import { readImageRGB } from '../trainer/data/image-io.js';
import { loadKernels } from './helpers/kernels.js';

const root = path.join(import.meta.dirname, '..');
const CASES: [file: string, family: string, inputSize: [number, number]][] = [
  ['centernet-resdcn.pth', 'centernet-resdcn', [512, 512]],
  ['centernet-dla.pth', 'centernet-dla', [512, 512]],
  ['cornernet-saccade.pth', 'cornernet-saccade', [255, 255]],
];

for (const [file, family, inputSize] of CASES) {
  test(`${file}: imported, it detects on the sample image at ${inputSize.join('x')}`, async () => {
    await loadKernels();
    const bytes = new Uint8Array(await readFile(path.join(root, 'test', 'fixtures', 'official', file)));
    const imported = importCheckpoint(bytes, { source: file });
    assert.is(imported.family, family);
    assert.equal(imported.config.inputSize, inputSize, 'the official test input size');
    const det = await ObjectDetector.create({ model: writeModelFile(imported.config, imported.weights), scoreThreshold: 0 });
    const image = await readImageRGB(path.join(root, 'models', 'sample.png'));
    try {
      assert.equal(det.inputSize, inputSize);
      const dets = await det.detect(image);
      assert.ok(dets.length > 0, 'a threshold of 0 keeps some detections');
      for (let i = 0; i < dets.length; i++) {
        const { box, score, label, classId } = dets[i];
        if (i > 0) assert.ok(score <= dets[i - 1].score, 'score-descending');
        assert.ok(Number.isFinite(score) && score >= 0 && score <= 1, `score ${score}`);
        assert.is(label, imported.config.labels[classId]);
        for (const v of [box.xmin, box.ymin, box.xmax, box.ymax]) assert.ok(Number.isFinite(v), `box ${JSON.stringify(box)}`);
        assert.ok(box.xmin <= box.xmax && box.ymin <= box.ymax, `box ${JSON.stringify(box)}`);
        assert.ok(box.xmin >= -1 && box.ymin >= -1 && box.xmax <= image.width + 1 && box.ymax <= image.height + 1, `box ${JSON.stringify(box)} inside ${image.width}x${image.height}`);
      }
    } finally {
      det.close();
    }
  });
}

test.run();
