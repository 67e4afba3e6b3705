// A minimal zip reader for PyTorch >= 1.6 checkpoints: the central directory (zip64 included), and
// entries stored without compression, which is how torch.save writes them (data aligned by padding in
// the local header's extra field). Every offset and size is checked against the buffer; entries must
// not overlap, names must be unique, and compressed entries are refused.

export interface ZipEntry {
  name: string;
  /** The entry's bytes: a view into the zip buffer, no copy. */
  data: Uint8Array;
}

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

/** Reads the entries of a zip archive, by name in central-directory order. */
export function readZip(bytes: Uint8Array, source: string): Map<string, ZipEntry> {
  const fail = (msg: string): never => {
    throw new Error(`${source}: zip archive: ${msg}`);
  };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (at: number): number => view.getUint16(at, true);
  const u32 = (at: number): number => view.getUint32(at, true);
  const u64 = (at: number, what: string): number => {
    const hi = u32(at + 4);
    if (hi >= 2 ** 21) fail(`${what} is beyond 2^53`);
    return hi * 2 ** 32 + u32(at);
  };
  const within = (at: number, n: number, what: string): void => {
    if (at < 0 || n < 0 || at + n > bytes.length) fail(`${what} (bytes ${at}..${at + n}) lies outside the ${bytes.length}-byte file (truncated?)`);
  };

  // End of central directory: the last signature within the final 22 + 65535 bytes.
  let eocd = -1;
  for (let at = bytes.length - EOCD_SIZE; at >= 0 && at >= bytes.length - EOCD_SIZE - MAX_COMMENT; at--) {
    if (u32(at) === EOCD_SIGNATURE) {
      eocd = at;
      break;
    }
  }
  if (eocd < 0) fail('no end-of-central-directory record (truncated?)');
  let count = u16(eocd + 10);
  let cdSize = u32(eocd + 12);
  let cdOffset = u32(eocd + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const locator = eocd - 20;
    if (locator < 0 || u32(locator) !== ZIP64_LOCATOR_SIGNATURE) fail('zip64 sizes without a zip64 locator');
    const record = u64(locator + 8, 'zip64 record offset');
    within(record, 56, 'zip64 end-of-central-directory record');
    if (u32(record) !== ZIP64_EOCD_SIGNATURE) fail(`no zip64 end-of-central-directory record at byte ${record}`);
    count = u64(record + 32, 'entry count');
    cdSize = u64(record + 40, 'central directory size');
    cdOffset = u64(record + 48, 'central directory offset');
  }
  within(cdOffset, cdSize, 'central directory');

  const entries = new Map<string, ZipEntry>();
  const ranges: Array<[number, number, string]> = [];
  let at = cdOffset;
  for (let i = 0; i < count; i++) {
    within(at, 46, `central directory entry ${i}`);
    if (u32(at) !== CENTRAL_SIGNATURE) fail(`central directory entry ${i} at byte ${at} has a bad signature (bad central directory offset?)`);
    const method = u16(at + 10);
    let compressed = u32(at + 20);
    let size = u32(at + 24);
    const nameLength = u16(at + 28);
    const extraLength = u16(at + 30);
    const commentLength = u16(at + 32);
    let local = u32(at + 42);
    within(at + 46, nameLength + extraLength + commentLength, `central directory entry ${i}'s name and extra fields`);
    let name: string;
    try {
      name = UTF8.decode(bytes.subarray(at + 46, at + 46 + nameLength));
    } catch {
      return fail(`entry ${i}'s name is not valid UTF-8`);
    }
    // The zip64 extended information extra field holds, in order, whichever of size, compressed
    // size and local offset are 0xffffffff in the fixed fields.
    for (let x = at + 46 + nameLength; x + 4 <= at + 46 + nameLength + extraLength; ) {
      const id = u16(x);
      const length = u16(x + 2);
      if (x + 4 + length > at + 46 + nameLength + extraLength) fail(`entry "${name}" has a malformed extra field`);
      if (id === 0x0001) {
        let y = x + 4;
        const next = (what: string): number => {
          if (y + 8 > x + 4 + length) fail(`entry "${name}" has a short zip64 extra field`);
          const v = u64(y, what);
          y += 8;
          return v;
        };
        if (size === 0xffffffff) size = next('entry size');
        if (compressed === 0xffffffff) compressed = next('compressed size');
        if (local === 0xffffffff) local = next('local header offset');
      }
      x += 4 + length;
    }
    if (method !== 0) fail(`entry "${name}" is compressed (method ${method}); PyTorch checkpoints store entries uncompressed`);
    if (compressed !== size) fail(`entry "${name}" is stored but its sizes differ (${compressed} vs ${size})`);
    if (entries.has(name)) fail(`entry "${name}" appears twice`);

    within(local, 30, `entry "${name}"'s local header`);
    if (u32(local) !== LOCAL_SIGNATURE) fail(`entry "${name}": no local header at byte ${local} (bad offset?)`);
    const dataStart = local + 30 + u16(local + 26) + u16(local + 28);
    within(dataStart, size, `entry "${name}"'s data`);
    ranges.push([local, dataStart + size, name]);
    entries.set(name, { name, data: bytes.subarray(dataStart, dataStart + size) });
    at += 46 + nameLength + extraLength + commentLength;
  }
  ranges.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < ranges.length; i++) {
    if (ranges[i][0] < ranges[i - 1][1]) fail(`entries "${ranges[i - 1][2]}" and "${ranges[i][2]}" overlap`);
  }
  return entries;
}
