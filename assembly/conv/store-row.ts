// Epilogue store of one GEMM tile row: the first nc (1..8) channels of an 8-wide row held in two
// f32x4 registers, as whole vectors, then 4 lanes, then 2, then 1 (cout not a multiple of 8 or 4).

// @ts-ignore: decorator
@inline
export function storeRow8(c: usize, nc: i32, lo: v128, hi: v128): void {
  if (nc == 8) {
    v128.store(c, lo);
    v128.store(c, hi, 16);
    return;
  }
  if (nc >= 4) {
    v128.store(c, lo);
    lo = hi;
    c += 16;
    nc -= 4;
  }
  if (nc >= 2) {
    v128.store64_lane(c, lo, 0);
    lo = v128.shuffle<f32>(lo, lo, 2, 3, 2, 3);
    c += 8;
    nc -= 2;
  }
  if (nc >= 1) store<f32>(c, f32x4.extract_lane(lo, 0));
}
