// One training step of centernet-tiny (forward, the CenterNet loss, backward, Adam) on the
// TensorFlow.js wasm backend with our training kernels, against the plain cpu backend, in one
// process on the same batch. Goal (trainer issue): wasm >= 20x faster than cpu.
// Env: BENCH_TRAIN_SIZE (input side, default 128), BENCH_TRAIN_BATCH (default 8).
import type { Optimizer, Tensor4D, Variable } from '@tensorflow/tfjs-core';
import { preset } from '../runtime/model/presets.js';
import { buildGraph } from '../runtime/model/registry.js';
import { inferShapes } from '../runtime/model/graph.js';
import { selectBackend, type TF } from '../trainer/backend.js';
import { initParams } from '../trainer/model/params.js';
import { runGraph } from '../trainer/model/tf-graph.js';
import { centerNetLoss, centerNetTargetTensors } from '../trainer/losses/centernet-loss.js';
import { centerNetTargets } from '../trainer/targets/centernet-targets.js';
import { rng } from '../test/helpers/random.js';

const SIZE = Number(process.env.BENCH_TRAIN_SIZE ?? 128);
const BATCH = Number(process.env.BENCH_TRAIN_BATCH ?? 8);

export async function run(): Promise<void> {
  const config = preset('centernet-tiny', { numClasses: 6, inputSize: [SIZE, SIZE] });
  const graph = buildGraph(config);
  const hm = inferShapes(graph, SIZE, SIZE).get(graph.heads.hm[0])!;
  const outputSize: [number, number] = [hm.h, hm.w];
  const r = rng(3);
  const input = Float32Array.from({ length: BATCH * SIZE * SIZE * 3 }, () => r() * 2 - 1);
  const targets = Array.from({ length: BATCH }, () => {
    const boxes: [number, number, number, number][] = [];
    const classIds: number[] = [];
    for (let k = 0; k < 4; k++) {
      const x = r() * SIZE * 0.7;
      const y = r() * SIZE * 0.7;
      boxes.push([x, y, x + 8 + r() * SIZE * 0.3, y + 8 + r() * SIZE * 0.3]);
      classIds.push(k % 6);
    }
    return centerNetTargets({ boxes, classIds }, { inputSize: [SIZE, SIZE], outputSize, numClasses: 6 });
  });

  const timeStep = async (tf: TF, steps: number): Promise<number> => {
    const params = initParams(tf, graph, 1);
    const optimizer: Optimizer = tf.train.adam(1e-3);
    const x = tf.tensor4d(input, [BATCH, SIZE, SIZE, 3]) as Tensor4D;
    const t = centerNetTargetTensors(tf, targets, outputSize, 6);
    const step = () =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => centerNetLoss(tf, runGraph(tf, graph, params.values, x, { training: true }), t).total, params.trainable as Variable[]);
        optimizer.applyGradients(grads);
        return value.dataSync()[0];
      });
    const w0 = performance.now();
    step(); // warm-up: kernel compilation, memory pools
    if (process.env.BENCH_DEBUG) console.log(`warm-up step ${(performance.now() - w0).toFixed(0)} ms`);
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) step();
    const ms = (performance.now() - t0) / steps;
    tf.dispose([x, ...Object.values(t)]);
    return ms;
  };

  const wasm = await selectBackend('wasm', { log: () => undefined });
  const wasmMs = await timeStep(wasm.tf, 5);
  const cpu = await selectBackend('cpu', { log: () => undefined });
  const cpuMs = await timeStep(cpu.tf, 1);
  const ratio = cpuMs / wasmMs;
  console.table([
    { backend: 'wasm (+ our training kernels)', 'ms/step': wasmMs.toFixed(0), 'img/s': ((BATCH * 1000) / wasmMs).toFixed(1) },
    { backend: 'cpu (plain JS)', 'ms/step': cpuMs.toFixed(0), 'img/s': ((BATCH * 1000) / cpuMs).toFixed(1) },
  ]);
  console.log(`centernet-tiny ${SIZE}x${SIZE}, batch ${BATCH}: wasm is ${ratio.toFixed(1)}x faster than cpu (goal >= 20x: ${ratio >= 20 ? 'met' : 'NOT met'})`);
  if (wasm.wasmKernels) console.log(`wasm training kernels: ours ${wasm.wasmKernels.native.join(', ') || '(none)'}; cpu fallback ${wasm.wasmKernels.cpuFallback.join(', ') || '(none)'}`);
}
