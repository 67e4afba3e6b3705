// The trainer on Deno's own WebGPU (navigator.gpu: wgpu, not the Dawn that Node's `webgpu` package
// brings), in CI on a software adapter: test/runtimes/deno-webgpu-step.js runs the built trainer
// (dist/) in Deno and compares with the cpu backend in the same process. One training step's loss
// and gradients of centernet-tiny, cornernet-tiny and centernet-resdcn18 (1/8 width) within 1e-4
// (each gradient's error over the larger of its scale and 1e-3 of the model's largest gradient, as
// test/trainer-webgpu.test.ts); the conv and depthwise weight-gradient kernels within 1e-5 of their
// largest value; the fused Adam update within 1e-6 of its spec on the same numbers. And the
// `anchorless train` command itself run by Deno (the built CLI, sharp through Deno's Node-API
// support): --backend webgpu on its navigator.gpu, a run interrupted by --max-steps and continued with
// --resume ends with the weights and losses of the uninterrupted run, and eval scores its export.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readModelFile } from '../../runtime/weights/model-file.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { devBinary, ROOT } from './install.js';
import { trainLosses } from '../helpers/metrics.js';

interface StepResult {
  preset: string;
  gradients: number;
  lossError: number;
  worstGradient: number;
  worstName: string;
  adamError: number;
}

/** `deno run` of `script` with `permissions` and `args` (no prompts, no update check); an Error with its output if it fails. */
function runDeno(permissions: string[], script: string, args: string[]): { stdout: string; stderr: string } {
  const r = spawnSync(devBinary('deno'), ['run', ...permissions, '--no-prompt', script, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, DENO_NO_UPDATE_CHECK: '1' },
    timeout: 300_000,
  });
  if (r.status !== 0) throw new Error(`deno ${path.basename(script)} ${args.slice(0, 1).join('')} exited with ${r.status ?? r.signal}: ${r.error?.message ?? ''}\n${r.stderr}${r.stdout}`);
  return { stdout: r.stdout, stderr: r.stderr };
}

test('Deno: a training step on its navigator.gpu equals the cpu backend (gradients within 1e-4, weight-gradient kernels within 1e-5, Adam within 1e-6 of its spec)', () => {
  if (!existsSync(path.join(ROOT, 'dist', 'trainer', 'backend.js'))) throw new Error('dist/ is not built: npm run build (npm test does it first)');
  const { stdout } = runDeno(['--allow-read', '--allow-env'], path.join(ROOT, 'test', 'runtimes', 'deno-webgpu-step.js'), []);
  const out = JSON.parse(stdout.trim().split('\n').pop()!) as { runtime: string; adapter: { description: string }; kernels: Record<string, number>; results: StepResult[] };
  assert.match(out.runtime, /^deno /);
  assert.ok(out.adapter.description.length > 0, 'the adapter is named');
  assert.equal(out.results.map((r) => r.preset), ['centernet-tiny', 'cornernet-tiny', 'centernet-resdcn18']);
  for (const r of out.results) {
    assert.ok(r.gradients > 50, `${r.preset}: ${r.gradients} gradients`);
    assert.ok(r.lossError <= 1e-4, `${r.preset}: loss differs by ${r.lossError}`);
    assert.ok(r.worstGradient <= 1e-4, `${r.preset}: gradient of ${r.worstName} differs by ${r.worstGradient} of its scale`);
    assert.ok(r.adamError <= 1e-6, `${r.preset}: Adam update differs from its spec by ${r.adamError}`);
  }
  for (const [kernel, error] of Object.entries(out.kernels)) assert.ok(error <= 1e-5, `${kernel}: ${error}`);
  console.log(`  ${out.runtime} on ${out.adapter.description}: worst gradient ${Math.max(...out.results.map((r) => r.worstGradient)).toExponential(1)}`);
});

/** Runs the built CLI in Deno with the permissions training needs (sharp is a Node-API addon: --allow-ffi); its stderr. */
function denoCli(args: string[]): string {
  return runDeno(['--allow-read', '--allow-write', '--allow-env', '--allow-ffi'], path.join(ROOT, 'dist', 'runtime', 'cli.js'), args).stderr;
}

test('Deno: `anchorless train --backend webgpu` on its navigator.gpu; --max-steps then --resume ends with the uninterrupted run\'s weights and losses; eval scores the export', () => {
  if (!existsSync(path.join(ROOT, 'dist', 'runtime', 'cli.js'))) throw new Error('dist/ is not built: npm run build (npm test does it first)');
  const dir = mkdtempSync(path.join(tmpdir(), 'anchorless-deno-train-'));
  try {
    const node = (args: string[]) => execFileSync(process.execPath, [path.join(ROOT, 'dist', 'runtime', 'cli.js'), ...args], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    node(['synth', '--out', path.join(dir, 'syn'), '--train', '16', '--val', '8', '--size', '64']);
    const common = ['train', '--data', path.join(dir, 'syn', 'train'), '--arch', 'centernet-tiny', '--input-size', '32', '--batch', '4', '--steps', '6', '--backend', 'webgpu', '--workers', '0', '--checkpoint-every', '1'];
    const log = denoCli([...common, '--out', path.join(dir, 'a')]);
    assert.match(log, /backend: webgpu \(forced\) on .+/, 'the log line names the adapter');
    denoCli([...common, '--out', path.join(dir, 'b'), '--max-steps', '3']);
    assert.match(denoCli([...common, '--out', path.join(dir, 'b'), '--resume']), /resuming .*step 3|3 steps done/);
    const tensors = (run: string) => readModelFile(new Uint8Array(readFileSync(path.join(dir, run, 'model.safetensors')))).tensors;
    const [a, b] = [tensors('a'), tensors('b')];
    assert.ok(a.size > 50, `${a.size} tensors`);
    for (const [name, t] of a) {
      const u = b.get(name);
      assert.ok(u && u.length === t.length && t.every((v, i) => Object.is(v, u[i])), `${name} equal after resume`);
    }
    const losses = (run: string) => trainLosses(path.join(dir, run));
    assert.equal(losses('b'), losses('a'), 'the same losses, step by step');
    assert.is(losses('a').length, 6);
    const out = JSON.parse(node(['eval', '--model', path.join(dir, 'b', 'model.safetensors'), '--data', path.join(dir, 'syn', 'val'), '--json'])) as { metrics?: { AP?: number } };
    assert.ok(typeof out.metrics?.AP === 'number' && out.metrics.AP >= 0 && out.metrics.AP <= 1, `an AP in [0, 1]: ${JSON.stringify(out.metrics)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
