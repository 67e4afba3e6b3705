// Node 24 (V8 13.6: relaxed SIMD on by default, its dot product one instruction on a CPU with
// AVX-VNNI, as here), fetched by scripts/setup-system.sh into .cache/: the int8 kernel suites on its
// relaxed build, and the kernels an int8 model takes. Node 24 is where that choice matters most:
// init()'s calibration keeps SIMD128 for fp32 (its relaxed fp32 convs are no faster here) while the
// relaxed build's c4 int8 model is faster, so an int8 detector gets relaxed kernels of its own
// (engine/int8-kernels.ts). On a CPU without a fast dot product the probe keeps c2 and SIMD128:
// both outcomes are checked for consistency, and the one taken is printed.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import { checkInt8KernelsChoice, checkInt8SuitesOnRelaxed } from '../helpers/relaxed-int8-engine.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NODE24 = fileURLToPath(new URL('../../.cache/node-24.22.3/bin/node', import.meta.url));
const available = existsSync(NODE24);

function node24(args: string[], env: NodeJS.ProcessEnv = {}): string {
  try {
    return execFileSync(NODE24, ['--import', 'tsx', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 300_000, env: { ...process.env, ...env } });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`node 24 ${args.join(' ')} failed: ${err.message}\n${err.stderr ?? ''}${err.stdout ?? ''}`);
  }
}

const skip = (): boolean => {
  if (!available) console.log(`  ${NODE24} is not there (scripts/setup-system.sh fetches it on Linux x64): not checked here`);
  return !available;
};

test('Node 24, relaxed build: the int8 conv and transposed-conv suites pass in full (c4 on its relaxed dot product)', () => {
  if (!skip()) checkInt8SuitesOnRelaxed(node24);
});

test('Node 24: an int8 model takes the relaxed build where its layout probe takes c4, also where init() kept SIMD128 for fp32', async () => {
  if (skip()) return;
  const r = await checkInt8KernelsChoice(node24);
  console.log(`  Node 24: init() ${r.initVariant}; of SIMD128 and relaxed, an int8 model takes ${r.picked} (${r.pickedReason}); the detector: ${r.detector.variant}`);
});

test.run();
