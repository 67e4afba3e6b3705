// Int8 convolution spec: x [n, h, w, cs] activation codes NHWC, i16 (codeBytes 2) or u7 bytes
// (codeBytes 1, the c4 layout), cin <= cs channels used,
// codes [kh, kw, cin, cout] int8 HWIO weights, scales [cout] f32, bias [cout] -> out [n, oh, ow, cout]
// f32. Plain loops over the definition, exact i32 accumulation of code products, then per output
//   v = f32(acc) * (actScale * scales[c]) + (hasBias ? bias[c] : 0);  relu: v < 0 ? 0 : v
// in f32, in that order: the SIMD kernel (conv2d-int8-igemm.ts) must equal this bit for bit.
// Zero padding (padTop/padLeft; the caller's oh/ow fix bottom/right), stride, dilation; groups 1.
// actScale arrives as its f32 bit pattern, as in the fast kernels.

export function conv2dInt8Scalar(
  x: usize, n: i32, h: i32, w: i32, cs: i32, cin: i32, codeBytes: i32,
  codes: usize, kh: i32, kw: i32, cout: i32, scales: usize,
  bias: usize, hasBias: i32,
  sh: i32, sw: i32, padTop: i32, padLeft: i32, dh: i32, dw: i32,
  oh: i32, ow: i32, actScaleBits: i32, relu: i32, out: usize,
): void {
  const actScale = reinterpret<f32>(actScaleBits);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        for (let co = 0; co < cout; co++) {
          let acc: i32 = 0;
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * sh - padTop + ky * dh;
            if (iy < 0 || iy >= h) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * sw - padLeft + kx * dw;
              if (ix < 0 || ix >= w) continue;
              for (let ci = 0; ci < cin; ci++) {
                const at = ((<usize>b * h + iy) * w + ix) * cs + ci;
                const xv = codeBytes == 1 ? <i32>load<u8>(x + at) : <i32>load<i16>(x + (at << 1));
                const wv = <i32>load<i8>(codes + ((<usize>ky * kw + kx) * cin + ci) * cout + co);
                acc += xv * wv;
              }
            }
          }
          const s: f32 = actScale * load<f32>(scales + (<usize>co << 2));
          const bv: f32 = hasBias ? load<f32>(bias + (<usize>co << 2)) : 0;
          let v: f32 = <f32>acc * s + bv;
          if (relu && v < 0) v = 0;
          store<f32>(out + ((((<usize>b * oh + oy) * ow + ox) * cout + co) << 2), v);
        }
      }
    }
  }
}
