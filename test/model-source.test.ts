// Issue 10, defect 5: model URLs. A failed fetch names the URL and the cause (it was a bare
// "TypeError: fetch failed"), a Windows drive-letter path is a path (it was taken for a URL with
// scheme "c:"), and eval takes the same model sources as detect (a URL included).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ObjectDetector } from '../runtime/detector.js';
import { isUrlString, loadModelBytes } from '../runtime/model-source.js';
import { evalCommand } from '../trainer/cli/eval.js';
import { synthDataset } from '../trainer/data/synth.js';
import { loadKernels } from './helpers/kernels.js';

const MODEL = path.resolve('models/centernet-tiny-synth.safetensors');
const dir = mkdtempSync(path.join(tmpdir(), 'anchorless-source-'));
let server: Server;
let base = '';

test.before(async () => {
  const bytes = readFileSync(MODEL);
  server = createServer((req, res) => {
    if (req.url === '/m.safetensors') res.end(bytes);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

test('a refused connection names the URL and the cause', async () => {
  // a port that was just free: nothing listens there
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  const url = `http://127.0.0.1:${port}/models/m.safetensors`;
  try {
    await loadModelBytes(url);
    assert.unreachable('the fetch must fail');
  } catch (e) {
    assert.not.instance(e, TypeError);
    assert.is((e as Error).message, `model ${url}: cannot fetch it (ECONNREFUSED)`);
  }
  await loadModelBytes(`${base}/missing.safetensors`).then(
    () => assert.unreachable('a 404 must fail'),
    (e: Error) => assert.match(e.message, /missing\.safetensors: HTTP 404/),
  );
});

test('drive-letter paths are paths, not URLs; other schemes are refused by name', async () => {
  assert.not.ok(isUrlString('C:\\models\\m.safetensors'));
  assert.not.ok(isUrlString('d:/m.safetensors'));
  assert.ok(isUrlString('https://example.org/m.safetensors'));
  await loadModelBytes('C:\\models\\m.safetensors').then(
    () => assert.unreachable('no such file here'),
    (e: Error) => assert.is(e.message, 'model C:\\models\\m.safetensors: cannot read the file (no such file)'),
  );
  await loadModelBytes('ftp://example.org/m.safetensors').then(
    () => assert.unreachable('ftp is not fetched'),
    (e: Error) => assert.match(e.message, /unsupported URL scheme "ftp:"/),
  );
});

test('the same URL works for ObjectDetector.create and eval --model', async () => {
  await loadKernels();
  const det = await ObjectDetector.create({ model: `${base}/m.safetensors` });
  assert.equal(det.config.labels.length, 6);
  det.close();
  await synthDataset({ out: path.join(dir, 'synth'), train: 0, val: 2, size: 64, seed: 3 });
  const lines: string[] = [];
  const log = console.log;
  console.log = (s: string) => lines.push(s);
  try {
    await evalCommand(['--model', `${base}/m.safetensors`, '--data', path.join(dir, 'synth', 'val'), '--json']);
  } finally {
    console.log = log;
  }
  assert.is((JSON.parse(lines.join('\n')) as { images: number }).images, 2);
});

test.after(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

test.run();
