// After tsc: puts beside the JavaScript in dist/ what it loads at run time.
// - dist/runtime/wasm/anchorless-{simd,relaxed,simd-threads}.wasm: the kernels, read or fetched beside
//   dist/runtime/wasm/default-kernels.js, imported as modules by dist/runtime/entries/workerd.js;
//   anchorless-int8-{simd,relaxed,simd-threads}.wasm: the int8 kernels (runtime/wasm/int8-loader.ts), alike;
//   anchorless-train-simd.wasm: the trainer's kernels (trainer/wasm-kernels/train-module.ts);
// - dist/models/default.bin: the bundled default model (`import model from 'anchorless/models/default'`
//   in Workers; ObjectDetector.create() without a model reads it elsewhere).
// Usage: node scripts/build-assets.mjs   (after `npm run build:wasm` and tsc)
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const wasmOut = path.join(root, 'dist', 'runtime', 'wasm');
await mkdir(wasmOut, { recursive: true });
for (const variant of ['simd', 'relaxed', 'simd-threads', 'int8-simd', 'int8-relaxed', 'int8-simd-threads', 'int8-relaxed-threads', 'train-simd']) {
  const file = `anchorless-${variant}.wasm`;
  await copyFile(path.join(root, 'runtime', 'wasm', file), path.join(wasmOut, file)).catch((e) => {
    throw new Error(`build-assets: ${file} missing (${e.code}); run \`npm run build:wasm\` first`);
  });
}
// builds before the kernels shipped as files embedded them as base64: never pack that copy
await rm(path.join(wasmOut, 'embedded.js'), { force: true });
await rm(path.join(wasmOut, 'embedded.d.ts'), { force: true });

// the default model's one copy in the package, named .bin so that wrangler imports it as a data
// module by default (dist/runtime/entries/default-model-module.js) and Node reads it as a file
const modelFile = 'models/centernet-tiny-synth.safetensors';
const modelsOut = path.join(root, 'dist', 'models');
await mkdir(modelsOut, { recursive: true });
await copyFile(path.join(root, modelFile), path.join(modelsOut, 'default.bin'));
await rm(path.join(modelsOut, 'default.js'), { force: true });
console.log('assets: kernels and the default model in dist/');
