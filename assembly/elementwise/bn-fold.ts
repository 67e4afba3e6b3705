// Batch norm's per-channel factors for folding it into the preceding layer, computed as the
// JavaScript spec does (runtime/engine/fold.ts: each product and quotient in f64, each stored value
// rounded to f32), so that the two agree bit for bit (test/ops/f16-fold.test.ts):
//   scale = f32(gamma / sqrt(var + eps)), shift = f32(beta - mean * scale),
//   bias' = f32(bias * scale + shift)          (the caller passes zeros for a layer without bias)
// Why a kernel: the JavaScript loop runs once per layer on a cold create(), in the interpreter,
// which boxes every intermediate double (~560 KB of garbage for the default model: one of the three
// scavenges of the young generation in its cold create()).
// All arrays hold n f32 values; biasOut may alias bias.
export function bnFoldF32(
  gamma: usize, beta: usize, mean: usize, variance: usize, bias: usize, n: i32, eps: f64,
  scaleOut: usize, shiftOut: usize, biasOut: usize,
): void {
  for (let o: usize = 0; o < (<usize>n << 2); o += 4) {
    const scale = <f32>(<f64>load<f32>(gamma + o) / Math.sqrt(<f64>load<f32>(variance + o) + eps));
    const shift = <f32>(<f64>load<f32>(beta + o) - <f64>load<f32>(mean + o) * <f64>scale);
    store<f32>(scaleOut + o, scale);
    store<f32>(shiftOut + o, shift);
    store<f32>(biasOut + o, <f32>(<f64>load<f32>(bias + o) * <f64>scale + <f64>shift));
  }
}
