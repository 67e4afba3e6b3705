// Where the original image lands in the network input, and back. Both test-time schemes are a
// uniform scale plus a shift (rotation is 0 at test time): input = scale * original + offset.
//  - CenterNet (fix-res): get_affine_transform(center = image centre, s = max(h, w), rot 0,
//    output = input size): scale = inputWidth / s (width sets it for both axes, as officially).
//  - CornerNet: resize by the test scale, then centre in a canvas of (new | 127) per side.
import type { Box } from '../decode/boxes.js';

export interface ImageTransform {
  /** Original image size. */
  width: number;
  height: number;
  /** Network input size. */
  inputWidth: number;
  inputHeight: number;
  scale: number;
  offsetX: number;
  offsetY: number;
}

/**
 * CenterNet's affine warp: the max(h, w) square around the image centre fills the input width.
 * A test scale s shrinks that square by s (official: resize by s, warp with the original max side).
 */
export function centerNetTransform(width: number, height: number, inputWidth: number, inputHeight: number, testScale = 1): ImageTransform {
  const scale = (inputWidth * testScale) / Math.max(width, height);
  return {
    width,
    height,
    inputWidth,
    inputHeight,
    scale,
    offsetX: inputWidth / 2 - (scale * width) / 2,
    offsetY: inputHeight / 2 - (scale * height) / 2,
  };
}

export interface PaddedSize {
  /** Resize factor (official test_scales entry). */
  testScale?: number;
  /** Input side = (resized side | sizeMask) + sizeAdd: CornerNet 127 / 0; CenterNet keep_res 31 / 1 (127 / 1 for Hourglass). */
  sizeMask?: number;
  sizeAdd?: number;
  /** A fixed input size instead of the rule above; a larger resized image is cropped around its centre. */
  inputWidth?: number;
  inputHeight?: number;
}

/** CornerNet's crop_image: the resized image centred in a zero canvas, centre to centre with floor halves. */
export function paddedTransform(fn: string, width: number, height: number, size: PaddedSize = {}): ImageTransform {
  const { testScale = 1, sizeMask = 127, sizeAdd = 0 } = size;
  if (!(typeof testScale === 'number' && Number.isFinite(testScale) && testScale > 0)) throw new Error(`${fn}: options.scale must be a positive number, got ${String(testScale)}`);
  for (const [name, v] of [['sizeMask', sizeMask], ['sizeAdd', sizeAdd]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new Error(`${fn}: options.${name} must be a non-negative integer, got ${String(v)}`);
  }
  const newW = Math.floor(width * testScale);
  const newH = Math.floor(height * testScale);
  if (newW < 1 || newH < 1) throw new Error(`${fn}: scale ${testScale} shrinks the ${width}x${height} image to nothing (${newW}x${newH})`);
  const inputWidth = size.inputWidth ?? (newW | sizeMask) + sizeAdd;
  const inputHeight = size.inputHeight ?? (newH | sizeMask) + sizeAdd;
  for (const [name, v] of [['inputWidth', inputWidth], ['inputHeight', inputHeight]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${fn}: options.${name} must be a positive integer, got ${String(v)}`);
  }
  return {
    width,
    height,
    inputWidth,
    inputHeight,
    scale: testScale,
    offsetX: Math.floor(inputWidth / 2) - Math.floor(newW / 2),
    offsetY: Math.floor(inputHeight / 2) - Math.floor(newH / 2),
  };
}

/** A box in original-image coordinates mapped into the network input. */
export function boxToInput(box: Box, t: ImageTransform): Box {
  return {
    xmin: box.xmin * t.scale + t.offsetX,
    ymin: box.ymin * t.scale + t.offsetY,
    xmax: box.xmax * t.scale + t.offsetX,
    ymax: box.ymax * t.scale + t.offsetY,
  };
}

/** A box in network-input coordinates mapped back to the original image; clip keeps it inside [0, w] x [0, h] (CornerNet's rescale_dets). */
export function boxToOriginal(box: Box, t: ImageTransform, clip = false): Box {
  const x = (v: number) => (clip ? Math.min(Math.max((v - t.offsetX) / t.scale, 0), t.width) : (v - t.offsetX) / t.scale);
  const y = (v: number) => (clip ? Math.min(Math.max((v - t.offsetY) / t.scale, 0), t.height) : (v - t.offsetY) / t.scale);
  return { xmin: x(box.xmin), ymin: y(box.ymin), xmax: x(box.xmax), ymax: y(box.ymax) };
}
