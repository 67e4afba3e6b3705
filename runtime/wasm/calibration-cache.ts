// init()'s calibration answers, kept per machine on disk (Node, Deno, Bun), so that a fresh process
// need not time both kernel builds again (13-15 ms of a cold start on Node 24) and every process on
// a machine takes the same build. Each calibrating process adds its measured relaxed / SIMD128
// ratio as a file of its own (the ratio in its name); once SAMPLES of them exist, processes take
// their median and measure no more. A median of several processes, not one process's answer,
// because a single calibration can be thrown far off by the baseline compiler's code (ratios of
// 0.34-1.32 were seen on Node 24 where the two builds time alike).
//
// The folder: init({ calibrationCache: DIR }), else $ANCHORLESS_CACHE_DIR, else
// $XDG_CACHE_HOME/anchorless, else ~/.cache/anchorless (%LOCALAPPDATA%\anchorless on Windows);
// `calibrationCache: false` or an empty ANCHORLESS_CACHE_DIR turns it off. Its subfolder
// calibration/KEY/ is named by a hash of what decides the answer: both kernel binaries, the engine
// and its wasm flags, the CPU model. Files are never rewritten: each sample is written to a hidden
// temporary name and linked to its own final name, so a reader never sees half a file and a failed
// write leaves nothing behind. It is a cache: a folder that cannot be read or written is skipped
// silently. Deno's permissions are queried, never requested: without env, sys (cpus), and read and
// write of the folder already granted, Deno does not use it. Browsers and workers have no cache:
// this module is registered by the package's Node, Deno and Bun entries only
// (runtime/entries/calibration-on-disk.ts).

import { median } from '../util/median.js';

/** How many processes' measurements the answer is the median of. */
export const SAMPLES = 5;
/** Samples taken at most (a folder that concurrent first runs filled beyond SAMPLES), in the folder's order: not sorted, as the names begin with the ratio. */
const MAX_READ = 4 * SAMPLES;
/** A sample's file name carries its ratio (RATIO-TIME-PID-UNIQUE.json), so one readdir reads them all. */
const SAMPLE_NAME = /^(\d+\.\d+)-\d+-\d+-[0-9a-z]+\.json$/;

type Fs = typeof import('node:fs');
type Path = typeof import('node:path');

interface DenoLike {
  permissions: { querySync(d: { name: string; path?: string; kind?: string }): { state: string } };
}
interface ProcessLike {
  env: Record<string, string | undefined>;
  execArgv?: string[];
  versions?: Record<string, string | undefined>;
  platform?: string;
  pid?: number;
  getBuiltinModule?: (id: string) => unknown;
}

export interface CalibrationStore {
  /** The folder of this machine's and these kernels' samples. */
  readonly dir: string;
  /** The ratios measured so far (at most MAX_READ; names not of a sample skipped). */
  ratios(): number[];
  /** The median of the samples once there are SAMPLES of them, else undefined (measure, then add). */
  answer(): { ratio: number; samples: number } | undefined;
  /** Adds one measured ratio; never throws (a cache), never leaves a temporary file. True when written. */
  add(ratio: number): boolean;
}

/** The folder option: a path, or false for no cache (undefined: the default). */
export type CalibrationCacheOption = string | false | undefined;

/**
 * The store for these kernel binaries on this machine, or undefined where there is none: turned
 * off, no file system, Deno without the permissions, or kernels given as compiled modules.
 * Synchronous file calls throughout: a few small files, read in a cold start, where a trip through
 * the thread pool per call costs more than the call.
 */
