// The image reader of the CLI's detect: sharp (JPEG, PNG, WebP, ...) where it is installed; without
// it, as in an inference-only install (`npm install anchorless`, no optional peers), PNG through the
// runtime's own decoder, so that `anchorless detect photo.png` works there too. Other formats then
// get an Error that says to install sharp.
import { readFile, stat } from 'node:fs/promises';
import { decodePng, isPng } from '../image/png.js';
import type { RgbPixels } from './annotate.js';

export type ImageReader = (file: string) => Promise<RgbPixels>;

/** sharp's reader when sharp loads, else the PNG-only one. */
export async function imageReader(): Promise<ImageReader> {
  try {
    return (await import('../../trainer/data/image-io.js')).readImageRGB;
  } catch (e) {
    if (!isSharpMissing(e)) throw e;
    return readPngRGB;
  }
}

/** Whether `e` is the failure to import sharp (an optional peer dependency). */
export function isSharpMissing(e: unknown): boolean {
  const err = e as { code?: string; message?: string } | undefined;
  return (err?.code === 'ERR_MODULE_NOT_FOUND' || err?.code === 'MODULE_NOT_FOUND') && /['"]sharp['"]/.test(err?.message ?? '');
}

/** Throws unless `file` is an existing regular file (the readers' first check, sharp's and ours). */
export async function checkImageFile(file: string): Promise<void> {
  const info = await stat(file).catch(() => undefined);
  if (!info) throw new Error(`image ${file}: file not found`);
  if (!info.isFile()) throw new Error(`image ${file}: not a regular file`);
}

/** A PNG file as RGB (alpha dropped), without sharp. */
export async function readPngRGB(file: string): Promise<RgbPixels> {
  await checkImageFile(file);
  const bytes = new Uint8Array(await readFile(file));
  if (!isPng(bytes)) {
    throw new Error(`image ${file}: not a PNG; without sharp the CLI reads PNG only (npm install sharp for JPEG, WebP and the rest)`);
  }
  let png: Awaited<ReturnType<typeof decodePng>>;
  try {
    png = await decodePng(bytes);
  } catch (e) {
    throw new Error(`image ${file}: cannot decode (${(e as Error).message})`);
  }
  if (png.channels === 3) return { data: png.data, width: png.width, height: png.height };
  const rgb = new Uint8Array(png.width * png.height * 3);
  for (let i = 0, j = 0; j < rgb.length; i += 4, j += 3) {
    rgb[j] = png.data[i];
    rgb[j + 1] = png.data[i + 1];
    rgb[j + 2] = png.data[i + 2];
  }
  return { data: rgb, width: png.width, height: png.height };
}
