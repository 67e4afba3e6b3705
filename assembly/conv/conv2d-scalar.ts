// Convolution spec, NHWC, HWIO weights: x [n, h, w, cin], wts [kh, kw, cin/groups, cout], bias [cout]
// -> out [n, oh, ow, cout]. Zero padding (padTop/padLeft; the caller's oh/ow fix bottom/right), stride,
// dilation, groups, optional bias and ReLU. Plain loops over the definition: every fast kernel is
// tested against this one.

export function conv2dScalar(
  x: usize, n: i32, h: i32, w: i32, cin: i32,
  wts: usize, kh: i32, kw: i32, cout: i32, groups: i32,
  bias: usize, hasBias: i32,
  sh: i32, sw: i32, padTop: i32, padLeft: i32, dh: i32, dw: i32,
  oh: i32, ow: i32, relu: i32, out: usize,
): void {
  const cinG = cin / groups;
  const coutG = cout / groups;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        for (let co = 0; co < cout; co++) {
          const g = co / coutG;
          let acc: f32 = hasBias ? load<f32>(bias + (<usize>co << 2)) : 0;
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * sh - padTop + ky * dh;
            if (iy < 0 || iy >= h) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * sw - padLeft + kx * dw;
              if (ix < 0 || ix >= w) continue;
              for (let ci = 0; ci < cinG; ci++) {
                const xv = load<f32>(x + ((((<usize>b * h + iy) * w + ix) * cin + g * cinG + ci) << 2));
                const wv = load<f32>(wts + ((((<usize>ky * kw + kx) * cinG + ci) * cout + co) << 2));
                acc += xv * wv;
              }
            }
          }
          if (relu && acc < 0) acc = 0;
          store<f32>(out + ((((<usize>b * oh + oy) * ow + ox) * cout + co) << 2), acc);
        }
      }
    }
  }
}
