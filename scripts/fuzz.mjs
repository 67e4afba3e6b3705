// The hostile-input suite's long mode (issue 10): every property of test/hostile-*.test.ts with
// ANCHORLESS_FUZZ_SCALE times its CI count (default 10: about 100,000 cases in all) and a fresh
// seed, printing the cases per entry point. Usage: npm run fuzz [-- <scale>]
//   ANCHORLESS_FUZZ_SEED=<n> replays a seed; ANCHORLESS_FUZZ_RUNS=<n> sets every property's count.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const scale = process.argv[2] ?? process.env.ANCHORLESS_FUZZ_SCALE ?? '10';
const started = Date.now();
const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'node_modules', 'uvu', 'bin.js'), 'test', '^hostile-.*\\.test\\.ts$'], {
  cwd: root,
  env: { ANCHORLESS_WASM_VARIANT: 'simd', ...process.env, ANCHORLESS_FUZZ_SCALE: scale },
  stdio: 'inherit',
});
console.log(`fuzz: scale ${scale}, ${((Date.now() - started) / 1000).toFixed(0)} s`);
process.exit(result.status ?? 1);
