// The packed package installed for inference in an empty folder: what it brings (<= 5 MB, no
// install scripts, no native code, no TensorFlow.js or sharp), and the Node example detecting from
// it with relaxed SIMD off (Node 20's default) and on, equal to the repository's detections; its
// bundled entries sharing one runtime, its bundled workers, and the `anchorless` command without sharp.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertSameDetections, copyExample, folderBytes, installPackage, referenceDetections, runJson } from './install.js';

/** Node flags for the SIMD128 build: relaxed SIMD is off by default in Node 20, on in later versions. */
const SIMD128_FLAGS = process.versions.node.startsWith('20.') ? [] : ['--no-experimental-wasm-relaxed-simd'];

test('inference install: at most 5 MB of node_modules, one package, no install scripts, no native code', () => {
  const { dir } = installPackage();
  const modules = path.join(dir, 'node_modules');
  const packages = readdirSync(modules).filter((name) => !name.startsWith('.'));
  assert.equal(packages, ['anchorless'], 'only the package itself is installed');
  const bytes = folderBytes(modules);
  console.log(`  inference install: node_modules ${(bytes / 1e6).toFixed(2)} MB`);
  assert.ok(bytes <= 5e6, `node_modules is ${bytes} bytes`);
  const manifest = JSON.parse(readFileSync(path.join(modules, 'anchorless', 'package.json'), 'utf8'));
  for (const hook of ['preinstall', 'install', 'postinstall']) assert.not.ok(manifest.scripts?.[hook], `install script ${hook}`);
  assert.equal(manifest.dependencies ?? {}, {}, 'no dependencies');
  const walk = (d: string): string[] => readdirSync(d).flatMap((n) => (statSync(path.join(d, n)).isDirectory() ? walk(path.join(d, n)) : [n]));
  const files = walk(modules);
  assert.equal(files.filter((f) => f.endsWith('.node') || f.endsWith('.so') || f.endsWith('.dylib') || f.endsWith('.dll')), [], 'native code');
  assert.equal(files.filter((f) => f === 'embedded.js'), [], 'no base64 copy of the kernels');
});

test('Node (relaxed SIMD off): the example detects the same as the repository', async () => {
  const install = installPackage();
  const script = copyExample(install, 'node/detect.mjs');
  const result = runJson(process.execPath, [...SIMD128_FLAGS, script, 'sample.png'], install.dir);
  assert.is(result.kernels, 'simd');
  assertSameDetections(result.detections, await referenceDetections(), result.runtime);
});

test('Node (relaxed SIMD on): the relaxed build, the same detections', async () => {
  const install = installPackage();
  const script = copyExample(install, 'node/detect.mjs');
  const flags = process.versions.node.startsWith('20.') ? ['--experimental-wasm-relaxed-simd'] : [];
  const result = runJson(process.execPath, [...flags, script, 'sample.png'], install.dir);
  // init() keeps the relaxed build only where a calibration finds it faster (runtime/wasm/calibrate.ts)
  assert.ok(result.kernels === 'relaxed' || result.kernels === 'simd', `kernels: ${String(result.kernels)}`);
  assertSameDetections(result.detections, await referenceDetections(), `${result.runtime} ${String(result.kernels)}`);
});

test('the bundled entries share one runtime: anchorless/int8 takes the kernels of anchorless\'s init()', () => {
  // Separately bundled entries would each carry their own WasmHeap class, and loadInt8Kernels would
  // reject the kernels of the other copy's init() (scripts/build-bundle.mjs bundles with splitting).
  const install = installPackage();
  const script = path.join(install.dir, 'shared-state.mjs');
  writeFileSync(
    script,
    `import { init } from 'anchorless';\nimport { loadInt8Kernels } from 'anchorless/int8';\n` +
      `const url = import.meta.resolve('anchorless');\nconst k = await init({ variant: 'simd' });\nconst int8 = await loadInt8Kernels(k);\n` +
      `console.log(JSON.stringify({ url, int8: int8.variant }));\n`,
  );
  const result = runJson(process.execPath, [script], install.dir) as unknown as { url: string; int8: string };
  assert.ok(String(result.url).endsWith('/dist/bundle/index.js'), `anchorless resolves to the bundle: ${String(result.url)}`);
  assert.is(result.int8, 'simd');
});

test('worker mode and 2 threads from the installed package (its bundled worker modules): the same detections', async () => {
  const install = installPackage();
  const script = path.join(install.dir, 'workers.mjs');
  writeFileSync(
    script,
    `import { readFile } from 'node:fs/promises';\nimport { decodePng, init, ObjectDetector } from 'anchorless';\n` +
      `await init({ variant: 'simd' });\nconst image = await decodePng(await readFile('sample.png'));\nconst out = {};\n` +
      `for (const [name, opts] of [['worker', { worker: true }], ['threads', { threads: 2 }]]) {\n` +
      `  const detector = await ObjectDetector.create(opts);\n  out[name] = await detector.detect(image);\n  detector.close();\n}\n` +
      `console.log(JSON.stringify(out));\n`,
  );
  const result = runJson(process.execPath, [script], install.dir) as unknown as Record<'worker' | 'threads', Parameters<typeof assertSameDetections>[0]>;
  const reference = await referenceDetections();
  assertSameDetections(result.worker, reference, 'worker: true');
  assertSameDetections(result.threads, reference, 'threads: 2');
});

test('the anchorless command without sharp (the inference install): detect reads PNG, and says what JPEG and --out need', async () => {
  const install = installPackage();
  const bin = path.join(install.dir, 'node_modules', '.bin', 'anchorless');
  const run = (...args: string[]) => spawnSync(process.execPath, [...SIMD128_FLAGS, bin, ...args], { cwd: install.dir, encoding: 'utf8', timeout: 120_000 });
  const ok = run('detect', 'sample.png', '--json');
  assert.is(ok.status, 0, ok.stderr);
  const [result] = JSON.parse(ok.stdout) as { image: string; detections: Parameters<typeof assertSameDetections>[0] }[];
  assert.is(result.image, 'sample.png');
  // --json rounds to 4 decimals, within the comparison's tolerance
  assertSameDetections(result.detections, await referenceDetections(), 'anchorless detect (no sharp)');
  writeFileSync(path.join(install.dir, 'photo.jpg'), new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46]));
  const jpeg = run('detect', 'photo.jpg');
  assert.is(jpeg.status, 1);
  assert.match(jpeg.stderr, /photo\.jpg: not a PNG; without sharp the CLI reads PNG only \(npm install sharp/);
  const annotated = run('detect', 'sample.png', '--out', 'annotated.png');
  assert.is(annotated.status, 1);
  assert.match(annotated.stderr, /--out annotated\.png: writing the annotated image needs sharp, which is not installed/);
  assert.not.ok(existsSync(path.join(install.dir, 'annotated.png')));
});

test.run();
