// mulberry32: the seeded pseudo-random stream used wherever the project needs reproducible
// randomness (synthetic data, augmentation draws, weight initialisation, tests, benchmarks).
// Small and fast; the same seed gives the same stream on every platform.

/** Uniform numbers in [0, 1) from a 32-bit seed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
