// A training run's metrics.jsonl as the tests read it (no TensorFlow.js: the runtime tests use it too).
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The training loss of each step in a run's metrics.jsonl (`run`: the train command's --out). */
export function trainLosses(run: string): number[] {
  return readFileSync(path.join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; total: number }).filter((l) => l.type === 'train').map((l) => l.total);
}
