// The GEMM register tile, MR output pixels x 8 output channels, and the drivers' entry points to its
// micro-kernels. Output pixels are taken BLOCK_PIXELS at a time so that the input rows a block reads
// stay in cache while every weight panel passes over them.
// 4x8 in both builds. Wider tiles would hide the fused multiply-add's 4-cycle latency better (the
// relaxed 4x8 has exactly 8 chains for 2 FMAs per cycle), but V8's register allocator spills their
// accumulators every iteration: measured on the 3x3 ResNet layers (relaxed build), 5x8 39, 6x8 46,
// 4x8 59 GFLOP/s.
import { gemm4x8 } from './gemm-4x8';
import { igemm4x8 } from './igemm-4x8';

/** Output pixels per micro-kernel call. */
export const MR: i32 = 4;

/** Output pixels per cache block: a multiple of MR. */
export const BLOCK_PIXELS: i32 = 16 * MR;

/** Rows r < mr of a GEMM tile over contiguous rows a + r*aStride -> c + r*cStride (gemm-4x8.ts). */
// @ts-ignore: decorator
@inline
export function gemmTile(mr: i32, kc: i32, a: usize, aStride: usize, w: usize, c: usize, cStride: usize, nc: i32, relu: i32): void {
  gemm4x8(mr, kc, a, aStride, w, c, cStride, nc, relu);
}

/** An indirect GEMM tile: ks taps of MR row pointers at ind, MR output pointers at cRows (igemm-4x8.ts). */
// @ts-ignore: decorator
@inline
export function igemmTile(kc: i32, ks: i32, ind: usize, w: usize, cRows: usize, cOff: usize, nc: i32, relu: i32): void {
  igemm4x8(kc, ks, ind, w, cRows, cOff, nc, relu);
}

/** Bytes of a 16-byte aligned zero row of kc floats (the padding row of the indirect GEMM). */
// @ts-ignore: decorator
@inline
export function zeroRowBytes(kc: i32): usize {
  return (<usize>kc * 4 + 15) & ~(<usize>15);
}

/** Bytes of one block's indirection buffer (ks taps x MR pointers per tile) plus its output row pointers. */
// @ts-ignore: decorator
@inline
export function indirectionBytes(ks: i32): usize {
  return <usize>(BLOCK_PIXELS / MR) * (<usize>ks + 1) * MR * 4;
}
