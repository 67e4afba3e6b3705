// Batch norm's per-channel factors for folding it into the preceding layer, computed as the
// JavaScript spec does (runtime/engine/fold.ts: each product and quotient in f64, each stored value
// rounded to f32), so that the two agree bit for bit:
//   scale = f32(gamma / sqrt(var + eps)), shift = f32(beta - mean * scale),
//   bias' = f32(bias * scale + shift)          (bias 0 where the layer has none)
// Why a kernel: the JavaScript loop runs once per layer on a cold create(), in the interpreter,
// which boxes every intermediate double (~600 KB of garbage for the default model: one more
// scavenge of the young generation, ~3 ms of its cold start).
// All arrays hold n f32 values; biasOut may alias bias. shiftOut may be 0 (not written).
export function bnFoldF32(
  gamma: usize, beta: usize, mean: usize, variance: usize, bias: usize, hasBias: i32, n: i32, eps: f64,
  scaleOut: usize, shiftOut: usize, biasOut: usize,
): void {
  for (let c = 0; c < n; c++) {
    const o = <usize>c << 2;
    const scale = <f32>(<f64>load<f32>(gamma + o) / Math.sqrt(<f64>load<f32>(variance + o) + eps));
    const shift = <f32>(<f64>load<f32>(beta + o) - <f64>load<f32>(mean + o) * <f64>scale);
    const b: f64 = hasBias ? <f64>load<f32>(bias + o) : 0.0;
    store<f32>(scaleOut + o, scale);
    if (shiftOut) store<f32>(shiftOut + o, shift);
    store<f32>(biasOut + o, <f32>(b * <f64>scale + <f64>shift));
  }
}
