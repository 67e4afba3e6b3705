// Register tiles of conv2dBackpropFilter (backprop-filter.ts): each adds, over rows x count output
// pixels, x[pixel, ci..] * dy[pixel, co..] into a block of dW rows (dW row stride rowBytes = cout*4).
// x and g point at the first pixel's channel block; xStep/gStep step one output column, xRowStep/
// gRowStep one output row. 4x8 is the main tile (8 accumulators, 4 splat loads + 2 loads per
// pixel); 4x4 and 4x1 cover cout tails, 1x8 / 1x4 / 1x1 the cin tail.
import { madd4 } from '../common/simd';

// 4 input channels x 8 output channels: 8 accumulators, 4 splat loads + 2 loads per pixel.
export function tile4x8(
  x: usize, xStep: usize, xRowStep: usize, g: usize, gStep: usize, gRowStep: usize,
  rows: i32, count: i32, dw: usize, rowBytes: usize,
): void {
  let a00 = v128.load(dw);
  let a01 = v128.load(dw, 16);
  let a10 = v128.load(dw + rowBytes);
  let a11 = v128.load(dw + rowBytes, 16);
  let a20 = v128.load(dw + 2 * rowBytes);
  let a21 = v128.load(dw + 2 * rowBytes, 16);
  let a30 = v128.load(dw + 3 * rowBytes);
  let a31 = v128.load(dw + 3 * rowBytes, 16);
  let xr = x;
  let gr = g;
  for (let r = 0; r < rows; r++) {
    let xp = xr;
    let gp = gr;
    for (let i = 0; i < count; i++) {
      const g0 = v128.load(gp);
      const g1 = v128.load(gp, 16);
      let v = v128.load32_splat(xp);
      a00 = madd4(v, g0, a00);
      a01 = madd4(v, g1, a01);
      v = v128.load32_splat(xp, 4);
      a10 = madd4(v, g0, a10);
      a11 = madd4(v, g1, a11);
      v = v128.load32_splat(xp, 8);
      a20 = madd4(v, g0, a20);
      a21 = madd4(v, g1, a21);
      v = v128.load32_splat(xp, 12);
      a30 = madd4(v, g0, a30);
      a31 = madd4(v, g1, a31);
      xp += xStep;
      gp += gStep;
    }
    xr += xRowStep;
    gr += gRowStep;
  }
  v128.store(dw, a00);
  v128.store(dw, a01, 16);
  v128.store(dw + rowBytes, a10);
  v128.store(dw + rowBytes, a11, 16);
  v128.store(dw + 2 * rowBytes, a20);
  v128.store(dw + 2 * rowBytes, a21, 16);
  v128.store(dw + 3 * rowBytes, a30);
  v128.store(dw + 3 * rowBytes, a31, 16);
}

export function tile4x4(
  x: usize, xStep: usize, xRowStep: usize, g: usize, gStep: usize, gRowStep: usize,
  rows: i32, count: i32, dw: usize, rowBytes: usize,
): void {
  let a0 = v128.load(dw);
  let a1 = v128.load(dw + rowBytes);
  let a2 = v128.load(dw + 2 * rowBytes);
  let a3 = v128.load(dw + 3 * rowBytes);
  let xr = x;
  let gr = g;
  for (let r = 0; r < rows; r++) {
    let xp = xr;
    let gp = gr;
    for (let i = 0; i < count; i++) {
      const g = v128.load(gp);
      a0 = madd4(v128.load32_splat(xp), g, a0);
      a1 = madd4(v128.load32_splat(xp, 4), g, a1);
      a2 = madd4(v128.load32_splat(xp, 8), g, a2);
      a3 = madd4(v128.load32_splat(xp, 12), g, a3);
      xp += xStep;
      gp += gStep;
    }
    xr += xRowStep;
    gr += gRowStep;
  }
  v128.store(dw, a0);
  v128.store(dw + rowBytes, a1);
  v128.store(dw + 2 * rowBytes, a2);
  v128.store(dw + 3 * rowBytes, a3);
}

// 4 input channels (one vector) x 1 output channel: the lanes are dW rows ci..ci+3.
export function tile4x1(
  x: usize, xStep: usize, xRowStep: usize, g: usize, gStep: usize, gRowStep: usize,
  rows: i32, count: i32, dw: usize, rowBytes: usize,
): void {
  let a = f32x4(
    load<f32>(dw), load<f32>(dw + rowBytes), load<f32>(dw + 2 * rowBytes), load<f32>(dw + 3 * rowBytes),
  );
  let xr = x;
  let gr = g;
  for (let r = 0; r < rows; r++) {
    let xp = xr;
    let gp = gr;
    for (let i = 0; i < count; i++) {
      a = madd4(v128.load(xp), v128.load32_splat(gp), a);
      xp += xStep;
      gp += gStep;
    }
    xr += xRowStep;
    gr += gRowStep;
  }
  store<f32>(dw, f32x4.extract_lane(a, 0));
  store<f32>(dw + rowBytes, f32x4.extract_lane(a, 1));
  store<f32>(dw + 2 * rowBytes, f32x4.extract_lane(a, 2));
  store<f32>(dw + 3 * rowBytes, f32x4.extract_lane(a, 3));
}

export function tile1x8(
  x: usize, xStep: usize, xRowStep: usize, g: usize, gStep: usize, gRowStep: usize,
  rows: i32, count: i32, dw: usize,
): void {
  let a0 = v128.load(dw);
  let a1 = v128.load(dw, 16);
  let xr = x;
  let gr = g;
  for (let r = 0; r < rows; r++) {
    let xp = xr;
    let gp = gr;
    for (let i = 0; i < count; i++) {
      const v = v128.load32_splat(xp);
      a0 = madd4(v, v128.load(gp), a0);
      a1 = madd4(v, v128.load(gp, 16), a1);
      xp += xStep;
      gp += gStep;
    }
    xr += xRowStep;
    gr += gRowStep;
  }
  v128.store(dw, a0);
  v128.store(dw, a1, 16);
}

export function tile1x4(
  x: usize, xStep: usize, xRowStep: usize, g: usize, gStep: usize, gRowStep: usize,
  rows: i32, count: i32, dw: usize,
): void {
  let a = v128.load(dw);
  let xr = x;
  let gr = g;
  for (let r = 0; r < rows; r++) {
    let xp = xr;
    let gp = gr;
    for (let i = 0; i < count; i++) {
      a = madd4(v128.load32_splat(xp), v128.load(gp), a);
      xp += xStep;
      gp += gStep;
    }
    xr += xRowStep;
    gr += gRowStep;
  }
  v128.store(dw, a);
}

export function tile1x1(
  x: usize, xStep: usize, xRowStep: usize, g: usize, gStep: usize, gRowStep: usize,
  rows: i32, count: i32, dw: usize,
): void {
  let a = load<f32>(dw);
  let xr = x;
  let gr = g;
  for (let r = 0; r < rows; r++) {
    let xp = xr;
    let gp = gr;
    for (let i = 0; i < count; i++) {
      a += load<f32>(xp) * load<f32>(gp);
      xp += xStep;
      gp += gStep;
    }
    xr += xRowStep;
    gr += gRowStep;
  }
  store<f32>(dw, a);
}
