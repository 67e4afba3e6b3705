// Max pooling spec, NHWC, -infinity padding, floor mode (PyTorch MaxPool2d):
// x [n, h, w, c] -> out [n, oh, ow, c], oh = floor((h + padTop + padBottom - kh) / sh) + 1 (the
// caller computes oh, ow and keeps every window non-empty). NaN propagates, as in PyTorch.

export function maxPool2dNhwcScalar(
  x: usize, n: i32, h: i32, w: i32, c: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, padTop: i32, padLeft: i32,
  oh: i32, ow: i32, out: usize,
): void {
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const dst = out + ((((<usize>b * oh + oy) * ow + ox) * c) << 2);
        for (let ch = 0; ch < c; ch++) {
          let m: f32 = -Infinity;
          for (let ky = 0; ky < kh; ky++) {
            const y = oy * sh - padTop + ky;
            if (y < 0 || y >= h) continue;
            for (let kx = 0; kx < kw; kx++) {
              const xx = ox * sw - padLeft + kx;
              if (xx < 0 || xx >= w) continue;
              m = max<f32>(m, load<f32>(x + ((((<usize>b * h + y) * w + xx) * c + ch) << 2)));
            }
          }
          store<f32>(dst + (<usize>ch << 2), m);
        }
      }
    }
  }
}
