// Latency of the published architectures at their official test input sizes: what a user who
// imports the papers' checkpoints (`anchorless import`) gets. Full-width presets with random,
// well-scaled weights (the compute does not depend on the values; CornerNet-Saccade's number of
// crops does, so its figure is for the crops its random attention maps asked for), one thread,
// the kernel build init() picks (run Node 20 with --experimental-wasm-relaxed-simd for the relaxed
// build). detect() on the sample image: preprocessing, network and decode; median of a few runs.
//
//   node --experimental-wasm-relaxed-simd --import tsx bench/run.ts pretrained [name-filter]
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import sharp from 'sharp';
import { ObjectDetector } from '../runtime/detector.js';
import { preset } from '../runtime/model/presets.js';
import { buildGraph } from '../runtime/model/registry.js';
import { writeModelFile } from '../runtime/weights/model-file.js';
import { init } from '../runtime/wasm/loader.js';
import { randomWeights } from '../test/helpers/random-weights.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Preset, official test input [height, width], the published checkpoint it runs. */
const MODELS: [string, [number, number], string][] = [
  ['centernet-resdcn18', [512, 512], 'ctdet_coco_resdcn18.pth'],
  ['centernet-dla34', [512, 512], 'ctdet_coco_dla_2x.pth'],
  ['centernet-resdcn101', [512, 512], 'ctdet_coco_resdcn101.pth'],
  ['centernet-hourglass104', [512, 512], 'ctdet_coco_hg.pth'],
  ['cornernet-hourglass104', [511, 511], 'CornerNet_500000.pkl (both repositories)'],
  ['cornernet-squeeze', [511, 511], 'CornerNet_Squeeze_500000.pkl'],
  ['cornernet-saccade', [255, 255], 'CornerNet_Saccade_500000.pkl'],
];

const RUNS = 3;

export async function run(): Promise<void> {
  const filter = process.argv[3] ?? '';
  const kn = await init();
  const { data, info } = await sharp(await readFile(path.join(root, 'models', 'sample.png'))).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const image = { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: 3 as const };
  console.log(`kernels: ${kn.variant}, 1 thread, sample image ${info.width}x${info.height}, median of ${RUNS} after one warm-up`);
  const rows: Record<string, string | number>[] = [];
  for (const [name, inputSize, published] of MODELS) {
    if (!name.includes(filter)) continue;
    const config = preset(name, { inputSize });
    const graph = buildGraph(config);
    const weights = randomWeights(graph, 1);
    const params = [...weights.values()].reduce((s, w) => s + w.length, 0);
    const t0 = performance.now();
    const det = await ObjectDetector.create({ model: writeModelFile(config, weights) });
    const createMs = performance.now() - t0;
    weights.clear();
    await det.detect(image);
    const times: number[] = [];
    let found = 0;
    for (let i = 0; i < RUNS; i++) {
      const s = performance.now();
      found = (await det.detect(image)).length;
      times.push(performance.now() - s);
    }
    det.close();
    times.sort((a, b) => a - b);
    rows.push({
      model: name,
      published,
      input: inputSize.join('x'),
      'params (M)': +(params / 1e6).toFixed(1),
      'create (ms)': Math.round(createMs),
      'detect (ms)': Math.round(times[RUNS >> 1]),
      detections: found,
    });
    console.log(`${name}: detect ${Math.round(times[RUNS >> 1])} ms`);
  }
  console.table(rows);
}
