// The file system where the runtime has one (Node, Deno, Bun), undefined elsewhere (workerd,
// browsers). The specifier is not a literal on purpose: bundlers for runtimes without `node:fs`
// (wrangler, esbuild for browsers) then leave the import out of the bundle instead of failing on it.
const NODE_FS_PROMISES = 'node:fs/promises';

export async function nodeFs(): Promise<typeof import('node:fs/promises') | undefined> {
  try {
    return (await import(/* @vite-ignore */ /* webpackIgnore: true */ NODE_FS_PROMISES)) as typeof import('node:fs/promises');
  } catch {
    return undefined;
  }
}
