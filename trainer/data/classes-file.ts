// A class list file (`--classes FILE`, YOLO's classes.txt): one class name per line, in channel
// order. Blank lines are skipped; surrounding spaces are trimmed; a duplicate name is an Error.
import { readFile } from 'node:fs/promises';

export function parseClassNames(text: string, where: string): string[] {
  const names = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  if (names.length === 0) throw new Error(`${where}: no class names (expected one name per line)`);
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw new Error(`${where}: class "${n}" is listed twice`);
    seen.add(n);
  }
  return names;
}

export async function readClassNames(file: string, where = file): Promise<string[]> {
  const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new Error(`${where}: cannot read it (${e.code === 'ENOENT' ? 'no such file' : e.code ?? e.message})`);
  });
  return parseClassNames(text, where);
}
