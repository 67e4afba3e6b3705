// Weight packing of the int8 convolution (once per model load), two layouts. Both: per block of 8
// output channels, the 8 weight scales (f32), the 8 biases (f32), then per tap one 32-byte row per
// reduction step:
//   c2 (i16 activations, i32x4.dot_i16x8_s): step p holds 8 (w[2p][c], w[2p + 1][c]) i16 pairs, c = 0..7,
//      the operand order of the dot against a splat (a[2p], a[2p + 1]) activation pair;
//   c4 (u7 byte activations, i32x4.relaxed_dot_i8x16_i7x16_add_s): step q holds 8 groups of 4 bytes
//      (w[4q..4q+3][c]), c = 0..7, against a splat of the 4 activation bytes a[4q..4q+3].
// Input channels past cin (to a multiple of 2 or 4) and output channels past cout are padded with
// zero weights (and scale 0, bias 0).
import { PANEL } from './pack';

/** Bytes of one int8 panel: scales + biases (2 x 8 f32) + ks * steps rows of 32 bytes (c2 and c4 alike). */
// @ts-ignore: decorator
@inline
export function int8PanelBytes(ks: i32, steps: i32): usize {
  return <usize>(2 * PANEL * 4) + <usize>ks * steps * (PANEL * 4);
}

/** Bytes taken by packInt8GemmWeights: ceil(cout / 8) panels of ks taps x ceil(cin / 2) channel pairs. */
export function int8GemmPackedBytes(ks: i32, cin: i32, cout: i32): i32 {
  return <i32>(<usize>((cout + PANEL - 1) / PANEL) * int8PanelBytes(ks, (cin + 1) >> 1));
}

/** Bytes taken by packInt8GemmWeightsC4: ceil(cout / 8) panels of ks taps x ceil(cin / 4) channel quads. */
export function int8GemmPackedBytesC4(ks: i32, cin: i32, cout: i32): i32 {
  return <i32>(<usize>((cout + PANEL - 1) / PANEL) * int8PanelBytes(ks, (cin + 3) >> 2));
}

/** The scales and biases of one panel (output channels j..j+nc), zero past nc. */
function storePanelHead(dst: usize, j: i32, nc: i32, scales: usize, bias: usize, hasBias: i32): void {
  for (let c = 0; c < PANEL; c++) {
    store<f32>(dst + (<usize>c << 2), c < nc ? load<f32>(scales + (<usize>(j + c) << 2)) : 0);
    store<f32>(dst + (<usize>(PANEL + c) << 2), hasBias && c < nc ? load<f32>(bias + (<usize>(j + c) << 2)) : 0);
  }
}

/**
 * codes: HWIO int8 weights [ks, cin, cout] (-127..127), scales [cout] (f32 per output channel),
 * bias [cout] -> out [ceil(cout/8)][scale 8 | bias 8 | ks * ceil(cin/2) rows of 8 (w[2p], w[2p+1]) i16].
 */
export function packInt8GemmWeights(codes: usize, ks: i32, cin: i32, cout: i32, scales: usize, bias: usize, hasBias: i32, out: usize): void {
  const kp = (cin + 1) >> 1;
  let dst = out;
  for (let j = 0; j < cout; j += PANEL) {
    const nc = min<i32>(PANEL, cout - j);
    storePanelHead(dst, j, nc, scales, bias, hasBias);
    dst += <usize>(2 * PANEL) << 2;
    for (let t = 0; t < ks; t++) {
      for (let p = 0; p < kp; p++) {
        for (let c = 0; c < PANEL; c++) {
          let w0: i32 = 0;
          let w1: i32 = 0;
          if (c < nc) {
            const ci = 2 * p;
            w0 = <i32>load<i8>(codes + (<usize>t * cin + ci) * cout + j + c);
            if (ci + 1 < cin) w1 = <i32>load<i8>(codes + (<usize>t * cin + ci + 1) * cout + j + c);
          }
          store<i16>(dst + (<usize>c << 2), w0);
          store<i16>(dst + (<usize>c << 2) + 2, w1);
        }
        dst += <usize>PANEL << 2;
      }
    }
  }
}

/** codes [ks, cin, cout] int8, scales, bias -> [ceil(cout/8)][scale 8 | bias 8 | ks * ceil(cin/4) rows of 8 x 4 bytes]. */
export function packInt8GemmWeightsC4(codes: usize, ks: i32, cin: i32, cout: i32, scales: usize, bias: usize, hasBias: i32, out: usize): void {
  const kq = (cin + 3) >> 2;
  let dst = out;
  for (let j = 0; j < cout; j += PANEL) {
    const nc = min<i32>(PANEL, cout - j);
    storePanelHead(dst, j, nc, scales, bias, hasBias);
    dst += <usize>(2 * PANEL) << 2;
    for (let t = 0; t < ks; t++) {
      for (let q = 0; q < kq; q++) {
        for (let c = 0; c < PANEL; c++) {
          for (let i = 0; i < 4; i++) {
            const ci = 4 * q + i;
            const v: i32 = c < nc && ci < cin ? <i32>load<i8>(codes + (<usize>t * cin + ci) * cout + j + c) : 0;
            store<i8>(dst + (<usize>c << 2) + i, v);
          }
        }
        dst += <usize>PANEL << 2;
      }
    }
  }
}
