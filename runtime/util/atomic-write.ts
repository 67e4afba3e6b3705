// Crash-safe file writing, shared by every command that writes a file (trainer and runtime alike):
// the bytes go to a hidden temporary file in the target's folder, are fsynced, then take the
// target's name in one step, so a kill at any moment leaves the old complete file or the new
// complete file, never a torn one. Errors name the target the caller gave (never the temporary
// file), and no failure path leaves the temporary file behind.
import { link, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';

export interface AtomicWriteOptions {
  /** Replace an existing file (default false: an existing file is an Error). */
  overwrite?: boolean;
  /** How errors name the target, e.g. "eval: --results out.json" (default the file name). */
  label?: string;
  /** What to suggest when the file exists and overwrite is false (default "add --force to overwrite it"). */
  overwriteHint?: string;
}

let counter = 0;

/**
 * Checks, before any work is done, that `file` can be written: its folder exists, it is not a
 * folder, and (unless overwrite) it does not exist. Commands call this first so a bad path fails
 * at once, not after minutes of work.
 */
export async function checkWritable(file: string, options: AtomicWriteOptions = {}): Promise<void> {
  const label = options.label ?? file;
  if (typeof file !== 'string' || file === '') throw new Error(`${label}: the output file name is empty`);
  const dir = path.dirname(path.resolve(file));
  const dirInfo = await stat(dir).catch(() => undefined);
  if (!dirInfo) throw new Error(`${label}: the folder ${dir} does not exist`);
  if (!dirInfo.isDirectory()) throw new Error(`${label}: ${dir} is not a folder`);
  const info = await stat(file).catch(() => undefined);
  if (info?.isDirectory()) throw new Error(`${label}: is a folder, not a file`);
  if (info && !options.overwrite) throw new Error(`${label}: already exists (${options.overwriteHint ?? 'add --force to overwrite it'})`);
}

export async function writeFileAtomic(file: string, data: Uint8Array | string, options: AtomicWriteOptions = {}): Promise<void> {
  const overwrite = options.overwrite ?? false;
  const label = options.label ?? file;
  await checkWritable(file, options);
  const dir = path.dirname(path.resolve(file));
  // `.NAME.tmp-PID-TIME-N`: hidden, and recognisable to sweeps of interrupted writes (train --resume)
  const tmp = path.join(dir, `.${path.basename(file)}.tmp-${process.pid}-${Date.now()}-${counter++}`);
  const fail = (e: unknown): Error => {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'EEXIST' ? `already exists (${options.overwriteHint ?? 'add --force to overwrite it'})`
      : err.code === 'EISDIR' ? 'is a folder, not a file'
      : err.code === 'ENOSPC' ? 'no space left on the device'
      : err.code === 'EACCES' || err.code === 'EPERM' ? 'permission denied'
      : err.code ?? err.message;
    return new Error(`${label}: cannot write it: ${why}`);
  };
  try {
    const handle = await open(tmp, 'wx');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (overwrite) await rename(tmp, file);
    else {
      // link() fails with EEXIST if the target appeared meanwhile: never a silent replacement
      await link(tmp, file).catch(async (e: NodeJS.ErrnoException) => {
        if (e.code === 'EEXIST' || e.code === 'EISDIR' || e.code === 'ENOENT') throw e;
        // a file system without hard links: checked just before, so rename
        if (await stat(file).then(() => true, () => false)) throw Object.assign(new Error('exists'), { code: 'EEXIST' });
        await rename(tmp, file);
      });
    }
  } catch (e) {
    throw fail(e);
  } finally {
    // after a rename the temporary name is gone already; after link() or a failure it remains
    await rm(tmp, { force: true }).catch(() => undefined);
  }
  // make the new directory entry durable
  const dirHandle = await open(dir, 'r').catch(() => undefined);
  if (dirHandle) {
    await dirHandle.sync().catch(() => undefined);
    await dirHandle.close();
  }
}
