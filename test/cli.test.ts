// The `anchorless` command as users run it (a child process per call): export, detect with
// JSON and an annotated image, and the one-line errors with exit code 1.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = mkdtempSync(path.join(tmpdir(), 'anchorless-cli-'));

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'runtime', 'cli.ts'), ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('export a random model, detect on the bundled sample with --json and --out', () => {
  const model = path.join(dir, 'tiny.safetensors');
  const exp = cli('export', '--arch', 'centernet-tiny', '--init', 'random', '--classes', '3', '--input-size', '128', '--out', model);
  assert.is(exp.code, 0, exp.stderr);
  assert.ok(existsSync(model));
  const again = cli('export', '--arch', 'centernet-tiny', '--init', 'random', '--out', model);
  assert.is(again.code, 1, 'an existing file is not overwritten without --force');
  assert.match(again.stderr, /already exists/);

  const out = path.join(dir, 'annotated.png');
  const r = cli('detect', '--model', model, '--json', '--score-threshold', '0', '--max-results', '7', '--out', out);
  assert.is(r.code, 0, r.stderr);
  const json = JSON.parse(r.stdout) as { image: string; detections: { score: number; label: string; box: object; bbox: number[] }[] }[];
  assert.is(json.length, 1);
  assert.match(json[0].image, /sample\.png$/);
  assert.is(json[0].detections.length, 7);
  assert.ok(json[0].detections.every((d) => d.bbox.length === 4 && /^class[0-2]$/.test(d.label)));
  const png = readFileSync(out);
  assert.equal([...png.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], 'a PNG file');
});

test('errors are one line naming the option or file, exit code 1', () => {
  const cases: [string[], RegExp][] = [
    [['detect', '--modle', 'x'], /unknown option --modle/],
    [['detect', '--model', path.join(dir, 'missing.safetensors')], /missing\.safetensors.*no such file/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [['train', '--data', dir], /--arch is required/],
    [['export', '--out', path.join(dir, 'x.safetensors')], /give --checkpoint DIR, or --arch NAME --init random/],
  ];
  for (const [args, pattern] of cases) {
    const r = cli(...args);
    assert.is(r.code, 1, args.join(' '));
    assert.match(r.stderr, pattern);
    assert.not.match(r.stderr, /\n\s+at /, 'no stack trace');
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
