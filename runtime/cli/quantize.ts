// `anchorless quantize --model m.safetensors --calibration DIR --out m-int8.safetensors [--limit N] [--force]`:
// post-training int8 quantisation (runtime/quantize/): the calibration images are the image files
// in DIR, or in DIR/images (a COCO-format dataset folder such as `anchorless synth` writes), sorted
// by name; the first --limit of them (default 200) are used.
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { helpText, numberOption, parseArgs, type OptionSpec } from './args.js';
import { checkWritable, writeFileAtomic } from '../util/atomic-write.js';
import { quantizeModel } from '../quantize/quantize-model.js';

const SPEC: Record<string, OptionSpec> = {
  model: { type: 'string', help: 'the f32 weight file (.safetensors); default: the bundled centernet-tiny model' },
  calibration: { type: 'string', help: 'folder of calibration images (JPEG/PNG/WebP), or a dataset folder with images/' },
  out: { type: 'string', help: 'where to write the int8 model file' },
  limit: { type: 'string', help: 'use at most this many calibration images (default 200)' },
  force: { type: 'boolean', help: 'overwrite --out if it exists' },
  help: { type: 'boolean', help: 'show this help' },
};

const USAGE = 'anchorless quantize --model FILE --calibration DIR --out FILE [--limit N] [--force]';
const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp']);

export async function quantizeCommand(argv: string[]): Promise<void> {
  const { options: o, positionals } = parseArgs('quantize', argv, SPEC);
  if (o.help) return void console.log(helpText(USAGE, SPEC));
  if (positionals.length) throw new Error(`quantize: unexpected argument ${positionals[0]}`);
  if (typeof o.calibration !== 'string') throw new Error('quantize: --calibration DIR is required (images like the ones the model will see)');
  if (typeof o.out !== 'string') throw new Error('quantize: --out FILE is required');
  const limit = numberOption('quantize', 'limit', o.limit, 200, { integer: true, min: 1, max: 1e6 });
  const outOptions = { overwrite: o.force === true, label: `quantize: --out ${o.out}` };
  await checkWritable(o.out, outOptions);
  const files = (await calibrationFiles(o.calibration)).slice(0, limit);
  const { readImageRGB } = await import('../../trainer/data/image-io.js');
  async function* images() {
    for (const file of files) {
      try {
        yield await readImageRGB(file);
      } catch (e) {
        throw new Error(`quantize: --calibration ${file}: ${(e as Error).message}`);
      }
    }
  }
  const started = Date.now();
  const result = await quantizeModel({
    model: o.model as string | undefined,
    images: images(),
    onImage: (done) => {
      if (done % 25 === 0 || done === files.length) process.stderr.write(`quantize: calibrated on ${done}/${files.length} images\r`);
    },
  });
  process.stderr.write('\n');
  await writeFileAtomic(o.out, result.bytes, outOptions);
  console.log(
    `${o.out}: ${(result.bytes.length / 1e6).toFixed(2)} MB, ${result.int8Layers} conv and transposed-conv layers in int8, ${result.f32Layers} left in f32 ` +
      `(calibrated on ${result.images} images in ${((Date.now() - started) / 1000).toFixed(1)} s)`,
  );
}

/** Image files in dir, or in dir/images, sorted by name; an Error naming the folder when there are none. */
async function calibrationFiles(dir: string): Promise<string[]> {
  const label = `quantize: --calibration ${dir}`;
  const info = await stat(dir).catch((e: NodeJS.ErrnoException) => {
    throw new Error(`${label}: cannot read it (${e.code ?? e.message})`);
  });
  if (!info.isDirectory()) throw new Error(`${label}: not a folder`);
  for (const folder of [dir, path.join(dir, 'images')]) {
    const names = await readdir(folder).catch(() => [] as string[]);
    const found = names.filter((n) => IMAGE_EXTENSIONS.has(path.extname(n).toLowerCase())).sort();
    if (found.length > 0) return found.map((n) => path.join(folder, n));
  }
  throw new Error(`${label}: no image files (${[...IMAGE_EXTENSIONS].join(', ')}) in it or in its images/ folder`);
}
