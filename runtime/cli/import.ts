// `anchorless import CHECKPOINT --out model.safetensors [--f16] [--force]`: an official PyTorch
// checkpoint (CenterNet's model zoo, CornerNet's and CornerNet-Lite's releases; .pth / .pkl, zip or
// legacy format) to an anchorless model file, written atomically and never over an existing file
// without --force. Progress goes to stderr, the one-line summary to stdout.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { describeFamilies, importCheckpoint } from '../import/import.js';
import { f32ToF16Bits } from '../weights/f16.js';
import { writeModelFile } from '../weights/model-file.js';
import { checkWritable, writeFileAtomic } from '../util/atomic-write.js';
import { helpText, parseArgs, type OptionSpec } from './args.js';

const SPEC: Record<string, OptionSpec> = {
  out: { type: 'string', help: 'the model file to write (.safetensors); required' },
  f16: { type: 'boolean', help: 'store the weights as F16 (half the size)' },
  force: { type: 'boolean', help: 'overwrite --out if it exists' },
  help: { type: 'boolean', help: 'show this help' },
};

export const USAGE = 'anchorless import CHECKPOINT --out model.safetensors [--f16] [--force]';

/** Largest finite f16 value: a weight beyond it would be stored as infinity. */
const F16_MAX = 65504;

export async function importCommand(argv: string[]): Promise<void> {
  const { options, positionals } = parseArgs('import', argv, SPEC);
  if (options.help) {
    console.log(`${helpText(USAGE, SPEC)}\n\nCheckpoint families: ${describeFamilies()}`);
    return;
  }
  if (positionals.length !== 1) throw new Error(`import: give one checkpoint file, got ${positionals.length} (${USAGE})`);
  const file = positionals[0];
  const out = options.out as string | undefined;
  if (out === undefined) throw new Error(`import: --out FILE is required (${USAGE})`);
  const force = options.force === true;
  const label = `import: --out ${out}`;
  // before the (possibly long) import, so a bad --out fails at once
  await checkWritable(out, { overwrite: force, label });

  const info = await stat(file).catch((e: NodeJS.ErrnoException) => {
    throw new Error(`import: ${file}: ${e.code === 'ENOENT' ? 'no such file' : `cannot read it (${e.code ?? e.message})`}`);
  });
  if (!info.isFile()) throw new Error(`import: ${file}: not a file`);
  console.error(`importing ${file} (${megabytes(info.size)})`);
  const bytes = new Uint8Array(await readFile(file));
  const model = importCheckpoint(bytes, { source: file });
  const dtype = options.f16 ? 'F16' : 'F32';
  if (dtype === 'F16') checkF16Range(model.weights);
  const data = writeModelFile(model.config, model.weights, { dtype, metadata: { importedFrom: path.basename(file), family: model.family } });
  await writeFileAtomic(out, data, { overwrite: force, label });

  const parameters = [...model.weights.values()].reduce((n, w) => n + w.length, 0);
  const [h, w] = model.config.inputSize;
  const skipped = model.skipped.length > 0 ? `, ${model.skipped.length} unused tensors skipped` : '';
  console.log(
    `${file}: ${model.family}, ${model.config.numClasses} classes, ${parameters.toLocaleString('en-US')} parameters, input ${w}x${h}${skipped}` +
      ` -> ${out} (${dtype}, ${megabytes(data.length)})`,
  );
}

function checkF16Range(weights: ReadonlyMap<string, Float32Array>): void {
  for (const [name, w] of weights) {
    for (let i = 0; i < w.length; i++) {
      // values that round to a finite f16 are fine; f32ToF16Bits gives 0x7c00 / 0xfc00 for infinity
      if (Math.abs(w[i]) > F16_MAX && (f32ToF16Bits(w[i]) & 0x7fff) === 0x7c00) {
        throw new Error(`import: --f16: parameter ${name} holds ${w[i]} at index ${i}, beyond the F16 range (+-${F16_MAX}); import without --f16`);
      }
    }
  }
}

function megabytes(n: number): string {
  return `${(n / 1e6).toFixed(1)} MB`;
}
