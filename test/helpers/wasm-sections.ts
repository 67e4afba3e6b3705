// The section ids of a wasm binary, read from its bytes (independent of Binaryen, which the build's
// own check uses): the modules that import the main module's memory must have no data or start
// section, which would write into that memory when they are instantiated on it.
import * as assert from 'uvu/assert';

/** Ids of the sections of a wasm binary, read from the bytes (independent of Binaryen, which the build's own check uses). */
export function sectionIds(bytes: Uint8Array): number[] {
  const ids: number[] = [];
  let at = 8; // magic and version
  while (at < bytes.length) {
    const id = bytes[at++];
    let size = 0;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[at++];
      size += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) break;
    }
    ids.push(id);
    at += size;
  }
  assert.is(at, bytes.length, 'sections end at the end of the binary');
  return ids;
}

export const DATA_SECTION = 11;
export const START_SECTION = 8;
