// Grouped transposed convolution spec, PyTorch ConvTranspose2d(groups) semantics: x [n, h, w, cin],
// wts [kh, kw, cout/groups, cin] (PyTorch's [cin, cout/groups, kh, kw] transposed (2, 3, 1, 0)),
// bias [cout] -> out [n, oh, ow, cout]. Input channel ci of group g = ci / (cin/groups) adds
// x * w[ky, kx, o, ci] into output channel g * cout/groups + o at (iy*sh - padTop + ky,
// ix*sw - padLeft + kx) when that lies inside the output (the caller computes oh, ow).
// Written as the scatter in the definition; the depthwise fast kernel gathers instead.

export function conv2dTransposeGroupedScalar(
  x: usize, n: i32, h: i32, w: i32, cin: i32,
  wts: usize, kh: i32, kw: i32, cout: i32, groups: i32,
  bias: usize, hasBias: i32,
  sh: i32, sw: i32, padTop: i32, padLeft: i32,
  oh: i32, ow: i32, relu: i32, out: usize,
): void {
  const cinG = cin / groups;
  const coutG = cout / groups;
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
            for (let g = 0; g < groups; g++) {
              for (let o = 0; o < coutG; o++) {
                const dst = out + ((((<usize>b * oh + oy) * ow + ox) * cout + g * coutG + o) << 2);
                let acc = load<f32>(dst);
                for (let c = 0; c < cinG; c++) {
                  const ci = g * cinG + c;
                  const xv = load<f32>(x + ((((<usize>b * h + iy) * w + ix) * cin + ci) << 2));
                  const wv = load<f32>(wts + ((((<usize>ky * kw + kx) * coutG + o) * cin + ci) << 2));
                  acc += xv * wv;
                }
                store<f32>(dst, acc);
              }
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
