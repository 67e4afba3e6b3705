#!/usr/bin/env node
// The `anchorless` command: detect, synth, train, data, eval, export, import, quantize, bench. Each command lives in its
// own module, loaded only when used (the trainer's TensorFlow.js stays out of `detect`).
// Errors are printed as one line naming the file or option at fault, with exit code 1.
import './entries/calibration-on-disk.js';

const COMMANDS: Record<string, { help: string; load: () => Promise<(argv: string[]) => Promise<void>> }> = {
  detect: { help: 'detect objects in images (default: the bundled model and sample image)', load: async () => (await import('./cli/detect.js')).detectCommand },
  synth: { help: 'write a synthetic COCO-format dataset', load: async () => (await import('../trainer/cli/synth.js')).synthCommand },
  train: { help: 'train a model (TensorFlow.js) and export model.safetensors', load: async () => (await import('../trainer/cli/train.js')).trainCommand },
  data: { help: 'a look at a dataset (COCO, VOC, YOLO): counts, box sizes, broken files, a picture', load: async () => (await import('../trainer/cli/data.js')).dataCommand },
  eval: { help: 'COCO (or VOC) metrics of a model on a dataset', load: async () => (await import('../trainer/cli/eval.js')).evalCommand },
  export: { help: 'a model file from a checkpoint, or a randomly initialised preset', load: async () => (await import('../trainer/cli/export.js')).exportCommand },
  quantize: { help: 'an int8 model file from an f32 one and calibration images', load: async () => (await import('./cli/quantize.js')).quantizeCommand },
  import: { help: 'a model file from an official CenterNet / CornerNet PyTorch checkpoint', load: async () => (await import('./cli/import.js')).importCommand },
  bench: { help: 'time detect() on the sample image, and the kernels against their scalar specs', load: async () => (await import('./cli/bench.js')).benchCommand },
};

function usage(): string {
  const rows = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(8)} ${c.help}`);
  return `usage: anchorless <command> [options]   (anchorless <command> --help for its options)\n\ncommands:\n${rows.join('\n')}`;
}

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return;
  }
  const command = COMMANDS[name];
  if (!command) throw new Error(`unknown command "${name}"\n${usage()}`);
  try {
    await (await command.load())(rest);
  } catch (e) {
    throw missingTrainerStack(name, e) ?? e;
  }
}

/** The trainer's stack (TensorFlow.js, sharp) is an optional peer: an inference install leaves it out. */
const TRAINER_STACK = ['@tensorflow/tfjs', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-wasm', 'sharp'];

function missingTrainerStack(command: string, e: unknown): Error | undefined {
  const err = e as { code?: string; message?: string };
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' && err?.code !== 'MODULE_NOT_FOUND') return undefined;
  const missing = TRAINER_STACK.find((name) => err.message?.includes(`'${name}'`) || err.message?.includes(`"${name}"`));
  if (!missing) return undefined;
  const use = command === 'detect' || command === 'bench' || command === 'quantize' ? 'read image files' : 'train, evaluate and export';
  return new Error(`${command}: ${missing} is not installed; the CLI needs it to ${use} (the runtime API does not): npm install ${TRAINER_STACK.join(' ')}`);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  const message = e instanceof Error ? e.message : String(e);
  console.error(`anchorless: ${message}`);
  if (process.env.ANCHORLESS_DEBUG && e instanceof Error) console.error(e.stack);
  process.exitCode = 1;
});
