// Transposed convolution spec with PyTorch ConvTranspose2d semantics: x [n, h, w, cin], wts [kh, kw,
// cout, cin] (TF.js layout), bias [cout] -> out [n, oh, ow, cout], where input pixel (iy, ix) adds
// x * w[ky, kx] into output (iy*sh - padTop + ky, ix*sw - padLeft + kx) when that lies inside the
// output; oh = (h-1)*sh - padTop - padBottom + kh + outputPadding (the caller computes oh, ow).
// Written as the scatter in the definition; the fast kernel gathers instead.

export function conv2dTransposeScalar(
  x: usize, n: i32, h: i32, w: i32, cin: i32,
  wts: usize, kh: i32, kw: i32, cout: i32,
  bias: usize, hasBias: i32,
  sh: i32, sw: i32, padTop: i32, padLeft: i32,
  oh: i32, ow: i32, relu: i32, out: usize,
): void {
  const total = <usize>n * oh * ow * cout;
  for (let i: usize = 0; i < total; i++) {
    store<f32>(out + (i << 2), hasBias ? load<f32>(bias + ((i % <usize>cout) << 2)) : 0);
  }
  for (let b = 0; b < n; b++) {
    for (let iy = 0; iy < h; iy++) {
      for (let ix = 0; ix < w; ix++) {
        for (let ky = 0; ky < kh; ky++) {
          const oy = iy * sh - padTop + ky;
          if (oy < 0 || oy >= oh) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ox = ix * sw - padLeft + kx;
            if (ox < 0 || ox >= ow) continue;
            for (let co = 0; co < cout; co++) {
              const dst = out + ((((<usize>b * oh + oy) * ow + ox) * cout + co) << 2);
              let acc = load<f32>(dst);
              for (let ci = 0; ci < cin; ci++) {
                const xv = load<f32>(x + ((((<usize>b * h + iy) * w + ix) * cin + ci) << 2));
                const wv = load<f32>(wts + ((((<usize>ky * kw + kx) * cout + co) * cin + ci) << 2));
                acc += xv * wv;
              }
              store<f32>(dst, acc);
            }
          }
        }
      }
    }
  }
  if (relu) {
    for (let i: usize = 0; i < total; i++) {
      const p = out + (i << 2);
      if (load<f32>(p) < 0) store<f32>(p, 0);
    }
  }
}
