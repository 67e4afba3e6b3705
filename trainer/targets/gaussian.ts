// Gaussian heatmap targets shared by CornerNet (corners) and CenterNet (centres): the radius that
// keeps a box's IoU above a threshold, and the max-merged Gaussian splat (draw_umich_gaussian /
// CornerNet's draw_gaussian). Plain TypeScript on Float32Arrays.

/**
 * CornerNet's gaussian_radius(det_size, min_overlap), as the official code computes it (CornerNet
 * and CenterNet share this function; CornerNet-Lite corrected it: gaussianRadiusLite): the minimum
 * of three quadratics' roots.
 *   case 1 (a = 1,     b = h + w,          c = w h (1 - m) / (1 + m)): r1 = (b + sqrt(b^2 - 4ac)) / 2
 *   case 2 (a = 4,     b = 2 (h + w),      c = (1 - m) w h):           r2 = (b + sqrt(b^2 - 4ac)) / 2
 *   case 3 (a = 4m,    b = -2 m (h + w),   c = (m - 1) w h):           r3 = (b + sqrt(b^2 - 4ac)) / 2
 * The correct roots would divide by 2a (and cases 1 and 2 want the smaller root); the official code
 * divides by 2 and takes the larger one. We keep that on purpose: published models and their
 * sigma = diameter / 6 were tuned with these radii (a "fixed" radius changes the targets and needs
 * retuning; see ../shared/reference/centernet-simple-code.md §2.4). In practice r3 is the minimum.
 */
export function gaussianRadius(height: number, width: number, minOverlap: number): number {
  if (!(height >= 0) || !(width >= 0)) throw new Error(`gaussianRadius: height and width must be >= 0, got ${height} x ${width}`);
  if (!(minOverlap > 0 && minOverlap < 1)) throw new Error(`gaussianRadius: minOverlap must be in (0, 1), got ${minOverlap}`);
  const m = minOverlap;
  const root = (a: number, b: number, c: number) => (b + Math.sqrt(b * b - 4 * a * c)) / 2;
  const r1 = root(1, height + width, (width * height * (1 - m)) / (1 + m));
  const r2 = root(4, 2 * (height + width), (1 - m) * width * height);
  const r3 = root(4 * m, -2 * m * (height + width), (m - 1) * width * height);
  return Math.min(r1, r2, r3);
}

/**
 * CornerNet-Lite's gaussian_radius (core/sample/utils.py, which trained CornerNet-Squeeze and
 * CornerNet-Saccade): the roots corrected, a smaller radius (about half for square boxes).
 *   r1 = (b1 - sqrt(b1^2 - 4 a1 c1)) / (2 a1),  r2 = (b2 - sqrt(b2^2 - 4 a2 c2)) / (2 a2),
 *   r3 = (b3 + sqrt(b3^2 - 4 a3 c3)) / (2 a3),  with the a, b, c of gaussianRadius.
 */
export function gaussianRadiusLite(height: number, width: number, minOverlap: number): number {
  if (!(height >= 0) || !(width >= 0)) throw new Error(`gaussianRadiusLite: height and width must be >= 0, got ${height} x ${width}`);
  if (!(minOverlap > 0 && minOverlap < 1)) throw new Error(`gaussianRadiusLite: minOverlap must be in (0, 1), got ${minOverlap}`);
  const m = minOverlap;
  const root = (a: number, b: number, c: number, sign: 1 | -1) => (b + sign * Math.sqrt(b * b - 4 * a * c)) / (2 * a);
  const r1 = root(1, height + width, (width * height * (1 - m)) / (1 + m), -1);
  const r2 = root(4, 2 * (height + width), (1 - m) * width * height, -1);
  const r3 = root(4 * m, -2 * m * (height + width), (m - 1) * width * height, 1);
  return Math.min(r1, r2, r3);
}

/** Which gaussian_radius a target builder uses: CornerNet's and CenterNet's, or CornerNet-Lite's. */
export type RadiusRule = 'cornernet' | 'cornernet-lite';
export const radiusFunction = (rule: RadiusRule) => (rule === 'cornernet-lite' ? gaussianRadiusLite : gaussianRadius);

/**
 * gaussian2D((2r+1, 2r+1), sigma = (2r+1) / 6): exp(-(x^2 + y^2) / (2 sigma^2)) on [-r, r]^2,
 * row-major, values below float64 eps * max set to 0 (the official code's cut).
 */
export function gaussianKernel(radius: number): Float64Array {
  const d = 2 * radius + 1;
  const sigma = d / 6;
  const out = new Float64Array(d * d);
  for (let y = -radius; y <= radius; y++) {
    for (let x = -radius; x <= radius; x++) {
      const v = Math.exp(-(x * x + y * y) / (2 * sigma * sigma));
      // max is 1 (the centre).
      out[(y + radius) * d + (x + radius)] = v < Number.EPSILON ? 0 : v;
    }
  }
  return out;
}

export interface HeatmapLayout {
  /** Channels of the heatmap, which is [height, width, channels] row-major. Default 1. */
  channels?: number;
  /** The channel (class) to draw into. Default 0. */
  channel?: number;
}

/**
 * draw_umich_gaussian: splats gaussianKernel(radius) centred on the integer pixel (cx, cy), clipped
 * at the map's borders, merged by element-wise max (so the centre is exactly 1 and overlapping
 * objects of one class keep the larger value).
 */
export function drawGaussian(heatmap: Float32Array, width: number, height: number, cx: number, cy: number, radius: number, layout: HeatmapLayout = {}): void {
  const channels = layout.channels ?? 1;
  const channel = layout.channel ?? 0;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) throw new Error(`drawGaussian: width and height must be positive integers, got ${width} x ${height}`);
  if (!Number.isInteger(channels) || channels < 1 || !Number.isInteger(channel) || channel < 0 || channel >= channels) {
    throw new Error(`drawGaussian: channel must be an integer in [0, ${channels}), got ${channel}`);
  }
  if (heatmap.length !== width * height * channels) throw new Error(`drawGaussian: heatmap has ${heatmap.length} values, expected ${height} x ${width} x ${channels}`);
  if (!Number.isInteger(cx) || !Number.isInteger(cy) || cx < 0 || cx >= width || cy < 0 || cy >= height) {
    throw new Error(`drawGaussian: centre (${cx}, ${cy}) must be an integer pixel inside ${width} x ${height}`);
  }
  if (!Number.isInteger(radius) || radius < 0) throw new Error(`drawGaussian: radius must be a non-negative integer, got ${radius}`);
  const g = gaussianKernel(radius);
  const d = 2 * radius + 1;
  const left = Math.min(cx, radius);
  const right = Math.min(width - cx, radius + 1);
  const top = Math.min(cy, radius);
  const bottom = Math.min(height - cy, radius + 1);
  for (let dy = -top; dy < bottom; dy++) {
    for (let dx = -left; dx < right; dx++) {
      const i = ((cy + dy) * width + (cx + dx)) * channels + channel;
      const v = g[(radius + dy) * d + (radius + dx)];
      if (v > heatmap[i]) heatmap[i] = v;
    }
  }
}
