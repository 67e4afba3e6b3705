// After tsc: the package's Node, Deno and Bun entries as one esbuild bundle with shared chunks
// (dist/bundle/: index.js = 'anchorless' (runtime/entries/node.ts: the runtime and init()'s
// calibration cache), int8.js, trainer.js, cli.js = the `anchorless` command).
// Why: importing the runtime as tsc's ~95 separate modules took 77-148 ms of a cold start whose goal
// is 100 ms in all; the same code as one file loads in ~20 ms (measured, `npm run bench cold-start`).
// Why splitting: each entry bundled alone would carry its own copy of the runtime's module state
// (registries such as registerPart), so `anchorless` and `anchorless/trainer` imported together
// would not see each other's; with splitting every module lives in exactly one chunk, shared.
// import.meta.url: a module moved into a bundle or chunk would resolve its neighbours (the kernels'
// .wasm files, the default model, worker modules) against the bundle's folder. Each module's
// import.meta.url is rewritten to its own file in dist/, relative to the bundle's folder (all
// outputs are flat in dist/bundle/, so one relative path fits whichever output a module lands in).
// Worker modules: each is replaced in place by a bundle of itself (a worker is an isolate of its
// own, so it shares no state and needs no splitting), so that the code starting a worker finds it
// where it always did, and a worker-mode detector starts in ~40% less time. The browser and workerd
// conditions keep tsc's other files (their bundlers bundle anyway).
// Usage: node scripts/build-bundle.mjs   (after tsc)
import { readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** Output name (no extension) -> the tsc file under the dist folder it bundles. */
export const BUNDLE_ENTRIES = {
  index: 'runtime/entries/node.js',
  int8: 'runtime/int8.js',
  trainer: 'trainer/index.js',
  cli: 'runtime/cli.js',
};

/** Worker modules (files under dist), each replaced by a bundle of itself. */
export const WORKER_ENTRIES = ['runtime/threads/pool-helper.js', 'runtime/threads/detector-worker.js', 'trainer/parallel/gradient-worker.js', 'trainer/data/loader-worker.js'];

/**
 * The esbuild plugin that points each module's import.meta.url at its own file under `distAbs`, from
 * an output in `outAbs`; and, where `indexFirst` is given, starts each of its files with an import
 * of `indexFirst.index`.
 */
function ownUrl(distAbs, outAbs, indexFirst) {
  return {
    name: 'anchorless-own-url',
    setup(b) {
      b.onLoad({ filter: /\.js$/ }, async (args) => {
        let contents = await readFile(args.path, 'utf8');
        const original = contents;
        if (args.path.startsWith(distAbs + path.sep) && contents.includes('import.meta.url')) {
          const rel = path.relative(outAbs, args.path).split(path.sep).join('/');
          contents = contents.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`);
        }
        if (indexFirst?.files.has(args.path)) {
          // after a #! line, which must stay first
          const shebang = contents.startsWith('#!') ? contents.slice(0, contents.indexOf('\n') + 1) : '';
          contents = `${shebang}import ${JSON.stringify(indexFirst.index)};\n${contents.slice(shebang.length)}`;
        }
        return contents === original ? undefined : { contents, loader: 'js' };
      });
    },
  };
}

/**
 * The files that import the index entry first: the other entries, and the targets of dynamic
 * imports outside the index's static imports. Every module the index reaches is then reached by
 * every entry point (static or dynamic) of the split build, so esbuild, which makes a chunk per set
 * of entry points that reach a module, puts them in one chunk. Why: the index's modules, shared in
 * different ways with int8, trainer, cli and their lazily loaded parts, came in 22 files; each file
 * costs an import ~0.6 ms here (resolve, read, compile): medians of 12 fresh processes, 33 ms in
 * 22 files, 20.7 ms as one file, 18.2 ms in the 2 files this gives. A program using int8, trainer
 * or cli evaluates the index's modules anyway.
 */
async function indexFirstFiles(distAbs, outAbs, entries) {
  const index = path.join(distAbs, entries.index);
  const probe = await build({ ...COMMON, entryPoints: [index], write: false, outdir: path.join(distAbs, '.probe'), splitting: true, metafile: true, absWorkingDir: distAbs });
  // the index's static closure (metafile inputs are relative to absWorkingDir)
  const inputs = probe.metafile.inputs;
  const statics = new Set();
  const visit = (rel) => {
    if (statics.has(rel)) return;
    statics.add(rel);
    for (const i of inputs[rel]?.imports ?? []) if (i.kind === 'import-statement' && !i.external) visit(i.path);
  };
  visit(path.relative(distAbs, index).split(path.sep).join('/'));
  const staticAbs = new Set([...statics].map((rel) => path.resolve(distAbs, rel)));
  const files = new Set(Object.entries(entries).filter(([name]) => name !== 'index').map(([, file]) => path.join(distAbs, file)));
  for (const file of await jsFiles(distAbs, outAbs)) {
    const source = await readFile(file, 'utf8');
    for (const m of source.matchAll(/\bimport\((['"])(\.{1,2}\/[^'"]+)\1\)/g)) {
      const target = path.resolve(path.dirname(file), m[2]);
      if (!staticAbs.has(target)) files.add(target);
    }
  }
  return { index, files };
}

/** The .js files under dir, but not under `skip` (the bundle's own output). */
async function jsFiles(dir, skip) {
  const out = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory() && p !== skip) out.push(...(await jsFiles(p, skip)));
    else if (e.isFile() && e.name.endsWith('.js')) out.push(p);
  }
  return out;
}

// minifyWhitespace and minifySyntax: the index's chunk is 250 KB instead of 334 KB, which Node reads,
// decodes and compiles ~2 ms sooner on a cold start (median of 10 fresh processes, 13.6 against
// 15.6 ms). Identifiers are kept, so stack traces still name the functions.
const COMMON = { bundle: true, format: 'esm', platform: 'node', target: 'es2022', packages: 'external', logLevel: 'error', minifyWhitespace: true, minifySyntax: true };

/** Replaces each of `workers` (files under `dist`) by a bundle of itself (written beside it, then renamed over it). */
export async function bundleWorkers(dist, workers = WORKER_ENTRIES) {
  const distAbs = path.resolve(dist);
  for (const file of workers) {
    const target = path.join(distAbs, file);
    const temp = `${target}.bundle-${process.pid}.tmp`;
    try {
      await build({ ...COMMON, entryPoints: [target], outfile: temp, plugins: [ownUrl(distAbs, path.dirname(target))] });
      await rename(temp, target);
    } finally {
      await rm(temp, { force: true });
    }
  }
}

/** `entries` (output name -> file under `dist`): bundles into `outDir`; returns the output files. */
export async function bundleDist(dist, outDir, entries = BUNDLE_ENTRIES) {
  const distAbs = path.resolve(dist);
  const outAbs = path.resolve(outDir);
  // chunk names carry content hashes: a previous build's would stay behind
  await rm(outAbs, { recursive: true, force: true });
  const result = await build({
    // (COMMON: the peer dependencies (TensorFlow.js, sharp, webgpu) and Node's modules stay imports)
    ...COMMON,
    entryPoints: Object.fromEntries(Object.entries(entries).map(([name, file]) => [name, path.join(distAbs, file)])),
    outdir: outAbs,
    splitting: true,
    chunkNames: 'chunk-[hash]',
    plugins: [ownUrl(distAbs, outAbs, entries.index ? await indexFirstFiles(distAbs, outAbs, entries) : undefined)],
    metafile: true,
  });
  return Object.keys(result.metafile.outputs);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const outputs = await bundleDist(path.join(root, 'dist'), path.join(root, 'dist', 'bundle'));
  await bundleWorkers(path.join(root, 'dist'));
  console.log(`bundle: ${outputs.length} files in dist/bundle/ (${Object.keys(BUNDLE_ENTRIES).join(', ')} and shared chunks); ${WORKER_ENTRIES.length} worker modules bundled in place`);
}
