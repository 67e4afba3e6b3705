// The trainer's public API (package export `anchorless/trainer`): Node only, TensorFlow.js inside.
export { train, type TrainOptions, type TrainResult } from './train.js';
export { PRESET_RECIPES, TRAIN_DEFAULTS, TINY_RECIPES, trainDefaults, type TrainDefaults } from './recipes.js';
export { evaluateModel, type Evaluation, type EvaluateOptions } from './evaluate.js';
export { selectBackend, BACKENDS, type BackendName, type SelectedBackend } from './backend.js';
export { synthDataset, type SynthOptions } from './data/synth.js';
export { loadDataset } from './data/load.js';
export { loadCocoDataset } from './data/coco.js';
export { loadVocDataset } from './data/voc.js';
export { evaluateCoco, type CocoEvalResult } from './eval/coco-eval.js';
export { vocAp } from './eval/voc-ap.js';
export { toCocoResults, datasetToCocoGt, writeCocoResults } from './eval/results.js';
export { readCheckpoint, CHECKPOINT_FILE } from './checkpoint.js';
export type { Dataset, DatasetImage, CocoJson, CocoResult } from './data/types.js';
