// Builds the kernel binaries (SIMD128, relaxed-SIMD, and SIMD128 on shared memory for threads) from assembly/ with AssemblyScript and
// post-link optimises them with Binaryen into runtime/wasm/anchorless-{simd,relaxed,simd-threads}.wasm. They ship
// as files beside the JavaScript (scripts/build-assets.mjs copies them into dist/): no base64 copy.
// Usage: node scripts/build-wasm.mjs      (deterministic: same sources -> same bytes)
import asc from 'assemblyscript/asc';
import binaryen from 'binaryen';
import { readFile, writeFile, mkdir, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'runtime', 'wasm');
const variants = [
  { name: 'simd', features: binaryen.Features.MVP | binaryen.Features.SIMD128 | binaryen.Features.BulkMemory | binaryen.Features.SignExt | binaryen.Features.NontrappingFPToInt | binaryen.Features.MutableGlobals },
  { name: 'relaxed', features: binaryen.Features.MVP | binaryen.Features.SIMD128 | binaryen.Features.RelaxedSIMD | binaryen.Features.BulkMemory | binaryen.Features.SignExt | binaryen.Features.NontrappingFPToInt | binaryen.Features.MutableGlobals },
  // the worker pool's build (runtime/threads/): SIMD128 kernels on an imported shared memory that
  // every worker instantiates the same module against; loaded only where SharedArrayBuffer exists
  { name: 'simd-threads', features: binaryen.Features.MVP | binaryen.Features.SIMD128 | binaryen.Features.Atomics | binaryen.Features.BulkMemory | binaryen.Features.SignExt | binaryen.Features.NontrappingFPToInt | binaryen.Features.MutableGlobals },
];

await mkdir(outDir, { recursive: true });
for (const variant of variants) {
  const rawFile = path.join(outDir, `anchorless-${variant.name}.raw.wasm`);
  const { error, stderr } = await asc.main(
    ['--config', path.join(root, 'asconfig.json'), '--target', variant.name, '--outFile', rawFile],
    { stdout: process.stdout, stderr: process.stderr },
  );
  if (error) {
    console.error(stderr.toString());
    throw new Error(`asc failed for the ${variant.name} build: ${error.message}`);
  }
  const module = binaryen.readBinary(await readFile(rawFile));
  module.setFeatures(variant.features);
  binaryen.setOptimizeLevel(3);
  binaryen.setShrinkLevel(0);
  binaryen.setFastMath(false); // keep IEEE semantics: the scalar spec and SIMD kernels must agree
  module.optimize();
  if (!module.validate()) throw new Error(`binaryen validation failed for the ${variant.name} build`);
  const bytes = module.emitBinary();
  module.dispose();
  await rm(rawFile);
  await writeFile(path.join(outDir, `anchorless-${variant.name}.wasm`), bytes);
  console.log(`wasm: ${variant.name} ${bytes.length} bytes`);
}

