// Writes an RGB buffer as PNG, JPEG or WebP (by the file's extension): sharp encodes it in memory,
// the shared atomic writer puts it in place (never over an existing file unless overwrite).
import path from 'node:path';
import sharp from 'sharp';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { RgbPixels } from './annotate.js';

const ENCODERS: Record<string, (s: ReturnType<typeof sharp>) => ReturnType<typeof sharp>> = {
  '.png': (s) => s.png(),
  '.jpg': (s) => s.jpeg({ quality: 90 }),
  '.jpeg': (s) => s.jpeg({ quality: 90 }),
  '.webp': (s) => s.webp(),
};

/** An Error for a file name whose extension names no format we write (checked before any work). */
export function checkImageExtension(file: string, label: string): void {
  const ext = path.extname(file).toLowerCase();
  if (!Object.hasOwn(ENCODERS, ext)) throw new Error(`${label}: unsupported extension "${ext}" (use .png, .jpg or .webp)`);
}

export async function writeImageRGB(img: RgbPixels, file: string, options: { overwrite?: boolean; label?: string } = {}): Promise<void> {
  const label = options.label ?? file;
  checkImageExtension(file, label);
  let encoded: Buffer;
  try {
    encoded = await ENCODERS[path.extname(file).toLowerCase()](sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })).toBuffer();
  } catch (e) {
    throw new Error(`${label}: cannot encode the image (${(e as Error).message.split('\n')[0]})`);
  }
  await writeFileAtomic(file, new Uint8Array(encoded.buffer, encoded.byteOffset, encoded.length), { overwrite: options.overwrite, label });
}
