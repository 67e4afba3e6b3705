// Which models run the CornerNet-Saccade procedure: a module of its own, so that the detector can
// tell without loading the procedure (index.ts), which it imports only for such models.
import type { ModelConfig } from '../model/config.js';

/** The head part that makes a model a CornerNet-Saccade (its attention heads drive the crops). */
export const SACCADE_HEAD_TYPE = 'cornernet-saccade';

export function isSaccadeModel(config: ModelConfig): boolean {
  return config.head.type === SACCADE_HEAD_TYPE;
}
