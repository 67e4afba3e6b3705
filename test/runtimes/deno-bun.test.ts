// Deno (the `deno` npm package) and Bun (the `bun` npm package) running the examples against the
// inference install: Deno's HTTP server importing `npm:anchorless`, a Deno script importing the
// package by path, and the Bun script; each returns the repository's detections on the sample.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertSameDetections, copyExample, devBinary, installPackage, referenceDetections, runJson } from './install.js';

test('Deno: the HTTP server example (npm:anchorless) answers a POSTed PNG with the same detections', async () => {
  const install = installPackage();
  const server = copyExample(install, 'deno/server.ts');
  const deno = devBinary('deno');
  const child = spawn(deno, ['run', '--allow-net', '--allow-read', '--no-prompt', server, '0'], { cwd: install.dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DENO_NO_UPDATE_CHECK: '1' } });
  try {
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`deno server did not start in 60 s:\n${stderr}`)), 60_000);
      child.stdout.on('data', (chunk: Buffer) => {
        const match = /listening on (\d+)/.exec(chunk.toString());
        if (match) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      });
      child.on('exit', (code) => reject(new Error(`deno exited with ${code}:\n${stderr}`)));
    });
    const response = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: readFileSync(path.join(install.dir, 'sample.png')) });
    const result = await response.json();
    assert.is(response.status, 200, JSON.stringify(result));
    assertSameDetections(result.detections, await referenceDetections(), `${result.runtime} (${result.kernels})`);
  } finally {
    child.kill();
  }
});

test('Deno: importing the installed package by path, the same detections', async () => {
  const install = installPackage();
  const script = path.join(install.dir, 'by-path.ts');
  writeFileSync(
    script,
    `import { decodePng, init, ObjectDetector } from './node_modules/anchorless/dist/runtime/index.js';\n` +
      `const kernels = await init();\nconst detector = await ObjectDetector.create();\n` +
      `const detections = await detector.detect(await decodePng(await Deno.readFile('sample.png')));\n` +
      `console.log(JSON.stringify({ runtime: 'deno by path', kernels: kernels.variant, detections }));\n`,
  );
  const result = runJson(devBinary('deno'), ['run', '--allow-read', '--no-prompt', script], install.dir, { DENO_NO_UPDATE_CHECK: '1' });
  assertSameDetections(result.detections, await referenceDetections(), `${result.runtime} (${result.kernels})`);
});

test('Bun: the example script, the same detections', async () => {
  const install = installPackage();
  const script = copyExample(install, 'bun/detect.ts');
  const result = runJson(devBinary('bun'), [script, 'sample.png'], install.dir);
  assertSameDetections(result.detections, await referenceDetections(), `${result.runtime} (${result.kernels})`);
});

test.run();
