// The trainer's kernel module (assembly/train.ts -> runtime/wasm/anchorless-train-simd.wasm): nothing
// in it would write into the memory it imports, its size, and which kernels it holds (the ones only
// training runs, which the inference module no longer carries).
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadTrainKernels, TRAIN_EXPORTS } from '../trainer/wasm-kernels/train-module.js';
import { loadKernels } from './helpers/kernels.js';
import { DATA_SECTION, START_SECTION, sectionIds } from './helpers/wasm-sections.js';

// 6 KB: batch norm, corner / max pooling and up-sampling gradients (~2 KB) and the conv weight and
// depthwise input gradients (~3 KB, moved out of the inference module to keep it within its budget).
test('the training module: under 6 KB gzipped, no data or start section (it runs on the main kernels\' memory)', () => {
  const bytes = readFileSync(new URL('../runtime/wasm/anchorless-train-simd.wasm', import.meta.url));
  const ids = sectionIds(bytes);
  assert.not.ok(ids.includes(DATA_SECTION), 'data section');
  assert.not.ok(ids.includes(START_SECTION), 'start section');
  assert.ok(gzipSync(bytes, { level: 9 }).length <= 6 * 1024, `${gzipSync(bytes, { level: 9 }).length} bytes gzipped`);
});

test('the training-only kernels are in the training module, not in the inference module', async () => {
  const k = await loadKernels();
  const train = await loadTrainKernels(k);
  for (const name of TRAIN_EXPORTS) {
    assert.type(train[name], 'function', name);
    assert.is((k.exports as unknown as Record<string, unknown>)[name], undefined, `${name} in the inference module`);
  }
});

test.run();
