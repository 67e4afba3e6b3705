// The scalar-spec module (assembly/spec.ts -> test/wasm/anchorless-spec.wasm): nothing in it would
// write into the memory it imports, it holds exactly the specs, and the shipped main builds no longer
// carry them (they took ~1.4 KB of the main module's 15 KB gzipped budget).
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadKernels } from '../helpers/kernels.js';
import { SPEC_EXPORT_NAMES, SPEC_WASM, specKernels } from '../helpers/spec-kernels.js';
import { DATA_SECTION, START_SECTION, sectionIds } from '../helpers/wasm-sections.js';

test('spec module: no data or start section, imports only the memory, exports exactly the specs', () => {
  const bytes = readFileSync(SPEC_WASM);
  const ids = sectionIds(bytes);
  assert.not.ok(ids.includes(DATA_SECTION), 'data section');
  assert.not.ok(ids.includes(START_SECTION), 'start section');
  const module = new WebAssembly.Module(new Uint8Array(bytes));
  assert.equal(WebAssembly.Module.imports(module), [{ module: 'env', name: 'memory', kind: 'memory' }]);
  assert.equal(WebAssembly.Module.exports(module).map((e) => e.name).sort(), [...SPEC_EXPORT_NAMES].sort());
  console.log(`  spec module: ${bytes.length} B (${gzipSync(bytes, { level: 9 }).length} B gz)`);
});

test('the scalar specs are in the spec module, not in the shipped kernels', async () => {
  const k = await loadKernels();
  const spec = specKernels(k);
  assert.is(specKernels(k), spec, 'one instance per kernels');
  for (const name of SPEC_EXPORT_NAMES) {
    assert.type(spec[name], 'function', name);
    assert.is((k.exports as unknown as Record<string, unknown>)[name], undefined, `${name} in the main module`);
  }
  // on the kernels' own memory: a spec reads and writes the main heap's buffers
  const x = k.heap.allocF32(Float32Array.of(-2, -0.5, 0, 3));
  const out = k.heap.alloc(16);
  spec.reluF32Scalar(x, out, 4);
  assert.equal(Array.from(k.heap.f32(out, 4)), [0, 0, 0, 3]);
  k.heap.release(x);
  k.heap.release(out);
});

test.run();
