// Writes an RGB buffer as PNG, JPEG or WebP (by the file's extension) through sharp.
import path from 'node:path';
import sharp from 'sharp';
import type { RgbPixels } from './annotate.js';

export async function writeImageRGB(img: RgbPixels, file: string): Promise<void> {
  const ext = path.extname(file).toLowerCase();
  const raw = sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } });
  const encoded = ext === '.png' ? raw.png() : ext === '.jpg' || ext === '.jpeg' ? raw.jpeg({ quality: 90 }) : ext === '.webp' ? raw.webp() : undefined;
  if (!encoded) throw new Error(`detect: --out ${file}: unsupported extension "${ext}" (use .png, .jpg or .webp)`);
  try {
    await encoded.toFile(file);
  } catch (e) {
    throw new Error(`detect: cannot write ${file}: ${(e as Error).message}`);
  }
}
