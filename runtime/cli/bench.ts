// `anchorless bench [--model FILE] [--image FILE] [--runs N] [--json]`: detect() latency on one
// image (after warm-up), as users see it: preprocessing, network, decode. The kernel-level
// suites with their scalar specs and peers are `npm run bench` in a checkout.
import { ObjectDetector } from '../detector.js';
import { helpText, numberOption, parseArgs, type OptionSpec } from './args.js';
import { bundledFile } from './detect.js';

const SPEC: Record<string, OptionSpec> = {
  model: { type: 'string', help: 'weight file; default the bundled model' },
  image: { type: 'string', help: 'image file; default the bundled sample' },
  runs: { type: 'string', help: 'timed runs (default 20)' },
  flip: { type: 'boolean', help: 'flip test' },
  json: { type: 'boolean', help: 'print the result as JSON' },
  help: { type: 'boolean', help: 'show this help' },
};

export async function benchCommand(argv: string[]): Promise<void> {
  const { options: o } = parseArgs('bench', argv, SPEC);
  if (o.help) return void console.log(helpText('anchorless bench [--model FILE] [--image FILE] [--runs N] [--json]', SPEC));
  const runs = numberOption('bench', 'runs', o.runs, 20, { integer: true, min: 1, max: 100000 });
  const { readImageRGB } = await import('../../trainer/data/image-io.js');
  const file = (o.image as string | undefined) ?? bundledFile('sample.png');
  const img = await readImageRGB(file);
  const image = { data: img.data, width: img.width, height: img.height, channels: 3 as const };
  const t0 = performance.now();
  const detector = await ObjectDetector.create({ model: o.model as string | undefined, flip: o.flip === true });
  const loadMs = performance.now() - t0;
  try {
    for (let i = 0; i < 3; i++) await detector.detect(image);
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      await detector.detect(image);
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))];
    const result = {
      model: detector.config.name,
      image: `${file} (${img.width}x${img.height})`,
      inputSize: detector.inputSize,
      wasm: detector.kernelVariant,
      loadMs: round(loadMs),
      detectMs: { p50: round(q(0.5)), p90: round(q(0.9)), min: round(times[0]) },
      kernelHeapMB: round((detector.kernelMemoryBytes ?? 0) / 2 ** 20),
    };
    if (o.json) console.log(JSON.stringify(result, null, 2));
    else {
      console.log(`${result.model} on ${result.image}, input ${result.inputSize.join('x')}, wasm ${result.wasm} build`);
      console.log(`load ${result.loadMs} ms; detect p50 ${result.detectMs.p50} ms, p90 ${result.detectMs.p90} ms, min ${result.detectMs.min} ms (${runs} runs); kernel memory ${result.kernelHeapMB} MB`);
    }
  } finally {
    detector.close();
  }
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}
