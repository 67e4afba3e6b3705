// The execution plan's int8 layout choice (runtime/engine/int8-layout.ts): 'c2' on the SIMD128 build
// without a probe; on the relaxed build, a wrong relaxed dot product is caught. Node 20's V8 computes
// i32x4.relaxed_dot_i8x16_i7x16_add_s wrongly in its baseline compiler (Liftoff) and right once
// optimised (TurboFan): `--liftoff-only` must give 'c2' for that reason, `--no-liftoff` must pass
// the check. (Deno, whose V8 gets it right in both tiers, is test/runtimes/deno-int8.test.ts.)
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { init } from '../runtime/wasm/loader.js';
import { loadInt8Kernels } from '../runtime/wasm/int8-loader.js';
import { int8LayoutFor, type Int8LayoutChoice } from '../runtime/engine/int8-layout.js';
import { int8PlanSteps } from '../runtime/engine/int8-step.js';
import { rejects } from './helpers/rejects.js';

const probe = fileURLToPath(new URL('./helpers/int8-layout-probe.ts', import.meta.url));

function probeIn(flags: string[]): Int8LayoutChoice & { leaked: number } {
  const out = execFileSync(process.execPath, [...flags, '--import', 'tsx', probe], { encoding: 'utf8', timeout: 120_000 });
  return JSON.parse(out.trim().split('\n').pop()!);
}

test("the SIMD128 build: 'c2' without a probe (its c4 is an exact but slower emulation)", async () => {
  const k8 = await loadInt8Kernels(await init({ variant: 'simd' }));
  const before = k8.base.heap.allocatedBytes;
  const choice = int8LayoutFor(k8);
  assert.is(choice.layout, 'c2');
  assert.match(choice.reason, /SIMD128/);
  assert.is(choice.exactDot, undefined);
  assert.is(int8LayoutFor(k8), choice, 'cached per kernels');
  assert.is(k8.base.heap.allocatedBytes, before);
  const steps = await int8PlanSteps(k8.base, new Map());
  assert.is(steps.layout, 'c2');
  assert.is((await int8PlanSteps(k8.base, new Map(), { layout: 'c4' })).layout, 'c4');
  await rejects(() => int8PlanSteps(k8.base, new Map(), { layout: 'c8' as 'c4' }), /int8PlanSteps: opts\.layout must be 'auto', 'c2' or 'c4', got "c8"/);
  await rejects(() => int8PlanSteps(k8.base, new Map(), { layuot: 'c4' } as never), /int8PlanSteps: unknown opts name "layuot"/);
});

test("Node 20 with relaxed SIMD: Liftoff's wrong relaxed dot product gives 'c2'; optimised code passes the exactness check", () => {
  if (!process.versions.node.startsWith('20.')) {
    console.log(`  Node ${process.versions.node}: the Liftoff fault is Node 20's (V8 11.3); not checked here`);
    return;
  }
  const baseline = probeIn(['--experimental-wasm-relaxed-simd', '--liftoff-only']);
  assert.is(baseline.layout, 'c2');
  assert.is(baseline.exactDot, false);
  assert.match(baseline.reason, /wrongly in its first compiler tier/);
  assert.is(baseline.leaked, 0, 'the probe gives its memory back');
  const optimised = probeIn(['--experimental-wasm-relaxed-simd', '--no-liftoff']);
  assert.is(optimised.exactDot, true, optimised.reason);
  assert.ok(optimised.ratio! > 0, 'timed');
  assert.is(optimised.leaked, 0);
});

test.run();
