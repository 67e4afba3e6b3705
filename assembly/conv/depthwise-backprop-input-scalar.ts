// DepthwiseConv2dNativeBackpropInput spec: the input gradient of a depthwise conv with channel
// multiplier `mult`. dy [n, oh, ow, c*mult], w [kh, kw, c, mult] -> dx [n, h, wd, c],
// dx[b, iy, ix, ci] = sum over ky, kx, m with oy*sh - padTop + ky*dh = iy and
// ox*sw - padLeft + kx*dw = ix (0 <= oy < oh, 0 <= ox < ow) of
// dy[b, oy, ox, ci*mult + m] * w[ky, kx, ci, m]. Gather form: each dx value is summed from the taps
// that land on it, then stored once (the SIMD kernel scatters instead). Overwrites dx.

export function depthwiseBackpropInputScalar(
  dy: usize, n: i32, oh: i32, ow: i32, c: i32, mult: i32,
  w: usize, kh: i32, kw: i32,
  sh: i32, sw: i32, padTop: i32, padLeft: i32, dh: i32, dw: i32,
  h: i32, wd: i32, dx: usize,
): void {
  const cout = c * mult;
  for (let b = 0; b < n; b++) {
    for (let iy = 0; iy < h; iy++) {
      for (let ix = 0; ix < wd; ix++) {
        for (let ci = 0; ci < c; ci++) {
          let acc: f32 = 0;
          for (let ky = 0; ky < kh; ky++) {
            const ny = iy + padTop - ky * dh;
            if (ny < 0 || ny % sh != 0) continue;
            const oy = ny / sh;
            if (oy >= oh) continue;
            for (let kx = 0; kx < kw; kx++) {
              const nx = ix + padLeft - kx * dw;
              if (nx < 0 || nx % sw != 0) continue;
              const ox = nx / sw;
              if (ox >= ow) continue;
              for (let m = 0; m < mult; m++) {
                const g = load<f32>(dy + ((((<usize>b * oh + oy) * ow + ox) * cout + ci * mult + m) << 2));
                const wv = load<f32>(w + ((((<usize>ky * kw + kx) * c + ci) * mult + m) << 2));
                acc += g * wv;
              }
            }
          }
          store<f32>(dx + ((((<usize>b * h + iy) * wd + ix) * c + ci) << 2), acc);
        }
      }
    }
  }
}
