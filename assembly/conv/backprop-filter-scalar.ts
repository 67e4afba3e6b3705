// Conv2DBackpropFilter spec: the weight gradient of conv2dScalar. x [n, h, w, cin], dy [n, oh, ow,
// cout] -> dW [kh, kw, cin/groups, cout] (HWIO), dW[ky, kx, ci, co] = sum over b, oy, ox of
// x[b, oy*sh - padTop + ky*dh, ox*sw - padLeft + kx*dw, g*cinG + ci] * dy[b, oy, ox, co] with
// g = co / coutG, taps in the zero padding contributing nothing. Overwrites dW.

export function conv2dBackpropFilterScalar(
  x: usize, n: i32, h: i32, w: i32, cin: i32,
  dy: usize, oh: i32, ow: i32, cout: i32,
  kh: i32, kw: i32, groups: i32,
  sh: i32, sw: i32, padTop: i32, padLeft: i32, dh: i32, dw: i32,
  dW: usize,
): void {
  const cinG = cin / groups;
  const coutG = cout / groups;
  for (let ky = 0; ky < kh; ky++) {
    for (let kx = 0; kx < kw; kx++) {
      for (let ci = 0; ci < cinG; ci++) {
        for (let co = 0; co < cout; co++) {
          const g = co / coutG;
          let acc: f32 = 0;
          for (let b = 0; b < n; b++) {
            for (let oy = 0; oy < oh; oy++) {
              const iy = oy * sh - padTop + ky * dh;
              if (iy < 0 || iy >= h) continue;
              for (let ox = 0; ox < ow; ox++) {
                const ix = ox * sw - padLeft + kx * dw;
                if (ix < 0 || ix >= w) continue;
                const xv = load<f32>(x + ((((<usize>b * h + iy) * w + ix) * cin + g * cinG + ci) << 2));
                const gv = load<f32>(dy + ((((<usize>b * oh + oy) * ow + ox) * cout + co) << 2));
                acc += xv * gv;
              }
            }
          }
          store<f32>(dW + ((((<usize>ky * kw + kx) * cinG + ci) * cout + co) << 2), acc);
        }
      }
    }
  }
}
