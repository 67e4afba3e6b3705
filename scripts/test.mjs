// Runs the uvu suites: everything on the SIMD128 build, then the kernel-level suites (test/ops)
// again on the relaxed-SIMD build (Node 20 needs --experimental-wasm-relaxed-simd for it).
// Usage: node scripts/test.mjs [pattern]      Prints "N passed, N failed" at the end.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const uvu = path.join(root, 'node_modules', 'uvu', 'bin.js');
const pattern = process.argv[2] ?? '\\.test\\.ts$';
const major = Number(process.versions.node.split('.')[0]);
const relaxedFlag = major < 22 ? ['--experimental-wasm-relaxed-simd'] : [];

const runs = [
  { label: 'all suites, SIMD128 build', dir: 'test', env: { ANCHORLESS_WASM_VARIANT: 'simd' }, flags: [] },
  { label: 'kernel suites, relaxed-SIMD build', dir: 'test/ops', env: { ANCHORLESS_WASM_VARIANT: 'relaxed' }, flags: relaxedFlag },
];

// init()'s calibration cache (runtime/wasm/calibration-cache.ts) in a folder of this run's own: the
// processes the suites start share it, as on a user's machine, and nothing lands in ~/.cache
const calibrationCache = mkdtempSync(path.join(tmpdir(), 'anchorless-test-cache-'));
process.on('exit', () => rmSync(calibrationCache, { recursive: true, force: true }));

let passed = 0;
let failed = 0;
for (const run of runs) {
  console.log(`\n=== ${run.label} ===`);
  const result = spawnSync(process.execPath, [...run.flags, '--import', 'tsx', uvu, run.dir, pattern], {
    cwd: root,
    env: { ...process.env, ANCHORLESS_CACHE_DIR: calibrationCache, ...run.env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  process.stdout.write(result.stdout);
  const total = /Total:\s+(\d+)/.exec(result.stdout);
  const ok = /Passed:\s+(\d+)/.exec(result.stdout);
  if (result.status !== 0 || !total || !ok) {
    failed += total && ok ? Number(total[1]) - Number(ok[1]) : 1;
    if (ok) passed += Number(ok[1]);
    continue;
  }
  passed += Number(ok[1]);
  failed += Number(total[1]) - Number(ok[1]);
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
