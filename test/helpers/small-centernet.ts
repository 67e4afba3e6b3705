// A small CenterNet (ResNet with one block per stage, 4-8 channels, 64x64 input, 2 classes): the
// model of the weight-file tests, f32 and int8, quick to build and to write.
import { validateConfig, type ModelConfig } from '../../runtime/model/config.js';

export function smallCenterNet(name: string): ModelConfig {
  return validateConfig(
    {
      format: 'anchorless-model/1',
      name,
      detector: 'centernet',
      backbone: { type: 'resnet', layers: [1, 1, 1, 1], channels: [4, 4, 8, 8], stemChannels: 4 },
      neck: { type: 'deconv', channels: [8, 4, 4] },
      head: { type: 'centernet', headChannels: 4 },
      numClasses: 2,
      labels: ['cat', 'dog'],
      inputSize: [64, 64],
      mean: [0.5, 0.5, 0.5],
      std: [0.25, 0.25, 0.25],
    },
    `${name} config`,
  );
}
