// Memory helpers for the conv kernels (loops: the build's feature set has no bulk-memory ops).

/** dst[0..bytes) = 0, bytes a multiple of 4. */
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