export async function openCalibrationStore(option: CalibrationCacheOption, kernels: readonly (WebAssembly.Module | BufferSource)[]): Promise<CalibrationStore | undefined> {
  if (option === false) return undefined;
  const proc = (globalThis as { process?: ProcessLike }).process;
  const deno = (globalThis as { Deno?: DenoLike }).Deno;
  if (!proc?.env) return undefined;
  if (kernels.some((k) => k instanceof WebAssembly.Module)) return undefined;
  try {
    // Deno: what the cache needs must be granted already (querySync never prompts); env first, as the folder's name comes from it
    const granted = (d: { name: string; path?: string; kind?: string }) => deno!.permissions.querySync(d).state === 'granted';
    if (deno && !(granted({ name: 'env' }) && granted({ name: 'sys', kind: 'cpus' }))) return undefined;
    const root = option ?? cacheRoot(proc);
    if (root === undefined) return undefined;
    if (deno && !(granted({ name: 'read', path: root }) && granted({ name: 'write', path: root }))) return undefined;
    // process.getBuiltinModule (Node 20.16+, Bun, Deno) is synchronous and skips the ESM wrapper's cost
    const builtin = async <T>(id: string): Promise<T> => (proc.getBuiltinModule?.(id) as T | undefined) ?? ((await import(/* @vite-ignore */ /* webpackIgnore: true */ id)) as T);
    const [fs, path] = await Promise.all([builtin<Fs>('node:fs'), builtin<Path>('node:path')]);
    // /proc/cpuinfo where it may be read (Deno asks --allow-all for it: there, node:os, which loads fast)
    const cpu = proc.platform === 'linux' && !deno ? linuxCpu(fs) : (await builtin<typeof import('node:os')>('node:os')).cpus()[0]?.model;
    const key = keyOf(kernels as BufferSource[], proc, cpu ?? 'unknown');
    return folderStore(path.join(root, 'calibration', key), fs, path, proc);
  } catch {
    return undefined;
  }
}

/** The default cache root, or undefined where none can be named (no home folder; ANCHORLESS_CACHE_DIR set empty). */
function cacheRoot(proc: ProcessLike): string | undefined {
  const env = proc.env;
  const windows = proc.platform === 'win32';
  const join = (...parts: string[]) => parts.join(windows ? '\\' : '/');
  if (env.ANCHORLESS_CACHE_DIR !== undefined) return env.ANCHORLESS_CACHE_DIR === '' ? undefined : env.ANCHORLESS_CACHE_DIR;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'anchorless');
  if (windows && env.LOCALAPPDATA) return join(env.LOCALAPPDATA, 'anchorless');
  // the home folder from the environment: node:os costs ~4 ms to load in a cold Node process
  const home = windows ? env.USERPROFILE : env.HOME;
  return home ? join(home, '.cache', 'anchorless') : undefined;
}

const CPUINFO = '/proc/cpuinfo';
/** The lines of /proc/cpuinfo that name the core and its features (x64 and ARM), not the ones that change (MHz, ids). */
const CPU_FIELDS = /^(vendor_id|cpu family|model|model name|stepping|flags|CPU implementer|CPU architecture|CPU variant|CPU part|CPU revision|Features)\s*:/;

/**
 * The first core's identity from /proc/cpuinfo, read directly (node:os is slow to load): its first
 * 8 KB, which hold the first core's block, as the whole file of a many-core machine is slow to make.
 */
function linuxCpu(fs: Fs): string {
  const fd = fs.openSync(CPUINFO, 'r');
  let text: string;
  try {
    const buf = new Uint8Array(8192);
    text = new TextDecoder().decode(buf.subarray(0, fs.readSync(fd, buf, 0, buf.length, null)));
  } finally {
    fs.closeSync(fd);
  }
  return (text.split('\n\n', 1)[0] ?? '').split('\n').filter((line) => CPU_FIELDS.test(line)).join('\n');
}

/** What decides the answer, hashed: both binaries, the engine (and its wasm and tiering flags), the CPU. */
function keyOf(kernels: BufferSource[], proc: ProcessLike, cpu: string): string {
  const parts = [...kernels.map((k) => (ArrayBuffer.isView(k) ? new Uint8Array(k.buffer, k.byteOffset, k.byteLength) : new Uint8Array(k))), new TextEncoder().encode(JSON.stringify({ ...engineOf(proc), cpu }))];
  let lanes: [number, number] = [0x811c9dc5, 0x2545f491];
  for (const p of parts) lanes = hash64(p, lanes);
  return lanes.map((h) => (h >>> 0).toString(16).padStart(8, '0')).join('');
}

