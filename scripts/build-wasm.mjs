// Builds the kernel binaries (SIMD128, relaxed-SIMD, and SIMD128 on shared memory for threads) from assembly/ with AssemblyScript and
// post-link optimises them with Binaryen into runtime/wasm/anchorless-{simd,relaxed,simd-threads}.wasm. They ship
// as files beside the JavaScript (scripts/build-assets.mjs copies them into dist/): no base64 copy.
// The same three builds of the int8 module (assembly/int8.ts, asconfig.int8.json) go to
// runtime/wasm/anchorless-int8-{simd,relaxed,simd-threads}.wasm: it imports the main module's memory,
// so the build fails if Binaryen finds a data segment or a start function in it (either would write
// into the main module's memory when the int8 module is instantiated on it). The trainer's module
// (assembly/train.ts, asconfig.train.json) goes to runtime/wasm/anchorless-train-simd.wasm, alike. The
// conv benchmark's peak loop (assembly/peak.ts, asconfig.peak.json) goes to bench/wasm/, not shipped,
// and the scalar specs that tests and benchmarks run beside the kernels (assembly/spec.ts,
// asconfig.spec.json; on the main module's memory, alike) to test/wasm/, not shipped either.
// Usage: node scripts/build-wasm.mjs      (deterministic: same sources -> same bytes)
import asc from 'assemblyscript/asc';
import binaryen from 'binaryen';
import { readFile, writeFile, mkdir, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'runtime', 'wasm');
const mainConfig = path.join(root, 'asconfig.json');
const int8Config = path.join(root, 'asconfig.int8.json');
const trainConfig = path.join(root, 'asconfig.train.json');
const peakConfig = path.join(root, 'asconfig.peak.json');
const specConfig = path.join(root, 'asconfig.spec.json');
const benchDir = path.join(root, 'bench', 'wasm');
const testDir = path.join(root, 'test', 'wasm');
const features = {
  simd: binaryen.Features.MVP | binaryen.Features.SIMD128 | binaryen.Features.BulkMemory | binaryen.Features.SignExt | binaryen.Features.NontrappingFPToInt | binaryen.Features.MutableGlobals,
  relaxed: binaryen.Features.MVP | binaryen.Features.SIMD128 | binaryen.Features.RelaxedSIMD | binaryen.Features.BulkMemory | binaryen.Features.SignExt | binaryen.Features.NontrappingFPToInt | binaryen.Features.MutableGlobals,
  'simd-threads': binaryen.Features.MVP | binaryen.Features.SIMD128 | binaryen.Features.Atomics | binaryen.Features.BulkMemory | binaryen.Features.SignExt | binaryen.Features.NontrappingFPToInt | binaryen.Features.MutableGlobals,
  'relaxed-threads': binaryen.Features.MVP | binaryen.Features.SIMD128 | binaryen.Features.RelaxedSIMD | binaryen.Features.Atomics | binaryen.Features.BulkMemory | binaryen.Features.SignExt | binaryen.Features.NontrappingFPToInt | binaryen.Features.MutableGlobals,
};
const variants = [
  { name: 'simd', config: mainConfig, features: features.simd },
  { name: 'relaxed', config: mainConfig, features: features.relaxed },
  // the worker pool's build (runtime/threads/): SIMD128 kernels on an imported shared memory that
  // every worker instantiates the same module against; loaded only where SharedArrayBuffer exists
  { name: 'simd-threads', config: mainConfig, features: features['simd-threads'] },
  // the int8 module of each main build, on that build's memory (runtime/wasm/int8-loader.ts)
  { name: 'int8-simd', config: int8Config, features: features.simd, imported: true },
  { name: 'int8-relaxed', config: int8Config, features: features.relaxed, imported: true },
  { name: 'int8-simd-threads', config: int8Config, features: features['simd-threads'], imported: true },
  // the int8 module with the relaxed dot product (its c4 layout) on the pool's shared memory: the
  // pool's fp32 kernels stay SIMD128, its int8 layers may run in c4 (int8-loader.ts)
  { name: 'int8-relaxed-threads', config: int8Config, features: features['relaxed-threads'], imported: true },
  // the trainer's kernels (assembly/train.ts, trainer/wasm-kernels/train-module.ts), on the memory
  // of the single-threaded main build the trainer loads
  { name: 'train-simd', config: trainConfig, features: features.simd, imported: true },
  // the scalar specs of the main module's kernels, which tests and benchmarks run beside them
  // (assembly/spec.ts, test/helpers/spec-kernels.ts), on its memory: not shipped
  { name: 'spec', config: specConfig, features: features.simd, imported: true, dir: testDir },
  // the conv benchmark's f32x4 peak loop in each build's arithmetic (assembly/peak.ts): not shipped
  { name: 'peak-simd', config: peakConfig, features: features.simd, dir: benchDir },
  { name: 'peak-relaxed', config: peakConfig, features: features.relaxed, dir: benchDir },
];

for (const variant of variants) {
  const dir = variant.dir ?? outDir;
  await mkdir(dir, { recursive: true });
  const rawFile = path.join(dir, `anchorless-${variant.name}.raw.wasm`);
  const { error, stderr } = await asc.main(
    ['--config', variant.config, '--target', variant.name, '--outFile', rawFile],
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
  if (variant.imported) {
    // instantiating it would copy the segments over the main module's static data, or run the start function on its memory
    const segments = module.getNumDataSegments();
    if (segments > 0 || module.getStart() !== 0) {
      throw new Error(
        `the ${variant.name} build writes into the memory it imports: ${segments} data segment(s)${module.getStart() !== 0 ? ' and a start function' : ''}; ` +
          'keep strings, assertions and constant arrays out of assembly/int8.ts, assembly/train.ts, assembly/spec.ts and what they import',
      );
    }
  }
  const bytes = module.emitBinary();
  module.dispose();
  await rm(rawFile);
  await writeFile(path.join(dir, `anchorless-${variant.name}.wasm`), bytes);
  console.log(`wasm: ${variant.name} ${bytes.length} bytes`);
}

