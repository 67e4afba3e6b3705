// Cache blocking shared by the GEMM drivers: output pixels are taken BLOCK_PIXELS at a time so that
// the input rows they read stay in cache while every weight panel passes over them.

/** Output pixels per block: a multiple of the 4-row micro-kernel tile. */
export const BLOCK_PIXELS: i32 = 64;

/** Bytes of a 16-byte aligned zero row of kc floats (the padding row of the indirect GEMM). */
// @ts-ignore: decorator
@inline
export function zeroRowBytes(kc: i32): usize {
  return (<usize>kc * 4 + 15) & ~(<usize>15);
}

/** dst[0..bytes) = 0, bytes a multiple of 4. (A loop: the build's feature set has no memory.fill.) */
export function zeroBytes(dst: usize, bytes: usize): void {
  let i: usize = 0;
  for (; i + 16 <= bytes; i += 16) v128.store(dst + i, i32x4.splat(0));
  for (; i < bytes; i += 4) store<i32>(dst + i, 0);
}

/** dst[0..bytes) = src[0..bytes), bytes a multiple of 4, no overlap. */
export function copyBytes(dst: usize, src: usize, bytes: usize): void {
  let i: usize = 0;
  for (; i + 16 <= bytes; i += 16) v128.store(dst + i, v128.load(src + i));
  for (; i < bytes; i += 4) store<i32>(dst + i, load<i32>(src + i));
}
