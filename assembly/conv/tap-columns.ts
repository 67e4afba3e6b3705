// Which output columns a horizontal tap kx reads from inside the input row (width `width`):
// ox in [tapColumnsStart, tapColumnsEnd), i.e. 0 <= ox * sw - padLeft + kx * dw <= width - 1.
// Shared by the depthwise backprop kernels, which walk exactly those columns without bounds checks.

// @ts-ignore: decorator
@inline
export function tapColumnsStart(padLeft: i32, kx: i32, dw: i32, sw: i32): i32 {
  const num = padLeft - kx * dw;
  return num <= 0 ? 0 : (num + sw - 1) / sw;
}

// @ts-ignore: decorator
@inline
export function tapColumnsEnd(width: i32, padLeft: i32, kx: i32, dw: i32, sw: i32, ow: i32): i32 {
  const num = width - 1 + padLeft - kx * dw;
  return min<i32>(ow, num < 0 ? 0 : num / sw + 1);
}
