// bench/train-step with BENCH_TRAIN_DCN_OP_BY_OP=1 on a preset with DCNv2: a second row for the
// layer's op-by-op form (its fused sampling kernels unregistered while it runs), whose first loss
// equals the fused form's (the same step on the same weights and batch), and the kernels put back.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

test('train-step bench, BENCH_TRAIN_DCN_OP_BY_OP=1: the fused and the op-by-op DCNv2 rows, the same first loss', () => {
  const env = { BENCH_TRAIN_DCN_OP_BY_OP: '1', BENCH_TRAIN_ARCH: 'centernet-resdcn18', BENCH_TRAIN_SIZE: '64', BENCH_TRAIN_BATCH: '2', BENCH_TRAIN_STEPS: '1', BENCH_TRAIN_BACKENDS: 'wasm', FORCE_COLOR: '0', NO_COLOR: '1' };
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', 'train-step'], { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 300_000 });
  assert.is(r.status, 0, r.stderr);
  const rows = new Map<string, number[]>();
  for (const line of r.stdout.split('\n')) {
    const cells = line.split('│').map((c) => c.trim().replace(/^'|'$/g, ''));
    if (cells.length === 7 && /^\d+$/.test(cells[1])) rows.set(cells[2], cells.slice(3, 6).map(Number));
  }
  const fused = rows.get('wasm + our SIMD training kernels');
  const opByOp = rows.get('wasm + our SIMD training kernels, op-by-op DCNv2');
  assert.ok(fused && opByOp, `two rows: ${r.stdout}`);
  assert.ok(fused[0] > 0 && opByOp[0] > 0, 'ms/step');
  assert.ok(Number.isFinite(fused[2]) && Math.abs(fused[2] - opByOp[2]) <= 1e-4 * Math.abs(fused[2]), `first losses ${fused[2]} and ${opByOp[2]}`);
});

test.run();
