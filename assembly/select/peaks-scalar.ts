// Heatmap peak mask spec (the `hmax == heat` test of the CenterNet/CornerNet decodes), NHWC:
// heat [h, w, c] -> out [h, w, c], out = heat where heat equals the max of its kernel x kernel
// neighbourhood in its channel (-infinity padding, kernel odd), else 0. Equal neighbours both
// survive. NaN is never a peak, and a NaN in a neighbourhood makes its centre no peak either
// (the max propagates NaN). heatmapPeaks' spec = this mask, then topKF32Scalar over it.

export function peaksMaskNhwcScalar(heat: usize, h: i32, w: i32, c: i32, kernel: i32, out: usize): void {
  const r = kernel >> 1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let ch = 0; ch < c; ch++) {
        const v = load<f32>(heat + ((((<usize>y * w) + x) * c + ch) << 2));
        let m: f32 = -Infinity;
        for (let yy = max<i32>(y - r, 0); yy <= min<i32>(y + r, h - 1); yy++) {
          for (let xx = max<i32>(x - r, 0); xx <= min<i32>(x + r, w - 1); xx++) {
            m = max<f32>(m, load<f32>(heat + ((((<usize>yy * w) + xx) * c + ch) << 2)));
          }
        }
        store<f32>(out + ((((<usize>y * w) + x) * c + ch) << 2), v == m ? v : <f32>0);
      }
    }
  }
}
