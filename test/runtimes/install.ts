// The package as a user gets it: `npm pack`, then `npm install <tarball>` into an empty folder,
// offline (an inference install needs nothing but the package). Shared by the runtime suites in
// one process; the reference detections are Node's, computed here from the repository's runtime.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, readdirSync, statSync, cpSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as assert from 'uvu/assert';
import { decodePng } from '../../runtime/image/png.js';
import { init } from '../../runtime/wasm/loader.js';
import { ObjectDetector, type DetectedObject } from '../../runtime/detector.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SAMPLE_PNG = path.join(ROOT, 'models', 'sample.png');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

export interface Install {
  /** The folder holding node_modules/anchorless (and a package.json of type module). */
  dir: string;
  tarball: string;
}

let installing: Install | undefined;

/** Packs the built package (dist/ must be current: `npm run build`) and installs it once per process. */
export function installPackage(): Install {
  if (installing) return installing;
  const work = mkdtempSync(path.join(tmpdir(), 'anchorless-install-'));
  // The install is shared by every suite of the process, so it goes when the process does.
  process.on('exit', () => rmSync(work, { recursive: true, force: true }));
  const out = execFileSync(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const tarball = path.join(work, JSON.parse(out)[0].filename as string);
  const dir = path.join(work, 'app');
  cpSync(path.join(ROOT, 'models', 'sample.png'), path.join(dir, 'sample.png'));
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  execFileSync(npm, ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error', tarball], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  installing = { dir, tarball };
  return installing;
}

/** Copies an example file into the install (where `anchorless` resolves from node_modules). */
export function copyExample(install: Install, example: string): string {
  const target = path.join(install.dir, path.basename(example));
  cpSync(path.join(ROOT, 'examples', example), target);
  return target;
}

/** Bytes of every file under a folder. */
export function folderBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    total += entry.isDirectory() ? folderBytes(full) : statSync(full).size;
  }
  return total;
}

let reference: Promise<DetectedObject[]> | undefined;

/** Node's detections on the sample with the default model, SIMD128 build, from the repository's source. */
export function referenceDetections(): Promise<DetectedObject[]> {
  reference ??= (async () => {
    await init({ variant: 'simd' });
    const detector = await ObjectDetector.create();
    const detections = await detector.detect(await decodePng(readFileSync(SAMPLE_PNG)));
    detector.close();
    return detections;
  })();
  return reference;
}

/**
 * The same detections: same count, classes and labels in the same order, boxes and scores equal up
 * to float rounding (the relaxed-SIMD build fuses multiply-adds, so it may differ in the last bits).
 */
export function assertSameDetections(actual: DetectedObject[], expected: DetectedObject[], where: string): void {
  assert.ok(expected.length > 0, 'the reference found nothing: the comparison would prove nothing');
  assert.equal(actual.map((d) => `${d.classId}:${d.label}`), expected.map((d) => `${d.classId}:${d.label}`), `${where}: classes`);
  actual.forEach((d, i) => {
    const e = expected[i]!;
    assert.ok(Math.abs(d.score - e.score) < 1e-4, `${where}: detection ${i} score ${d.score} vs ${e.score}`);
    for (const k of ['xmin', 'ymin', 'xmax', 'ymax'] as const) {
      assert.ok(Math.abs(d.box[k] - e.box[k]) < 1e-2, `${where}: detection ${i} ${k} ${d.box[k]} vs ${e.box[k]}`);
    }
  });
}

/** Runs a command and parses the last line of its stdout as JSON; a failure shows its stderr. */
export function runJson(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): { runtime: string; kernels: string; detections: DetectedObject[] } {
  let stdout: string;
  try {
    stdout = execFileSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${command} ${args.join(' ')} failed: ${err.message}\n${err.stderr ?? ''}${err.stdout ?? ''}`);
  }
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!);
}

/** A binary from this repository's devDependencies (node_modules/.bin); missing is a failure, not a skip. */
export function devBinary(name: string): string {
  const file = path.join(ROOT, 'node_modules', '.bin', name);
  try {
    statSync(file);
  } catch {
    throw new Error(`${name} is not installed (node_modules/.bin/${name}); it is a devDependency: run npm ci`);
  }
  return file;
}
