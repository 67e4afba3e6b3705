// Image (interleaved u8 RGB or RGBA) -> normalised network input (f32 NHWC, 3 channels): the
// bilinear sampling and per-channel affine of runtime/image/warp.ts (warpNormalise, the spec), with
// the same f64 operations in the same order, so the values are the spec's to the bit. The taps (for
// each output row and column: the source index left of the sample, i32, and the next one's weight,
// f64) come from the caller, computed as the spec computes them. Pixels outside the image read 0.
// In wasm because a first detect() ran the spec's loop before the JavaScript JIT had warmed up
// (~10-25 ms of the first detection of a 320x320 image); scalar f64, as the spec: its cost is a
// few reads and multiplies per value either way.

// @ts-ignore: decorator
@inline
function px(src: usize, width: i32, height: i32, channels: i32, x: i32, y: i32, c: i32): f64 {
  if (x < 0 || y < 0 || x >= width || y >= height) return 0;
  return <f64>load<u8>(src + <usize>((y * width + x) * channels + c));
}

export function warpNormaliseU8(
  src: usize, width: i32, height: i32, channels: i32,
  rowI0: usize, rowF: usize, outH: i32, colI0: usize, colF: usize, outW: i32,
  s0: i32, s1: i32, s2: i32, a0: f64, a1: f64, a2: f64, b0: f64, b1: f64, b2: f64,
  out: usize,
): void {
  const rowStride = width * channels;
  for (let i = 0; i < outH; i++) {
    const y0 = load<i32>(rowI0 + (<usize>i << 2));
    const fy = load<f64>(rowF + (<usize>i << 3));
    const gy = 1 - fy;
    const rowsInside = y0 >= 0 && y0 + 1 < height;
    let o = out + (<usize>(i * outW * 3) << 2);
    for (let j = 0; j < outW; j++) {
      const x0 = load<i32>(colI0 + (<usize>j << 2));
      const fx = load<f64>(colF + (<usize>j << 3));
      const gx = 1 - fx;
      if (rowsInside && x0 >= 0 && x0 + 1 < width) {
        const p = src + <usize>(y0 * rowStride + x0 * channels);
        const q = p + <usize>rowStride;
        const n = <usize>channels;
        let top = <f64>load<u8>(p + s0) * gx + <f64>load<u8>(p + n + s0) * fx;
        let bottom = <f64>load<u8>(q + s0) * gx + <f64>load<u8>(q + n + s0) * fx;
        store<f32>(o, <f32>((top * gy + bottom * fy) * a0 + b0));
        top = <f64>load<u8>(p + s1) * gx + <f64>load<u8>(p + n + s1) * fx;
        bottom = <f64>load<u8>(q + s1) * gx + <f64>load<u8>(q + n + s1) * fx;
        store<f32>(o, <f32>((top * gy + bottom * fy) * a1 + b1), 4);
        top = <f64>load<u8>(p + s2) * gx + <f64>load<u8>(p + n + s2) * fx;
        bottom = <f64>load<u8>(q + s2) * gx + <f64>load<u8>(q + n + s2) * fx;
        store<f32>(o, <f32>((top * gy + bottom * fy) * a2 + b2), 8);
      } else {
        for (let c = 0; c < 3; c++) {
          const sc = c == 0 ? s0 : c == 1 ? s1 : s2;
          const top = px(src, width, height, channels, x0, y0, sc) * gx + px(src, width, height, channels, x0 + 1, y0, sc) * fx;
          const bottom = px(src, width, height, channels, x0, y0 + 1, sc) * gx + px(src, width, height, channels, x0 + 1, y0 + 1, sc) * fx;
          const a = c == 0 ? a0 : c == 1 ? a1 : a2;
          const b = c == 0 ? b0 : c == 1 ? b1 : b2;
          store<f32>(o + (<usize>c << 2), <f32>((top * gy + bottom * fy) * a + b));
        }
      }
      o += 12;
    }
  }
}
