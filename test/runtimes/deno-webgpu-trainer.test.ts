// The trainer on Deno's own WebGPU (navigator.gpu: wgpu, not the Dawn that Node's `webgpu` package
// brings), in CI on a software adapter: test/runtimes/deno-webgpu-step.js runs the built trainer
// (dist/) in Deno and compares with the cpu backend in the same process. One training step's loss
// and gradients of centernet-tiny, cornernet-tiny and centernet-resdcn18 (1/8 width) within 1e-4
// (each gradient's error over the larger of its scale and 1e-3 of the model's largest gradient, as
// test/trainer-webgpu.test.ts); the conv and depthwise weight-gradient kernels within 1e-5 of their
// largest value; the fused Adam update within 1e-6 of its spec on the same numbers.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { devBinary, ROOT } from './install.js';

interface StepResult {
  preset: string;
  gradients: number;
  lossError: number;
  worstGradient: number;
  worstName: string;
  adamError: number;
}

test('Deno: a training step on its navigator.gpu equals the cpu backend (gradients within 1e-4, weight-gradient kernels within 1e-5, Adam within 1e-6 of its spec)', () => {
  if (!existsSync(path.join(ROOT, 'dist', 'trainer', 'backend.js'))) throw new Error('dist/ is not built: npm run build (npm test does it first)');
  let stdout: string;
  try {
    stdout = execFileSync(devBinary('deno'), ['run', '--allow-read', '--allow-env', '--no-prompt', path.join(ROOT, 'test', 'runtimes', 'deno-webgpu-step.js')], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, DENO_NO_UPDATE_CHECK: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 300_000,
    });
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; message: string };
    throw new Error(`deno failed: ${err.message}\n${err.stderr ?? ''}${err.stdout ?? ''}`);
  }
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

test.run();
