// `npm run bench [filter]`: runs every bench/*.bench.ts whose name contains the filter. Each suite
// exports `run(): Promise<void>` and prints its own table (tinybench), with ratios measured in the
// same process so that they compare like with like.
import { readdir } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

const dir = path.dirname(fileURLToPath(import.meta.url));
const filter = process.argv[2] ?? '';
const files = (await readdir(dir)).filter((f) => f.endsWith('.bench.ts') && f.includes(filter)).sort();
if (files.length === 0) throw new Error(`bench: no bench/*.bench.ts matches "${filter}"`);
for (const file of files) {
  console.log(`\n## ${file}`);
  const suite = (await import(pathToFileURL(path.join(dir, file)).href)) as { run(): Promise<void> };
  await suite.run();
}
