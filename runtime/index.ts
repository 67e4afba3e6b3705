// The public API of the `anchorless` package (DESIGN.md): init, ObjectDetector, the two decodes,
// ops, and the model-definition and weight-file helpers the trainer shares.
export { init, type InitOptions, type WasmVariant } from './wasm/loader.js';
export { ObjectDetector, type DetectorOptions, type DetectedObject, type InferOptions } from './detector.js';
export { OFFICIAL_OUTPUT_NAMES, CORNERNET_LITE_OUTPUT_NAMES } from './model/names.js';
export {
  decodeCenterNet,
  decodeCornerNet,
  cornerNetPostprocess,
  type Box,
  type Detection,
  type CenterNetHeads,
  type CenterNetDecodeOptions,
  type CornerNetHeads,
  type CornerNetDecodeOptions,
  type Layout,
} from './decode/index.js';
export * as ops from './ops/index.js';
export type { Tensor } from './ops/tensor.js';
export type { ImageInput } from './image/source.js';
export { decodePng } from './image/png.js';
export { preset, PRESET_NAMES, describePresets } from './model/presets.js';
export { validateConfig, type ModelConfig } from './model/config.js';
export { buildGraph, registerPart } from './model/registry.js';
export { readModelFile, writeModelFile, type ModelFile } from './weights/model-file.js';
export { readTorchCheckpoint, readStateDict, tensorToFloat32, type TorchTensor, type TorchDtype } from './weights/torch/index.js';
export { importCheckpoint, importStateDict, type ImportedModel, type StateDictTensor } from './import/import.js';
export { ExecutionPlan } from './engine/plan.js';
export { exportOnnx, ONNX_INPUT, type OnnxExportOptions, type OnnxLayout } from './export/onnx.js';
