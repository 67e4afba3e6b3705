// Build-time switch between the two kernel builds: `--use RELAXED=1` selects relaxed-SIMD fused
// multiply-add; the plain SIMD128 build gets a multiply and an add. The branch is folded at compile
// time, so the SIMD128 binary never contains a relaxed opcode.
// @ts-ignore: RELAXED is introduced by asc --use
export const IS_RELAXED: bool = RELAXED != 0;

/** a * b + c, four lanes: fused (relaxed build) or multiply-then-add (SIMD128 build). */
// @ts-ignore: decorator
@inline
export function madd4(a: v128, b: v128, c: v128): v128 {
  if (IS_RELAXED) {
    return f32x4.relaxed_madd(a, b, c);
  } else {
    return f32x4.add(f32x4.mul(a, b), c);
  }
}
