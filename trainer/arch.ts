// What `--arch` names in train, data and export: a preset, or a model config JSON file (the
// ModelConfig a model file carries in its metadata: parts from the registry, their widths, the
// input size), so that an architecture other than the presets trains without code. Where the
// caller has classes (train: the data's), the file may leave them out and they are filled in;
// given, they must be the caller's.
import { readFile } from 'node:fs/promises';
import { validateConfig, type ModelConfig } from '../runtime/model/config.js';
import { preset } from '../runtime/model/presets.js';

/** `--arch` values ending in .json are model config files; anything else is a preset name. */
export const isConfigFile = (arch: string): boolean => arch.toLowerCase().endsWith('.json');

export interface ArchOptions {
  /** The command, for errors ("train", "data", "export"). */
  command: string;
  /** The classes the model must have (train: the data's). */
  labels?: string[];
  /** Without labels: how many classes (placeholder names class0...); a file's own classes win unless given. */
  numClasses?: number;
  inputSize?: [number, number];
}

export async function archConfig(arch: string, o: ArchOptions): Promise<ModelConfig> {
  if (!isConfigFile(arch)) return preset(arch, { ...(o.labels ? { labels: o.labels } : {}), ...(o.numClasses !== undefined ? { numClasses: o.numClasses } : {}), ...(o.inputSize ? { inputSize: o.inputSize } : {}) });
  const source = `${o.command}: --arch ${arch}`;
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
  const c = raw as Record<string, unknown>;
  let classes: { numClasses?: unknown; labels?: unknown } = {};
  if (o.labels) {
    if (c.labels !== undefined && JSON.stringify(c.labels) !== JSON.stringify(o.labels)) {
      throw new Error(`${source}: its labels ${JSON.stringify(c.labels)} are not --data's classes ${JSON.stringify(o.labels)} (leave labels and numClasses out to take the data's)`);
    }
    classes = { numClasses: c.numClasses ?? o.labels.length, labels: o.labels };
  } else if (o.numClasses !== undefined || c.labels === undefined) {
    // the presets' default: COCO's 80 classes, placeholder names where the file has none
    const n = o.numClasses ?? (typeof c.numClasses === 'number' ? c.numClasses : 80);
    classes = { numClasses: n, labels: Number.isInteger(n) && n >= 1 && n <= 100000 ? Array.from({ length: n }, (_, i) => `class${i}`) : c.labels };
  }
  return validateConfig({ ...c, ...classes, ...(o.inputSize ? { inputSize: o.inputSize } : {}) }, source);
}
