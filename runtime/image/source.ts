// The images the runtime accepts: { data, width, height, channels? } with interleaved RGB or RGBA
// pixels in 0..255 (Uint8Array, Uint8ClampedArray such as ImageData's, or Float32Array), rows top
// to bottom. Alpha is ignored. Without `channels`, it is read from data.length (4 first, as ImageData).
// Float32 pixels are checked, because a wrong range gives wrong boxes, not an error: NaN or
// infinite values, values outside 0..255 (1 of slack for resampling overshoot), and an image
// whose values all lie in 0..1 (the common mistake: normalised pixels; multiply by 255) are refused.
import { describe } from '../ops/tensor.js';

export interface ImageInput {
  data: Uint8Array | Uint8ClampedArray | Float32Array;
  width: number;
  height: number;
  channels?: 3 | 4;
}

/** A checked image: channels is known and data.length === width * height * channels. */
export interface ImageSource {
  data: Uint8Array | Uint8ClampedArray | Float32Array;
  width: number;
  height: number;
  channels: 3 | 4;
}

export function checkImage(fn: string, image: unknown): ImageSource {
  if (typeof image !== 'object' || image === null) throw new Error(`${fn}: image must be { data, width, height, channels? } or an ImageData, got ${describe(image)}`);
  const { data, width, height, channels } = image as Partial<ImageInput>;
  if (!(data instanceof Uint8Array || data instanceof Uint8ClampedArray || data instanceof Float32Array)) {
    throw new Error(`${fn}: image.data must be a Uint8Array, Uint8ClampedArray or Float32Array of 0..255 pixel values, got ${describe(data)}`);
  }
  for (const [name, v] of [['width', width], ['height', height]] as const) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`${fn}: image.${name} must be a positive integer, got ${String(v)}`);
  }
  const pixels = width! * height!;
  if (channels !== undefined) {
    if (channels !== 3 && channels !== 4) throw new Error(`${fn}: image.channels must be 3 (RGB) or 4 (RGBA), got ${String(channels)}`);
    if (data.length !== pixels * channels) {
      throw new Error(`${fn}: image.data has ${data.length} values but width * height * channels = ${width} * ${height} * ${channels} = ${pixels * channels}`);
    }
    checkPixelRange(fn, data);
    return { data, width: width!, height: height!, channels };
  }
  if (data.length === pixels * 4 || data.length === pixels * 3) {
    checkPixelRange(fn, data);
    return { data, width: width!, height: height!, channels: data.length === pixels * 4 ? 4 : 3 };
  }
  throw new Error(`${fn}: image.data has ${data.length} values; a ${width}x${height} image needs ${pixels * 4} (RGBA) or ${pixels * 3} (RGB)`);
}

/** Slack around 0..255 for float pixels that went through resampling (bicubic overshoot). */
const RANGE_SLACK = 1;

/** Float32 pixels must be finite and in 0..255, and not all within 0..1 (unless the image is black). */
function checkPixelRange(fn: string, data: ImageSource['data']): void {
  if (!(data instanceof Float32Array)) return;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!Number.isFinite(v)) throw new Error(`${fn}: image.data[${i}] is ${v}: pixel values must be finite numbers in 0..255`);
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min < -RANGE_SLACK || max > 255 + RANGE_SLACK) {
    throw new Error(`${fn}: image.data values span ${min}..${max}; pixel values must be in 0..255`);
  }
  if (max > 0 && max <= 1) {
    throw new Error(`${fn}: image.data values all lie in 0..${max}: pixel values must be in 0..255, not 0..1 (multiply by 255)`);
  }
}
