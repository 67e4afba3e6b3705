// `anchorless export ... --onnx FILE`: the ONNX half of the export command (trainer/cli/export.ts
// parses the sources; this writes the ONNX file). Runtime-only: `--model m.safetensors --onnx
// m.onnx` converts a model file without the trainer's stack.
import type { ModelConfig } from '../model/config.js';
import { exportOnnx, type OnnxLayout } from '../export/onnx.js';
import { numberOption, type OptionSpec } from './args.js';
import { writeFileAtomic } from '../util/atomic-write.js';

export const ONNX_OPTIONS: Record<string, OptionSpec> = {
  onnx: { type: 'string', help: 'also (or only) write the inference network as ONNX to this file' },
  'onnx-layout': { type: 'string', help: 'with --onnx: NCHW (default) or NHWC input and outputs' },
  'onnx-opset': { type: 'string', help: 'with --onnx: opset 13..21 (default 13; 19 with deformable convs)' },
};

export interface OnnxRequest {
  file: string;
  layout: OnnxLayout;
  opset?: number;
}

/** Checks the --onnx options (before any work): undefined when --onnx is not given. */
export function onnxRequest(o: Record<string, unknown>): OnnxRequest | undefined {
  if (o.onnx === undefined) {
    for (const name of ['onnx-layout', 'onnx-opset']) if (o[name] !== undefined) throw new Error(`export: --${name} needs --onnx FILE`);
    return undefined;
  }
  if (typeof o.onnx !== 'string' || o.onnx === '') throw new Error('export: --onnx needs a file name');
  const layout = o['onnx-layout'] ?? 'NCHW';
  if (layout !== 'NCHW' && layout !== 'NHWC') throw new Error(`export: --onnx-layout must be NCHW or NHWC, got ${String(layout)}`);
  const opset = o['onnx-opset'] === undefined ? undefined : numberOption('export', 'onnx-opset', o['onnx-opset'], 13, { integer: true, min: 13, max: 21 });
  return { file: o.onnx, layout, ...(opset === undefined ? {} : { opset }) };
}

/** Writes the ONNX export atomically (an existing file only with `overwrite`); returns its size in bytes. */
export async function writeOnnx(request: OnnxRequest, config: ModelConfig, weights: ReadonlyMap<string, Float32Array>, overwrite: boolean): Promise<number> {
  let bytes: Uint8Array;
  try {
    bytes = exportOnnx(config, weights instanceof Map ? weights : new Map(weights), { layout: request.layout, ...(request.opset === undefined ? {} : { opset: request.opset }) });
  } catch (e) {
    throw new Error(`export: --onnx ${request.file}: ${(e as Error).message}`);
  }
  await writeFileAtomic(request.file, bytes, { overwrite, label: `export: --onnx ${request.file}` });
  return bytes.length;
}
