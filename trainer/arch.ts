// What `train --arch` names: a preset, or a model config JSON file (the ModelConfig a model file
// carries in its metadata: parts from the registry, their widths, the input size), so that an
// architecture other than the presets trains without code. Its classes are the data's: left out,
// they are filled in; given, they must be the data's.
import { readFile } from 'node:fs/promises';
import { validateConfig, type ModelConfig } from '../runtime/model/config.js';
import { preset } from '../runtime/model/presets.js';

/** `--arch` values ending in .json are model config files; anything else is a preset name. */
export const isConfigFile = (arch: string): boolean => arch.toLowerCase().endsWith('.json');

export async function archConfig(arch: string, labels: string[], inputSize?: [number, number]): Promise<ModelConfig> {
  if (!isConfigFile(arch)) return preset(arch, { labels, ...(inputSize ? { inputSize } : {}) });
  const source = `train: --arch ${arch}`;
  let text: string;
  try {
    text = await readFile(arch, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`${source}: cannot read the model config (${code === 'ENOENT' ? 'no such file' : code ?? (e as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`${source}: model config is not valid JSON (${(e as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${source}: model config must be a JSON object`);
  const o = raw as Record<string, unknown>;
  if (o.labels !== undefined && JSON.stringify(o.labels) !== JSON.stringify(labels)) {
    throw new Error(`${source}: its labels ${JSON.stringify(o.labels)} are not --data's classes ${JSON.stringify(labels)} (leave labels and numClasses out to take the data's)`);
  }
  return validateConfig({ ...o, numClasses: o.numClasses ?? labels.length, labels, ...(inputSize ? { inputSize } : {}) }, source);
}
