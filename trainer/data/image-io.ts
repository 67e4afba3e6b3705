// Image files <-> RGB pixel buffers through sharp: any format sharp reads (JPEG, PNG, WebP, ...),
// grey and 16-bit inputs converted to 8-bit sRGB, alpha dropped (not composited). EXIF orientation
// is NOT applied: COCO and VOC boxes refer to the pixels as stored, which is what pycocotools and
// the VOC devkit see too.
import sharp from 'sharp';
import { checkImageFile } from '../../runtime/cli/read-image.js';

export interface RgbImage {
  /** Row-major RGB, 3 bytes per pixel, length width * height * 3. */
  data: Uint8Array;
  width: number;
  height: number;
}

export async function readImageRGB(file: string): Promise<RgbImage> {
  await checkImageFile(file);
  try {
    const { data, info: out } = await sharp(file).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    if (out.channels !== 3 || data.length !== out.width * out.height * 3) {
      throw new Error(`decoded to ${out.channels} channels, ${data.length} bytes for ${out.width}x${out.height}`);
    }
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: out.width, height: out.height };
  } catch (e) {
    throw new Error(`image ${file}: cannot decode (${(e as Error).message})`);
  }
}

/** Width and height from the file header, without decoding the pixels. */
export async function readImageSize(file: string): Promise<{ width: number; height: number }> {
  try {
    const meta = await sharp(file).metadata();
    if (!meta.width || !meta.height) throw new Error('no width/height in header');
    return { width: meta.width, height: meta.height };
  } catch (e) {
    throw new Error(`image ${file}: cannot read size (${(e as Error).message})`);
  }
}

/** PNG bytes of an RGB buffer. Deterministic: the same pixels give the same bytes. */
export async function encodePngRGB(img: RgbImage): Promise<Uint8Array> {
  const { data, width, height } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`encodePngRGB: width and height must be positive integers, got ${width}x${height}`);
  }
  if (data.length !== width * height * 3) {
    throw new Error(`encodePngRGB: data has ${data.length} bytes, expected ${width}*${height}*3 = ${width * height * 3}`);
  }
  const png = await sharp(data, { raw: { width, height, channels: 3 } }).png({ compressionLevel: 9, adaptiveFiltering: false }).toBuffer();
  return new Uint8Array(png.buffer, png.byteOffset, png.length);
}
