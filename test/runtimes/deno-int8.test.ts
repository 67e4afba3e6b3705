// Deno 2.9 (V8 15, relaxed SIMD on by default, the relaxed dot product right in every compiler tier):
// the int8 kernels' suites on the relaxed build, bit for bit against their specs, c4 layout
// included; the plan's int8 layout choice (engine/int8-layout.ts) passing its exactness check; and
// every int8 layer of the quantised bundled model, in the layout chosen and in 'c4', against the
// quantised arithmetic (test/helpers/int8-layers.ts). On an x64 with AVX-VNNI (this machine) the
// choice is 'c4', on others it may be 'c2': both are checked, the choice is printed. And the kernels
// an int8 model takes (engine/int8-kernels.ts; test/helpers/relaxed-int8-engine.ts).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { quantizeModel } from '../../runtime/quantize/quantize-model.js';
import { renderScene } from '../../trainer/data/synth-scene.js';
import { SHAPE_NAMES } from '../../trainer/data/synth-shapes.js';
import { loadKernels } from '../helpers/kernels.js';
import { devBinary } from './install.js';
import { checkInt8KernelsChoice, checkInt8SuitesOnRelaxed } from '../helpers/relaxed-int8-engine.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function deno(args: string[], env: NodeJS.ProcessEnv = {}): string {
  try {
    return execFileSync(devBinary('deno'), ['run', '-A', '--unstable-sloppy-imports', ...args], {
      cwd: ROOT, encoding: 'utf8', timeout: 300_000, env: { ...process.env, DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1', ...env },
    });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`deno ${args.join(' ')} failed: ${err.message}\n${err.stderr ?? ''}${err.stdout ?? ''}`);
  }
}

test('Deno, relaxed build: the int8 conv and transposed-conv suites pass in full (c4 on the real relaxed dot product)', () => {
  checkInt8SuitesOnRelaxed(deno);
});

test("Deno: the plan's int8 layout passes its exactness check, and the bundled int8 model's layers are exact in it and in 'c4'", async () => {
  await loadKernels();
  const images = Array.from({ length: 6 }, (_, i) => {
    const s = renderScene(500 + i, { size: 128, classes: SHAPE_NAMES });
    return { data: s.data, width: s.width, height: s.height, channels: 3 as const };
  });
  const { bytes, int8Layers } = await quantizeModel({ images });
  const dir = mkdtempSync(path.join(tmpdir(), 'anchorless-deno-int8-'));
  try {
    const model = path.join(dir, 'int8.safetensors');
    writeFileSync(model, bytes);
    const out = deno(['test/helpers/int8-layout-probe.ts', model]);
    const r = JSON.parse(out.trim().split('\n').pop()!);
    console.log(`  Deno int8 layout: ${r.layout} (${r.reason})`);
    assert.is(r.exactDot, true, r.reason);
    assert.ok(r.layout === 'c4' || r.layout === 'c2');
    assert.is(r.leaked, 0);
    assert.equal(r.checked, { auto: int8Layers, c4: int8Layers });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Deno: an int8 model takes the relaxed build where its layout probe takes c4 (engine/int8-kernels.ts), and the detector runs on the kernels chosen', async () => {
  const r = await checkInt8KernelsChoice(deno);
  console.log(`  Deno: init() ${r.initVariant}; of SIMD128 and relaxed, an int8 model takes ${r.picked} (${r.pickedReason}); the detector: ${r.detector.variant}`);
});

test.run();
