// Reads the PyTorch-computed decode cases in test/fixtures/contract/ (format: ../shared/contract/README.md):
// tensors are { dtype, shape, b64 } little-endian, row-major, 4-D ones NHWC.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Tensor } from '../../runtime/ops/tensor.js';

interface Encoded {
  dtype: 'f32' | 'i32';
  shape: number[];
  b64: string;
}

export function loadCases(name: string): Record<string, unknown>[] {
  const path = fileURLToPath(new URL(`../fixtures/contract/${name}.json`, import.meta.url));
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>[];
}

export function tensorOf(v: unknown): Tensor {
  const e = v as Encoded;
  if (e.dtype !== 'f32') throw new Error(`expected an f32 tensor, got ${e.dtype}`);
  const bytes = Buffer.from(e.b64, 'base64');
  const data = new Float32Array(bytes.length / 4);
  for (let i = 0; i < data.length; i++) data[i] = bytes.readFloatLE(i * 4);
  return { data, shape: e.shape };
}

/** dets rows [x1, y1, x2, y2, score, class] as plain arrays. */
export function rowsOf(v: unknown): number[][] {
  const t = tensorOf(v);
  const [n, w] = t.shape;
  return Array.from({ length: n }, (_, i) => Array.from(t.data.subarray(i * w, (i + 1) * w)));
}
