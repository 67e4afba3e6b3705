// Crash-safe file replacement: write to a temporary file in the same folder, fsync it, then
// rename over the target (atomic on POSIX file systems), so a kill at any moment leaves either
// the old complete file or the new complete file, never a torn one.
import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';

export async function writeFileAtomic(file: string, data: Uint8Array | string): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}-${Date.now()}`);
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (e) {
    await handle.close();
    await rm(tmp, { force: true });
    throw new Error(`writing ${file} failed: ${(e as Error).message}`);
  }
  await handle.close();
  await rename(tmp, file);
  // make the rename itself durable
  const dir = await open(path.dirname(file), 'r').catch(() => undefined);
  if (dir) {
    await dir.sync().catch(() => undefined);
    await dir.close();
  }
}
