// `npm run bench [filter] [-- --json FILE [--force]]`: runs every bench/*.bench.ts whose name contains
// the filter. Each suite exports `run(options): Promise<void>` and prints its own table (tinybench),
// with ratios measured in the same process so that they compare like with like. `--json FILE`:
// suites that keep results (peers) write them to FILE and a chart beside it (FILE with .svg);
// an existing file is replaced only with --force.
import { readdir } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import path from 'node:path';
import { checkWritable } from '../runtime/util/atomic-write.js';

export interface BenchOptions {
  /** Where a suite that keeps results writes them (JSON), with its chart beside it (.svg). */
  json?: string;
  force: boolean;
}

const dir = path.dirname(fileURLToPath(import.meta.url));
let args;
try {
  args = parseArgs({ args: process.argv.slice(2), allowPositionals: true, options: { json: { type: 'string' }, force: { type: 'boolean', default: false } } });
} catch (e) {
  throw new Error(`bench: ${(e as Error).message} (options: --json FILE, --force)`);
}
if (args.positionals.length > 1) throw new Error(`bench: one filter at most, got ${args.positionals.join(' ')}`);
const filter = args.positionals[0] ?? '';
const options: BenchOptions = { json: args.values.json, force: args.values.force ?? false };
if (options.json) {
  if (!options.json.endsWith('.json')) throw new Error(`bench: --json ${options.json}: the file name must end in .json (the chart goes beside it as .svg)`);
  for (const f of [options.json, options.json.replace(/\.json$/, '.svg')]) await checkWritable(f, { overwrite: options.force, label: `bench: --json ${f}` });
}
const files = (await readdir(dir)).filter((f) => f.endsWith('.bench.ts') && f.includes(filter)).sort();
if (files.length === 0) throw new Error(`bench: no bench/*.bench.ts matches "${filter}"`);
for (const file of files) {
  console.log(`\n## ${file}`);
  const suite = (await import(pathToFileURL(path.join(dir, file)).href)) as { run(options: BenchOptions): Promise<void> };
  try {
    await suite.run(options);
  } catch (e) {
    // a suite's Error says what was wrong; its stack would only bury that
    console.error((e as Error).message);
    process.exit(1);
  }
}