/** The engine, and its flags that change wasm code (tiering, compilers, features). */
function engineOf(proc: ProcessLike): Record<string, unknown> {
  return {
    ua: (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent,
    v8: proc.versions?.v8,
    node: proc.versions?.node,
    bun: proc.versions?.bun,
    flags: [...(proc.execArgv ?? []), ...(proc.env.NODE_OPTIONS ?? '').split(/\s+/)].filter((a) => /wasm|liftoff|turbo|jitless|tier/i.test(a)),
  };
}

/**
 * Two 32-bit multiplicative lanes over the bytes, length included: a cache key, not a digest (each
 * step is one-to-one in the state and in each word, so a change of one word always changes the
 * key). Written here because the platform's hashes cost more in a cold process than this does
 * (crypto.subtle's first digest ~9 ms, node:crypto's or node:zlib's load 2-3 ms, against ~0.6 ms
 * for this over both kernel builds, four words per step for the interpreter's sake).
 */
export function hash64(bytes: Uint8Array, seed: readonly [number, number]): [number, number] {
  let [a, b] = seed;
  a = Math.imul(a ^ bytes.length, 0x01000193);
  const words = bytes.length >> 2;
  const w = bytes.byteOffset % 4 === 0 ? new Int32Array(bytes.buffer, bytes.byteOffset, words) : new Int32Array(bytes.slice(0, words * 4).buffer);
  const n = words & ~3;
  for (let i = 0; i < n; i += 4) {
    a = Math.imul(a ^ w[i], 0x01000193) + w[i + 2];
    b = Math.imul(b ^ w[i + 1], 0x5bd1e995) + w[i + 3];
  }
  for (let i = n; i < words; i++) a = Math.imul(a ^ w[i], 0x01000193);
  for (let i = words * 4; i < bytes.length; i++) b = Math.imul(b ^ bytes[i], 0x5bd1e995);
  // each lane takes the other's state at the end: a change in either half moves both
  return [Math.imul(a ^ (b >>> 7), 0x27d4eb2d), Math.imul(b ^ (a >>> 11), 0x165667b1)];
}

let counter = 0;

function folderStore(dir: string, fs: Fs, path: Path, proc: ProcessLike): CalibrationStore {
  const ratios = (): number[] => {
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      return [];
    }
    const out: number[] = [];
    for (const name of names) {
      const ratio = Number(SAMPLE_NAME.exec(name)?.[1]);
      if (Number.isFinite(ratio) && ratio > 0 && out.push(ratio) >= MAX_READ) break;
    }
    return out;
  };
  return {
    dir,
    ratios,
    answer() {
      const known = ratios();
      return known.length >= SAMPLES ? { ratio: median(known), samples: known.length } : undefined;
    },
    add(ratio) {
      if (!(Number.isFinite(ratio) && ratio > 0 && ratio < 1e6)) return false;
      const unique = `${Date.now()}-${proc.pid ?? 0}-${(counter++).toString(36)}${Math.random().toString(36).slice(2, 8)}`;
      const file = path.join(dir, `${ratio.toFixed(6)}-${unique}.json`);
      const tmp = path.join(dir, `.${unique}.tmp`);
      try {
        fs.mkdirSync(dir, { recursive: true });
        // the content is for people looking into the folder; the name is what is read
        fs.writeFileSync(tmp, JSON.stringify({ ratio, measured: new Date().toISOString(), engine: engineOf(proc) }) + '\n', { flag: 'wx' });
        // link, not rename: an existing name is never replaced (the name is unique anyway); rename where the file system has no hard links
        try {
          fs.linkSync(tmp, file);
        } catch (e) {
          if ((e as { code?: string }).code === 'EEXIST') throw e;
          fs.renameSync(tmp, file);
        }
        return true;
      } catch {
        return false;
      } finally {
        try {
          fs.rmSync(tmp, { force: true });
        } catch {
          // nothing to remove, or it cannot be: a cache never fails its caller
        }
      }
    },
  };
}

