// What test/runtimes/deno-int8.test.ts and node24-int8.test.ts check alike in an engine with relaxed
// SIMD: the int8 kernel suites on its relaxed build, and the kernels an int8 model takes there
// (engine/int8-kernels.ts, reported by test/helpers/int8-kernels-probe.ts). `run` runs a TypeScript
// file of the repository in that engine and returns its output.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as assert from 'uvu/assert';
import { quantizeModel } from '../../runtime/quantize/quantize-model.js';
import { renderScene } from '../../trainer/data/synth-scene.js';
import { SHAPE_NAMES } from '../../trainer/data/synth-shapes.js';
import { loadKernels } from './kernels.js';

export type EngineRun = (args: string[], env?: NodeJS.ProcessEnv) => string;

/** The int8 conv and transposed-conv suites in full on the engine's relaxed build, every c4 check run. */
export function checkInt8SuitesOnRelaxed(run: EngineRun): void {
  for (const suite of ['test/ops/conv-int8.test.ts', 'test/ops/conv-transpose-int8.test.ts']) {
    const out = run([suite], { ANCHORLESS_WASM_VARIANT: 'relaxed' });
    const total = Number(/Total:\s+(\d+)/.exec(out)?.[1]);
    const passed = Number(/Passed:\s+(\d+)/.exec(out)?.[1]);
    assert.ok(total >= 5, `${suite}: ${out.slice(-400)}`);
    assert.is(passed, total, `${suite}: ${out.slice(-2000)}`);
    assert.not.match(out, /not checked here/, `${suite}: the c4 checks ran`);
  }
}

/**
 * Of two fresh instances, an int8 model takes the relaxed one exactly where its layout probe takes c4;
 * from init()'s calibrated kernels, relaxed ones are kept, SIMD128 ones are swapped for a relaxed
 * instance only with the probe's c4; and the detector of a quantised bundled model runs in the
 * memory of the kernels chosen. Returns the report, for the test to print.
 */
export async function checkInt8KernelsChoice(run: EngineRun): Promise<{ initVariant: string; picked: string; pickedReason: string; detector: { variant: string } }> {
  await loadKernels();
  const images = Array.from({ length: 4 }, (_, i) => {
    const s = renderScene(700 + i, { size: 128, classes: SHAPE_NAMES });
    return { data: s.data, width: s.width, height: s.height, channels: 3 as const };
  });
  const { bytes } = await quantizeModel({ images });
  const dir = mkdtempSync(path.join(tmpdir(), 'anchorless-int8-kernels-'));
  try {
    const model = path.join(dir, 'int8.safetensors');
    writeFileSync(model, bytes);
    const r = JSON.parse(run(['test/helpers/int8-kernels-probe.ts', model]).trim().split('\n').pop()!);
    assert.is(r.picked, r.layout === 'c4' ? 'relaxed' : 'simd', r.pickedReason);
    assert.is(r.calibrated, true, 'init() timed both builds');
    if (r.initVariant === 'relaxed') assert.is(r.base, 'init');
    else assert.ok(r.base === 'init' ? /would be c2/.test(r.baseReason) : r.base === 'relaxed' && /in c4/.test(r.baseReason), r.baseReason);
    assert.is(r.detector.variant, r.base === 'init' ? r.initVariant : 'relaxed');
    assert.is(r.detector.memoryBytes, r.detector.baseMemoryBytes, "the detector runs in the chosen kernels' memory");
    assert.ok(r.detector.labels.length >= 4, `detections: ${r.detector.labels}`);
    return r;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
