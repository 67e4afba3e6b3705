// Cloudflare's workerd through Miniflare, offline: the Worker example bundled as wrangler bundles it
// (esbuild with the conditions workerd, worker, browser; `.wasm` imports as compiled modules and
// `.bin` as data modules, wrangler's default rules), receiving the sample PNG in a POST and
// returning the repository's detections. Also: the errors a Worker gets when it breaks the rules.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { Miniflare } from 'miniflare';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertSameDetections, copyExample, installPackage, referenceDetections, type Install } from './install.js';

/** wrangler's module rules: `.wasm` and `.bin` imports stay separate modules, copied beside the bundle. */
const moduleRules: esbuild.Plugin = {
  name: 'wrangler-module-rules',
  setup(build) {
    build.onResolve({ filter: /\.(wasm|bin)$/ }, (args) => {
      const file = path.resolve(args.resolveDir, args.path);
      const outdir = build.initialOptions.outdir!;
      mkdirSync(outdir, { recursive: true });
      copyFileSync(file, path.join(outdir, path.basename(file)));
      return { path: `./${path.basename(file)}`, external: true };
    });
  },
};

async function bundleWorker(install: Install, entry: string, name: string): Promise<{ outdir: string; files: string[] }> {
  const outdir = path.join(install.dir, `worker-${name}`);
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['browser', 'module', 'main'],
    outfile: path.join(outdir, 'worker.js'),
    outdir: undefined,
    plugins: [{ ...moduleRules, setup: (b) => moduleRules.setup({ ...b, initialOptions: { ...b.initialOptions, outdir } } as esbuild.PluginBuild) }],
    logLevel: 'silent',
    metafile: true,
  });
  const files = Object.keys(result.metafile.outputs).map((f) => path.resolve(f));
  return { outdir, files };
}

/** The Worker as wrangler uploads it: the bundle plus its wasm and data modules, listed. */
function worker(outdir: string): Miniflare {
  const modules = readdirSync(outdir).map((name) => {
    const type = name.endsWith('.wasm') ? 'CompiledWasm' : name.endsWith('.bin') ? 'Data' : 'ESModule';
    return { type, path: path.join(outdir, name), contents: readFileSync(path.join(outdir, name)) } as const;
  });
  modules.sort((a, b) => (a.path.endsWith('worker.js') ? -1 : b.path.endsWith('worker.js') ? 1 : 0)); // the main module first
  return new Miniflare({ modules: modules as never, modulesRoot: outdir, compatibilityDate: '2025-01-01' });
}

test('workerd: the Worker example returns the same detections for a POSTed PNG; bundle <= 2.5 MB gzipped', async () => {
  const install = installPackage();
  const entry = copyExample(install, 'worker/worker.js');
  const { outdir } = await bundleWorker(install, entry, 'example');
  const js = readFileSync(path.join(outdir, 'worker.js'));
  assert.not.ok(js.includes('AGFzbQ'), 'the bundle carries no base64 copy of a wasm binary');
  const parts = ['worker.js', 'anchorless-simd.wasm', 'anchorless-relaxed.wasm', 'default.bin'];
  const gzipped = parts.map((f) => gzipSync(readFileSync(path.join(outdir, f)), { level: 9 }).length);
  const total = gzipped.reduce((a, b) => a + b, 0);
  console.log(`  worker bundle: ${parts.map((f, i) => `${f} ${(statSync(path.join(outdir, f)).size / 1024).toFixed(0)} KB (${(gzipped[i]! / 1024).toFixed(0)} KB gz)`).join(', ')}; total ${(total / 1e6).toFixed(2)} MB gzipped`);
  assert.ok(total <= 2.5e6, `worker upload is ${total} bytes gzipped`);

  const mf = worker(outdir);
  try {
    const body = readFileSync(path.join(install.dir, 'sample.png'));
    await mf.ready; // workerd started: time the request, not the process
    const start = performance.now();
    const response = await mf.dispatchFetch('http://localhost/', { method: 'POST', body });
    const result = (await response.json()) as { error?: string; kernels: string; detections: never[] };
    const first = performance.now() - start;
    assert.is(response.status, 200, result.error);
    const again = performance.now();
    await (await mf.dispatchFetch('http://localhost/', { method: 'POST', body })).json();
    console.log(`  worker: first request ${first.toFixed(0)} ms (kernels, model and detect), next ${(performance.now() - again).toFixed(0)} ms; kernels ${result.kernels}`);
    assertSameDetections(result.detections, await referenceDetections(), `workerd (${result.kernels})`);
  } finally {
    await mf.dispose();
  }
});

test('workerd: create() without a model and init() with bytes fail with Errors that say what to do', async () => {
  const install = installPackage();
  const entry = path.join(install.dir, 'rules-worker.js');
  writeFileSync(
    entry,
    `import { init, ObjectDetector } from 'anchorless';\n` +
      `const message = async (fn) => { try { await fn(); return 'no error'; } catch (e) { return \`\${e.constructor.name}: \${e.message}\`; } };\n` +
      `export default { async fetch() {\n` +
      `  const bytes = await message(() => init({ wasm: new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]) }));\n` +
      `  await init();\n` +
      `  const noModel = await message(() => ObjectDetector.create());\n` +
      `  return Response.json({ bytes, noModel });\n} };\n`,
  );
  const { outdir } = await bundleWorker(install, entry, 'rules');
  const mf = worker(outdir);
  try {
    const result = (await (await mf.dispatchFetch('http://localhost/')).json()) as { bytes: string; noModel: string };
    assert.match(result.bytes, /^Error: init: this runtime forbids compiling WebAssembly from bytes/);
    assert.match(result.bytes, /anchorless\/wasm\/simd/);
    assert.match(result.noModel, /^Error: ObjectDetector\.create: .*import model from 'anchorless\/models\/default'/);
  } finally {
    await mf.dispose();
  }
});

test.run();
