// PNG bytes -> RGB or RGBA pixels for detect(), with no native code: the one image format every
// runtime can decode here (Workers, Deno, Bun, Node without sharp), through the platform's own
// node:zlib where the runtime has it, else DecompressionStream, for the zlib data. Non-interlaced
// PNGs of any colour type and bit depth.
import type { ImageInput } from './source.js';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Samples per pixel by PNG colour type: grey, -, RGB, palette, grey + alpha, -, RGBA. */
const SAMPLES: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/** Whether `bytes` start with the PNG signature. */
export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && SIGNATURE.every((b, i) => bytes[i] === b);
}

/** Decodes a PNG file's bytes: RGB (channels 3) or, when the file has alpha, RGBA (channels 4). */
export async function decodePng(bytes: Uint8Array | ArrayBuffer): Promise<Required<ImageInput> & { data: Uint8Array }> {
  const png = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes;
  if (!(png instanceof Uint8Array)) throw new Error(`decodePng: bytes must be a Uint8Array or ArrayBuffer, got ${typeof bytes}`);
  if (!isPng(png)) throw new Error('decodePng: not a PNG file (no PNG signature)');
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let width = 0, height = 0, depth = 0, colour = -1;
  let palette: Uint8Array | undefined;
  let transparency: Uint8Array | undefined;
  const idat: Uint8Array[] = [];
  for (let at = 8; at + 8 <= png.length; ) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    if (at + 12 + length > png.length) throw new Error(`decodePng: chunk ${type} runs past the end of the file`);
    const body = png.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      width = view.getUint32(at + 8);
      height = view.getUint32(at + 12);
      depth = body[8]!;
      colour = body[9]!;
      if (body[12] !== 0) throw new Error('decodePng: interlaced PNGs are not supported (save it without interlacing)');
    } else if (type === 'PLTE') palette = body;
    else if (type === 'tRNS') transparency = body;
    else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
    at += 12 + length;
  }
  const samples = SAMPLES[colour];
  if (width === 0 || height === 0 || samples === undefined) throw new Error(`decodePng: missing or invalid IHDR (${width}x${height}, colour type ${colour})`);
  const depths = colour === 0 ? [1, 2, 4, 8, 16] : colour === 3 ? [1, 2, 4, 8] : [8, 16];
  if (!depths.includes(depth)) throw new Error(`decodePng: bit depth ${depth} is invalid for colour type ${colour}`);
  if (colour === 3 && !palette) throw new Error('decodePng: palette image without a PLTE chunk');
  // filters work on whole bytes: 1 for packed sub-byte samples
  const bpp = Math.max(1, (samples * depth) / 8);
  const stride = Math.ceil((width * samples * depth) / 8);
  const raw = await inflate(idat);
  if (raw.length < height * (stride + 1)) throw new Error(`decodePng: image data is ${raw.length} bytes, expected ${height * (stride + 1)}`);
  const pixels = unfilter(raw, height, stride, bpp);

  const alpha = colour === 4 || colour === 6 || (colour === 3 && transparency !== undefined);
  const channels = alpha ? 4 : 3;
  const out = new Uint8Array(width * height * channels);
  const step = depth / 8; // 16-bit samples: keep the high byte
  const packed = depth < 8; // 1, 2 or 4 bits: grey scaled to 0..255, palette indices as they are
  const scale = colour === 0 && packed ? 255 / ((1 << depth) - 1) : 1;
  for (let p = 0, o = 0; p < width * height; p++, o += channels) {
    const s = p * bpp;
    const x = p % width;
    const rowStart = (p - x) / width * stride;
    const sample = packed
      ? () => ((pixels[rowStart + ((x * depth) >> 3)]! >> (8 - depth - ((x * depth) & 7))) & ((1 << depth) - 1)) * scale
      : (k: number): number => pixels[s + k * step]!;
    if (colour === 3) {
      const index = sample(0);
      out[o] = palette![index * 3]!;
      out[o + 1] = palette![index * 3 + 1]!;
      out[o + 2] = palette![index * 3 + 2]!;
      if (alpha) out[o + 3] = index < transparency!.length ? transparency![index]! : 255;
    } else if (samples <= 2) {
      out[o] = out[o + 1] = out[o + 2] = sample(0);
      if (alpha) out[o + 3] = sample(1);
    } else {
      out[o] = sample(0);
      out[o + 1] = sample(1);
      out[o + 2] = sample(2);
      if (alpha) out[o + 3] = sample(3);
    }
  }
  return { data: out, width, height, channels };
}

// Not a literal, as in util/node-fs.ts: bundlers for runtimes without node:zlib leave it out.
const NODE_ZLIB = 'node:zlib';
let zlib: Promise<typeof import('node:zlib') | undefined> | undefined;

async function inflate(parts: Uint8Array[]): Promise<Uint8Array> {
  // Where node:zlib exists (Node, Deno, Bun) it inflates directly: DecompressionStream there goes
  // through web streams and fetch's Response, whose first use loads ~50 ms of Node internals.
  zlib ??= import(/* @vite-ignore */ /* webpackIgnore: true */ NODE_ZLIB).then((m) => m as typeof import('node:zlib'), () => undefined);
  const z = await zlib;
  if (z) {
    try {
      return new Uint8Array(z.inflateSync(parts.length === 1 ? parts[0] : concat(parts)));
    } catch (e) {
      throw new Error(`decodePng: the compressed image data is corrupt (${(e as Error).message})`);
    }
  }
  if (typeof DecompressionStream !== 'function') throw new Error('decodePng: this runtime has no DecompressionStream; decode the image yourself and pass its pixels');
  const stream = new Blob(parts as BlobPart[]).stream().pipeThrough(new DecompressionStream('deflate'));
  try {
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    throw new Error(`decodePng: the compressed image data is corrupt (${(e as Error).message})`);
  }
}

/** Undoes the per-row filters (None, Sub, Up, Average, Paeth) in place of a copy. */
function unfilter(raw: Uint8Array, height: number, stride: number, bpp: number): Uint8Array {
  const out = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const src = y * (stride + 1) + 1;
    const row = y * stride;
    const prev = row - stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? out[row + x - bpp]! : 0;
      const b = y > 0 ? out[prev + x]! : 0;
      const c = x >= bpp && y > 0 ? out[prev + x - bpp]! : 0;
      let predictor: number;
      if (filter === 0) predictor = 0;
      else if (filter === 1) predictor = a;
      else if (filter === 2) predictor = b;
      else if (filter === 3) predictor = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else throw new Error(`decodePng: row ${y} has an unknown filter type ${filter}`);
      out[row + x] = (raw[src + x]! + predictor) & 0xff;
    }
  }
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
