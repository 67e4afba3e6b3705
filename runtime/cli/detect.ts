// `anchorless detect [images...] [--model file] [--json] [--out annotated.png]`: JPEG/PNG in
// (through sharp; without it PNG only, read-image.ts), detections out as a table or JSON [{ image, detections }], and optionally an
// annotated image. No image: the bundled sample; no model: the bundled default model.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ObjectDetector, type DetectedObject } from '../detector.js';
import { checkTestMerge } from '../model/config.js';
import { annotate, type RgbPixels } from './annotate.js';
import { helpText, numberOption, parseArgs, type OptionSpec } from './args.js';
import { checkWritable } from '../util/atomic-write.js';
import { imageReader, isSharpMissing } from './read-image.js';

const SPEC: Record<string, OptionSpec> = {
  model: { type: 'string', help: 'weight file (.safetensors); default: the bundled centernet-tiny model' },
  json: { type: 'boolean', help: 'print [{ image, detections }] as JSON' },
  out: { type: 'string', help: 'write the (first) image annotated with its boxes to this PNG/JPEG file' },
  'score-threshold': { type: 'string', help: 'drop detections below this score (default 0.3)' },
  'max-results': { type: 'string', help: 'at most this many detections per image (default 100)' },
  flip: { type: 'boolean', help: 'flip test (slower, usually more accurate)' },
  'input-size': { type: 'string', help: "network input N (a square) or HxW, one size: instead of the model's own (its multi-size test too, where it has one)" },
  merge: { type: 'string', help: "how a multi-size test's runs are merged: soft-nms or wbf (weighted boxes fusion); default the model's own (testMerge), else soft-nms" },
  force: { type: 'boolean', help: 'overwrite --out if it exists' },
  help: { type: 'boolean', help: 'show this help' },
};

export const USAGE = 'anchorless detect [images...] [--model FILE] [--json] [--out annotated.png]';

/** The bundled sample image (models/sample.png), from runtime/cli (tsx) or dist/runtime/cli. */
export function bundledFile(name: string): string {
  for (const up of ['../../models', '../../../models']) {
    const file = fileURLToPath(new URL(`${up}/${name}`, import.meta.url));
    if (existsSync(file)) return file;
  }
  throw new Error(`the bundled file models/${name} is missing from this installation`);
}

export async function detectCommand(argv: string[]): Promise<void> {
  const { options, positionals } = parseArgs('detect', argv, SPEC);
  if (options.help) {
    console.log(helpText(USAGE, SPEC));
    return;
  }
  const images = positionals.length > 0 ? positionals : [bundledFile('sample.png')];
  const out = options.out as string | undefined;
  const outOptions = { overwrite: options.force === true, label: `detect: --out ${out}` };
  const readImageRGB = await imageReader();
  // every check on --out before any detection runs; writing it needs sharp (reading PNG does not)
  let writeImageRGB: typeof import('./write-image.js').writeImageRGB | undefined;
  if (out !== undefined) {
    let writer: typeof import('./write-image.js');
    try {
      writer = await import('./write-image.js');
    } catch (e) {
      if (isSharpMissing(e)) throw new Error(`detect: --out ${out}: writing the annotated image needs sharp, which is not installed (npm install sharp)`);
      throw e;
    }
    writer.checkImageExtension(out, outOptions.label);
    await checkWritable(out, outOptions);
    writeImageRGB = writer.writeImageRGB;
  }
  const detector = await ObjectDetector.create({
    model: options.model as string | undefined,
    scoreThreshold: numberOption('detect', 'score-threshold', options['score-threshold'], 0.3, { min: 0, max: 1 }),
    maxResults: numberOption('detect', 'max-results', options['max-results'], 100, { integer: true, min: 1, max: 100000 }),
    flip: options.flip === true,
    ...(options['input-size'] !== undefined ? { inputSize: parseInputSize(String(options['input-size'])) } : {}),
    ...(options.merge !== undefined ? { merge: checkTestMerge(options.merge, 'detect: --merge') } : {}),
  });
  try {
    const results: { image: string; detections: DetectedObject[] }[] = [];
    // one bad image does not hide the others' results: each is reported, the exit code is 1
    const failed: string[] = [];
    for (const [i, file] of images.entries()) {
      let img: RgbPixels;
      let detections: DetectedObject[];
      try {
        img = await readImageRGB(file);
        detections = await detector.detect({ data: img.data, width: img.width, height: img.height, channels: 3 });
      } catch (e) {
        failed.push(file);
        console.error(`anchorless: detect: ${(e as Error).message}`);
        continue;
      }
      results.push({ image: file, detections });
      if (!options.json) printTable(file, detections);
      if (out && writeImageRGB && i === 0) {
        await writeImageRGB(annotate(img, detections), out, outOptions);
        if (!options.json) console.log(`annotated image written to ${path.resolve(out)}`);
      }
    }
    if (options.json) console.log(JSON.stringify(results, roundFloats, 2));
    if (failed.length > 0) throw new Error(`detect: ${failed.length} of ${images.length} image(s) failed: ${failed.join(', ')}`);
  } finally {
    detector.close();
  }
}

function printTable(file: string, dets: DetectedObject[]): void {
  console.log(`${file}: ${dets.length} detection${dets.length === 1 ? '' : 's'}`);
  for (const d of dets) {
    const b = d.box;
    console.log(`  ${d.label.padEnd(12)} ${d.score.toFixed(3)}  [${[b.xmin, b.ymin, b.xmax, b.ymax].map((v) => v.toFixed(1)).join(', ')}]`);
  }
}

/** JSON with 4 decimals: pixel coordinates and scores need no more. */
function roundFloats(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isInteger(value) ? Math.round(value * 1e4) / 1e4 : value;
}

/** --input-size: N or HxW, positive integers. */
function parseInputSize(v: string): [number, number] {
  const m = /^(\d+)(?:x(\d+))?$/.exec(v.trim());
  const [h, w] = m ? [Number(m[1]), Number(m[2] ?? m[1])] : [0, 0];
  if (!(h >= 1 && w >= 1 && h <= 16384 && w <= 16384)) throw new Error(`detect: --input-size must be N or HxW (positive integers up to 16384), got ${v}`);
  return [h, w];
}
