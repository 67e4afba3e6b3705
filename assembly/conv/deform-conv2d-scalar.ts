// Modulated deformable convolution (DCNv2) spec, NHWC, HWIO weights, one offset group:
// x [n, h, w, cin], wts [kh, kw, cin, cout], bias [cout], offsets and mask per output pixel ->
// out [n, oh, ow, cout]. Tap k = ky*kw + kx of output (oy, ox) samples x bilinearly at
// (oy*sh - padTop + ky*dh + dy_k, ox*sw - padLeft + kx*dw + dx_k), zero outside (-1, h) x (-1, w)
// and for corners outside the image, times mask_k (torchvision.ops.deform_conv2d(..., mask=)).
// Pixel q's offsets are offset[q*offsetStride + 2k] (dy) and [.. + 2k + 1] (dx), its mask
// mask[q*maskStride + k], a logit when maskLogits (then sigmoid(mask) is used): the strides let the
// public op pass separate offset and mask tensors and the execution plan one conv_offset_mask output.
// Plain loops over the definition: the fast kernel (deform-conv2d.ts) is tested against this one.

/** sigmoid(v) without overflow (as elementwise/sigmoid.ts). */
export function sigmoidScalar(v: f32): f32 {
  const e = Mathf.exp(-abs<f32>(v));
  const r = <f32>1 / (<f32>1 + e);
  return v >= 0 ? r : e * r;
}

/** x[b, y, xx, c], or 0 for a corner outside the image. */
// @ts-ignore: decorator
@inline
function pixel(x: usize, b: i32, h: i32, w: i32, cin: i32, y: i32, xx: i32, c: i32): f32 {
  if (y < 0 || y >= h || xx < 0 || xx >= w) return 0;
  return load<f32>(x + ((((<usize>b * h + y) * w + xx) * cin + c) << 2));
}

/** Bilinear sample of channel c at (py, px), torchvision's rule: 0 unless -1 < py < h and -1 < px < w. */
function bilinear(x: usize, b: i32, h: i32, w: i32, cin: i32, py: f32, px: f32, c: i32): f32 {
  // written so that a NaN coordinate also counts as outside
  if (!(py > -1 && py < <f32>h && px > -1 && px < <f32>w)) return 0;
  const fy = Mathf.floor(py);
  const fx = Mathf.floor(px);
  const y0 = <i32>fy;
  const x0 = <i32>fx;
  const ly = py - fy;
  const lx = px - fx;
  const hy = <f32>1 - ly;
  const hx = <f32>1 - lx;
  return hy * hx * pixel(x, b, h, w, cin, y0, x0, c)
    + hy * lx * pixel(x, b, h, w, cin, y0, x0 + 1, c)
    + ly * hx * pixel(x, b, h, w, cin, y0 + 1, x0, c)
    + ly * lx * pixel(x, b, h, w, cin, y0 + 1, x0 + 1, c);
}

export function deformConv2dScalar(
  x: usize, n: i32, h: i32, w: i32, cin: i32,
  wts: usize, kh: i32, kw: i32, cout: i32,
  bias: usize, hasBias: i32,
  sh: i32, sw: i32, padTop: i32, padLeft: i32, dh: i32, dw: i32,
  oh: i32, ow: i32,
  offset: usize, offsetStride: i32, mask: usize, maskStride: i32, maskLogits: i32,
  relu: i32, out: usize,
): void {
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const q = (<usize>b * oh + oy) * ow + ox;
        const offs = offset + ((q * <usize>offsetStride) << 2);
        const mk = mask + ((q * <usize>maskStride) << 2);
        for (let co = 0; co < cout; co++) {
          let acc: f32 = hasBias ? load<f32>(bias + (<usize>co << 2)) : 0;
          for (let ky = 0; ky < kh; ky++) {
            for (let kx = 0; kx < kw; kx++) {
              const k = ky * kw + kx;
              const py = <f32>(oy * sh - padTop + ky * dh) + load<f32>(offs + (<usize>(2 * k) << 2));
              const px = <f32>(ox * sw - padLeft + kx * dw) + load<f32>(offs + (<usize>(2 * k + 1) << 2));
              const raw = load<f32>(mk + (<usize>k << 2));
              const m = maskLogits ? sigmoidScalar(raw) : raw;
              for (let ci = 0; ci < cin; ci++) {
                const v = m * bilinear(x, b, h, w, cin, py, px, ci);
                acc += v * load<f32>(wts + ((((<usize>k) * cin + ci) * cout + co) << 2));
              }
            }
          }
          if (relu && acc < 0) acc = 0;
          store<f32>(out + ((q * <usize>cout + co) << 2), acc);
        }
      }
    }
  }
}
