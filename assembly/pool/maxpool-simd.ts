// Max pooling, NHWC, -infinity padding, floor mode (PyTorch MaxPool2d), vectorised over channels:
// x [n, h, w, c] -> out [n, oh, ow, c]. Same contract as maxPool2dNhwcScalar (the spec). The window
// is clipped to the image, which is what -infinity padding means; NaN propagates (f32x4.max).

export function maxPool2dNhwc(
  x: usize, n: i32, h: i32, w: i32, c: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, padTop: i32, padLeft: i32,
  oh: i32, ow: i32, out: usize,
): void {
  const pixelBytes = <usize>c << 2;
  const rowBytes = <usize>w * pixelBytes;
  for (let b = 0; b < n; b++) {
    const image = x + <usize>b * h * rowBytes;
    for (let oy = 0; oy < oh; oy++) {
      const y0 = max<i32>(oy * sh - padTop, 0);
      const y1 = min<i32>(oy * sh - padTop + kh, h);
      for (let ox = 0; ox < ow; ox++) {
        const x0 = max<i32>(ox * sw - padLeft, 0);
        const x1 = min<i32>(ox * sw - padLeft + kw, w);
        const dst = out + (((<usize>b * oh + oy) * ow + ox) * pixelBytes);
        const first = image + <usize>y0 * rowBytes + <usize>x0 * pixelBytes;
        let ch = 0;
        for (; ch + 16 <= c; ch += 16) {
          const o = <usize>ch << 2;
          let m0 = v128.load(first + o);
          let m1 = v128.load(first + o, 16);
          let m2 = v128.load(first + o, 32);
          let m3 = v128.load(first + o, 48);
          for (let y = y0; y < y1; y++) {
            let p = image + <usize>y * rowBytes + <usize>x0 * pixelBytes + o;
            for (let xx = x0; xx < x1; xx++) {
              m0 = f32x4.max(m0, v128.load(p));
              m1 = f32x4.max(m1, v128.load(p, 16));
              m2 = f32x4.max(m2, v128.load(p, 32));
              m3 = f32x4.max(m3, v128.load(p, 48));
              p += pixelBytes;
            }
          }
          v128.store(dst + o, m0);
          v128.store(dst + o, m1, 16);
          v128.store(dst + o, m2, 32);
          v128.store(dst + o, m3, 48);
        }
        for (; ch + 4 <= c; ch += 4) {
          const o = <usize>ch << 2;
          let m = v128.load(first + o);
          for (let y = y0; y < y1; y++) {
            let p = image + <usize>y * rowBytes + <usize>x0 * pixelBytes + o;
            for (let xx = x0; xx < x1; xx++) {
              m = f32x4.max(m, v128.load(p));
              p += pixelBytes;
            }
          }
          v128.store(dst + o, m);
        }
        for (; ch < c; ch++) {
          const o = <usize>ch << 2;
          let m = load<f32>(first + o);
          for (let y = y0; y < y1; y++) {
            let p = image + <usize>y * rowBytes + <usize>x0 * pixelBytes + o;
            for (let xx = x0; xx < x1; xx++) {
              m = max<f32>(m, load<f32>(p));
              p += pixelBytes;
            }
          }
          store<f32>(dst + o, m);
        }
      }
    }
  }
}
