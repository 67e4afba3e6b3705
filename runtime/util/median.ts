// The median of a list of numbers: the calibration cache's samples (runtime/wasm/calibration-cache.ts)
// and the benchmarks' rounds (bench/interleaved.ts).

/** The median of a non-empty list (the mean of the middle two for an even length). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error('median: no values');
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
