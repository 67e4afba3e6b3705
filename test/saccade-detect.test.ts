// CornerNet-Saccade end to end: a model of the cornernet-saccade architecture at small widths with
// random weights detects through ObjectDetector (the saccade procedure: first pass, attention,
// crops, merge) on the sample image, and its boxes are well formed, labelled and score-descending.
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ObjectDetector } from '../runtime/detector.js';
import { validateConfig } from '../runtime/model/config.js';
import { inferShapes, paramSpecs } from '../runtime/model/graph.js';
import { preset } from '../runtime/model/presets.js';
import { buildGraph } from '../runtime/model/registry.js';
import { isSaccadeModel } from '../runtime/saccade/index.js';
import { writeModelFile } from '../runtime/weights/model-file.js';
import { readImageRGB } from '../trainer/data/image-io.js';
import { loadKernels } from './helpers/kernels.js';
import { randomWeights } from './helpers/random-weights.js';

/** The official architecture with every width divided by 16 (the fixtures' narrow copy). */
function smallSaccade() {
  // one class: the heatmaps of random heads are each dominated by one class, rarely the same two
  const full = preset('cornernet-saccade', { labels: ['object'] });
  return validateConfig(
    {
      ...full,
      backbone: { ...full.backbone, stemChannels: 8, channels: [16, 24, 24, 32], cnvChannels: 16 },
      head: { ...full.head, poolChannels: 8, headChannels: 16, attChannels: 16 },
      // random embeddings are far apart: pair any two corners, so that boxes come out
      decode: { ...full.decode, aeThreshold: 1000 },
    },
    'small cornernet-saccade',
  );
}

test('the cornernet-saccade preset is a saccade model with three attention heads per stack', () => {
  const config = preset('cornernet-saccade');
  assert.ok(isSaccadeModel(config));
  assert.not.ok(isSaccadeModel(preset('cornernet-hourglass104')));
  const graph = buildGraph(config);
  assert.is(graph.stride, 4);
  // 256 -> stem 64 x 64; the attention maps of the deepest, middle and outer level at strides 16, 8, 4
  const shapes = inferShapes(graph, 256, 256);
  const sides: Record<string, [number, number]> = { tl_heat: [64, 80], tl_regr: [64, 2], 'atts.0': [16, 1], 'atts.1': [32, 1], 'atts.2': [64, 1] };
  for (const [head, [side, c]] of Object.entries(sides)) {
    assert.is(graph.heads[head].length, 3, head);
    for (const n of graph.heads[head]) assert.equal(shapes.get(n), { h: side, w: side, c }, `${head} ${n}`);
  }
  // the attention heads' last convs start at the focal-loss prior, as the official -2.19 init
  const prior = paramSpecs(graph).filter((s) => s.init === 'heatmap-prior').map((s) => s.name);
  for (const head of ['atts.0', 'atts.1', 'atts.2', 'tl_heat', 'br_heat']) for (const n of graph.heads[head]) assert.ok(prior.includes(`${n}.bias`), n);
  assert.is(prior.length, 5 * 3);
});

test('a random-weight CornerNet-Saccade detects on models/sample.png without error', async () => {
  await loadKernels();
  const config = smallSaccade();
  // He-scaled random convs through 3 stacks of residuals saturate every sigmoid (all heatmap cells
  // 1, ties at the border); halving every conv weight keeps the heads' logits in range.
  const weights = randomWeights(buildGraph(config), 3);
  for (const [name, w] of weights) if (name.endsWith('.weight') && !name.includes('.bn.')) w.forEach((v, i) => (w[i] = v * 0.5));
  const model = writeModelFile(config, weights);
  const det = await ObjectDetector.create({ model, scoreThreshold: 0, maxResults: 100 });
  const image = await readImageRGB(path.join(import.meta.dirname, '..', 'models', 'sample.png'));
  const dets = await det.detect(image);
  assert.ok(dets.length > 0, 'random corner heads pair into some boxes');
  assert.ok(dets.length <= 100);
  for (let i = 0; i < dets.length; i++) {
    const d = dets[i];
    if (i > 0) assert.ok(dets[i - 1].score >= d.score, 'score-descending');
    for (const v of [d.box.xmin, d.box.ymin, d.box.xmax, d.box.ymax, d.score]) assert.ok(Number.isFinite(v));
    assert.ok(d.box.xmax >= d.box.xmin && d.box.ymax >= d.box.ymin, 'well-formed box');
    assert.is(d.label, config.labels[d.classId]);
  }
  // deterministic: the same image gives the same detections
  assert.equal(await det.detect(image), dets);
  det.close();
});

test.run();
