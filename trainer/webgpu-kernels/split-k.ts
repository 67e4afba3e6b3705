// What the weight-gradient kernels share: a reduction over every batch position (N x OH x OW) cut
// into chunks, one workgroup's worth each, so that a GPU has enough workgroups to run at once; the
// chunks' partial sums then added up in chunk order by a second program (no atomics: the result is
// the same from run to run, which the trainer's exact resume depends on).
import { flatDispatch, type TensorInfo, type WebGpuBackendLike, type WebGpuProgram } from './program.js';

/** Aim for about this many workgroups, so that a large GPU has enough to run at once. */
const TARGET_WORKGROUPS = 4096;
/** Each workgroup reduces at least this many positions (fewer, and the partials cost more than they save). */
const MIN_CHUNK = 256;
/** The partial sums' buffer stays under this many bytes (more chunks, more partials). */
export const MAX_PARTIAL_BYTES = 128 << 20;

/**
 * How `positions` are cut: the chunk length (a multiple of `step`, at least MIN_CHUNK) and the
 * number of chunks, for a kernel that runs `workgroups` workgroups and writes `outputs` partial
 * sums per chunk.
 */
export function splitPositions(positions: number, workgroups: number, outputs: number, step: number): { chunkLen: number; chunks: number } {
  const wanted = Math.max(1, Math.ceil(TARGET_WORKGROUPS / workgroups));
  const byMemory = Math.max(1, Math.floor(MAX_PARTIAL_BYTES / (outputs * 4)));
  let chunkLen = Math.max(MIN_CHUNK, Math.ceil(positions / Math.min(wanted, byMemory)));
  chunkLen = Math.ceil(chunkLen / step) * step;
  return { chunkLen, chunks: Math.ceil(positions / chunkLen) };
}

/** out[i] = sum over chunks c, in order, of partials[c, i]. */
function sumChunksProgram(outputShape: number[]): WebGpuProgram {
  const size = outputShape.reduce((a, b) => a * b, 1);
  return {
    variableNames: ['partials'],
    outputShape,
    shaderKey: 'anchorlessSumChunks',
    dispatchLayout: { x: outputShape.map((_, i) => i) },
    ...flatDispatch(size),
    uniforms: 'chunks : i32,',
    getUserCode: () => `
      ${'fn main(index : i32)'} {
        if (index < uniforms.size) {
          var sum = 0.0;
          for (var c = 0; c < uniforms.chunks; c = c + 1) {
            sum = sum + partials[c * uniforms.size + index];
          }
          setOutputAtIndex(index, sum);
        }
      }
    `,
  };
}

/**
 * Runs `partials` (its output: one row of partial sums per chunk, `chunks` rows) on `inputs`, then
 * adds the rows in chunk order into a tensor of `outputShape`; the partials are freed.
 */
export function runSplitK(backend: WebGpuBackendLike, partials: WebGpuProgram, inputs: TensorInfo[], uniforms: { type: string; data: number[] }[], outputShape: number[], chunks: number): TensorInfo {
  const rows = backend.runWebGPUProgram(partials, inputs, 'float32', uniforms);
  const out = backend.runWebGPUProgram(sumChunksProgram(outputShape), [rows], 'float32', [{ type: 'int32', data: [chunks] }]);
  backend.disposeData(rows.dataId);
  return out;
}
