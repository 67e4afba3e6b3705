// detect() on 100 different images in one process: process memory (RSS, JS heap, kernel heap)
// after the 10th call and after the 100th. Goal (runtime issue): within 5%.
// Uses the bundled default model when present, else a random centernet-tiny.
import { existsSync, readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ObjectDetector } from '../runtime/detector.js';
import { DEFAULT_MODEL_FILE } from '../runtime/model-source.js';
import { preset } from '../runtime/model/presets.js';
import { buildGraph } from '../runtime/model/registry.js';
import { writeModelFile } from '../runtime/weights/model-file.js';
import { kernels } from '../runtime/wasm/loader.js';
import { randomWeights } from '../test/helpers/random-weights.js';
import { rng } from '../test/helpers/random.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** After full collections, with a pause for the concurrent ArrayBuffer sweeper to free backing stores. */
async function snapshot() {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const m = process.memoryUsage();
  return { rssMB: m.rss / 2 ** 20, heapUsedMB: m.heapUsed / 2 ** 20, heapTotalMB: m.heapTotal / 2 ** 20, externalMB: m.external / 2 ** 20, kernelMB: kernels().exports.memory.buffer.byteLength / 2 ** 20 };
}

export async function run(): Promise<void> {
  const bundled = new URL(`../${DEFAULT_MODEL_FILE}`, import.meta.url);
  const model = existsSync(bundled)
    ? new Uint8Array(readFileSync(bundled))
    : (() => {
        const config = preset('centernet-tiny', { numClasses: 6 });
        return writeModelFile(config, randomWeights(buildGraph(config), 1));
      })();
  const det = await ObjectDetector.create({ model, scoreThreshold: 0.1 });
  const r = rng(9);
  const images = Array.from({ length: 100 }, (_, i) => {
    const width = 200 + ((i * 37) % 300);
    const height = 150 + ((i * 53) % 250);
    return { data: Uint8Array.from({ length: width * height * 3 }, () => Math.floor(r() * 256)), width, height };
  });
  let at10 = await snapshot();
  for (let i = 0; i < images.length; i++) {
    await det.detect(images[i]);
    if (i === 9) at10 = await snapshot();
  }
  const at100 = await snapshot();
  det.close();
  const rows = (['rssMB', 'heapUsedMB', 'heapTotalMB', 'externalMB', 'kernelMB'] as const).map((k) => ({
    memory: k,
    'after 10th': at10[k].toFixed(1),
    'after 100th': at100[k].toFixed(1),
    change: `${(((at100[k] - at10[k]) / at10[k]) * 100).toFixed(2)}%`,
  }));
  console.table(rows);
  const rssChange = (at100.rssMB - at10.rssMB) / at10.rssMB;
  console.log(`detect() x100 (sizes 200..500 px): RSS after the 100th is ${(rssChange * 100).toFixed(2)}% from after the 10th (goal within 5%: ${Math.abs(rssChange) <= 0.05 ? 'met' : 'NOT met'})`);
}
