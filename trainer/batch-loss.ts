// A loader batch's target arrays as tensors, and the detector's loss over every stack's heads.
// Target keys are the target builders' field names (trainer/targets/*), concatenated over the batch.
import type { Scalar, Tensor2D, Tensor3D, Tensor4D } from '@tensorflow/tfjs-core';
import type { ModelConfig } from '../runtime/model/config.js';
import type { TF } from './backend.js';
import type { Batch } from './data/loader.js';
import { centerNetLoss } from './losses/centernet-loss.js';
import { cornerNetLoss } from './losses/cornernet-loss.js';
import { attentionHeads } from '../runtime/model/parts/cornernet-saccade-head.js';
import { attentionTarget } from './targets/index.js';
import type { GraphOutputs } from './model/tf-graph.js';

export function batchLoss(tf: TF, config: ModelConfig, outputs: GraphOutputs, batch: Pick<Batch, 'shape' | 'targets'>, outputSize: [number, number]): Record<string, Scalar> {
  const b = batch.shape[0];
  const [oh, ow] = outputSize;
  const c = config.numClasses;
  const t = batch.targets;
  const get = (key: string) => {
    const v = t[key];
    if (!v) throw new Error(`train: the loader's batch has no "${key}" target (has: ${Object.keys(t).join(', ')})`);
    return v;
  };
  const maxObjs = get('mask').length / b;
  const heat = (key: string) => tf.tensor4d(get(key), [b, oh, ow, c]) as Tensor4D;
  const pairs = (key: string) => tf.tensor3d(get(key), [b, maxObjs, 2]) as Tensor3D;
  const slots = (key: string, dtype: 'float32' | 'int32') => tf.tensor2d(get(key), [b, maxObjs], dtype) as Tensor2D;
  if (config.detector === 'centernet') {
    const loss = centerNetLoss(tf, outputs, {
      heatmap: heat('heatmap'),
      size: pairs('size'),
      offset: pairs('offset'),
      index: slots('index', 'int32'),
      mask: slots('mask', 'float32'),
    });
    return { ...loss };
  }
  // CornerNet-Saccade's valid masks and attention maps, when the batch has them (target kind 'cornernet-saccade')
  const saccade = t.tlValid !== undefined;
  const attention = (saccade ? attentionHeads(outputs) : []).map((name, i) => {
    const [, h, w] = outputs.get(name)![0].shape;
    return tf.tensor4d(get(attentionTarget(i)), [b, h, w, 1]) as Tensor4D;
  });
  const loss = cornerNetLoss(tf, outputs, {
    tlHeatmap: heat('tlHeatmap'),
    brHeatmap: heat('brHeatmap'),
    tlIndex: slots('tlIndex', 'int32'),
    brIndex: slots('brIndex', 'int32'),
    tlOffset: pairs('tlOffset'),
    brOffset: pairs('brOffset'),
    mask: slots('mask', 'float32'),
    ...(saccade ? { tlValid: heat('tlValid'), brValid: heat('brValid'), attention } : {}),
  });
  return { ...loss };
}
