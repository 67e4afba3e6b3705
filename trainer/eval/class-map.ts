// Which dataset category each model class is scored against. Model channel i is NOT assumed to be
// the dataset's i-th category: classes are matched to categories by label name, or by a map the
// user gives (`eval --class-map FILE`), and any mismatch is an Error before a single image runs,
// because a wrong pairing silently gives a wrong AP.
import { readFile } from 'node:fs/promises';
import type { Dataset } from '../data/types.js';

/** Model label -> dataset category id, category name, or null (leave the class out of the scores). */
export type ClassMap = Record<string, number | string | null>;

export interface ClassMapping {
  /** Model class -> dataset category id; undefined: the class is left out (its detections dropped). */
  categoryOfClass: (number | undefined)[];
  /** Dataset channel (index into ds.categories) -> model class; undefined where no class maps to it. */
  classOfChannel: (number | undefined)[];
}

const HINT = 'give --class-map FILE: a JSON object { "model label": dataset category id or name, or null to leave the class out }';

/**
 * Pairs the model's classes with the dataset's categories. Refuses: a model class with no
 * category (unless mapped to null), two classes on one category, a category that has annotations
 * in `ds.images` but no class, a duplicate or unknown name, a map key that is not a model label.
 */
export function mapClasses(modelLabels: readonly string[], ds: Dataset, classMap?: ClassMap, where = 'eval'): ClassMapping {
  if (classMap !== undefined) checkClassMap(classMap, where);
  const problems: string[] = [];
  const labelCount = new Map<string, number>();
  for (const l of modelLabels) labelCount.set(l, (labelCount.get(l) ?? 0) + 1);
  for (const key of Object.keys(classMap ?? {})) {
    if (!labelCount.has(key)) problems.push(`the class map names "${key}", which is not a model class (model classes: ${modelLabels.join(', ')})`);
  }
  const channelById = new Map(ds.categories.map((c, i) => [c.id, i]));
  const channelsByName = new Map<string, number[]>();
  ds.categories.forEach((c, i) => channelsByName.set(c.name, [...(channelsByName.get(c.name) ?? []), i]));
  const describeCategories = () => ds.categories.map((c) => `${c.id} "${c.name}"`).join(', ');

  const categoryOfClass: (number | undefined)[] = [];
  const classOfChannel: (number | undefined)[] = ds.categories.map(() => undefined);
  modelLabels.forEach((label, i) => {
    const cls = `model class ${i} "${label}"`;
    if ((labelCount.get(label) ?? 0) > 1 && !(classMap && Object.hasOwn(classMap, label))) {
      problems.push(`${cls}: the model has ${labelCount.get(label)} classes with this name`);
      categoryOfClass.push(undefined);
      return;
    }
    const wanted = classMap && Object.hasOwn(classMap, label) ? classMap[label] : label;
    if (wanted === null) {
      categoryOfClass.push(undefined);
      return;
    }
    let channel: number | undefined;
    if (typeof wanted === 'number') {
      channel = channelById.get(wanted);
      if (channel === undefined) problems.push(`${cls}: the class map gives category id ${wanted}, which the dataset does not have`);
    } else {
      const found = channelsByName.get(wanted) ?? [];
      if (found.length === 1) channel = found[0];
      else if (found.length === 0) problems.push(`${cls}: the dataset has no category named "${wanted}"`);
      else problems.push(`${cls}: the dataset has ${found.length} categories named "${wanted}" (ids ${found.map((c) => ds.categories[c].id).join(', ')})`);
    }
    if (channel !== undefined) {
      const taken = classOfChannel[channel];
      if (taken !== undefined) problems.push(`${cls} and model class ${taken} "${modelLabels[taken]}" both map to category ${ds.categories[channel].id} "${ds.categories[channel].name}"`);
      else classOfChannel[channel] = i;
    }
    categoryOfClass.push(channel === undefined ? undefined : ds.categories[channel].id);
  });

  // a category with objects but no class would count every one of its objects as missed
  const annotated = new Map<number, number>();
  for (const img of ds.images) for (const c of img.classIds) annotated.set(c, (annotated.get(c) ?? 0) + 1);
  for (const [channel, count] of annotated) {
    if (classOfChannel[channel] === undefined) {
      const c = ds.categories[channel];
      problems.push(`dataset category ${c.id} "${c.name}" has ${count} object(s) but no model class maps to it`);
    }
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 8).map((p) => `  - ${p}`).join('\n');
    const more = problems.length > 8 ? `\n  - ... and ${problems.length - 8} more` : '';
    throw new Error(
      `${where}: the model's classes do not match the dataset's categories:\n${shown}${more}\n` +
        `model classes: ${modelLabels.map((l, i) => `${i} "${l}"`).join(', ')}\ndataset categories: ${describeCategories()}\n${HINT}`,
    );
  }
  return { categoryOfClass, classOfChannel };
}

function checkClassMap(map: unknown, where: string): asserts map is ClassMap {
  if (typeof map !== 'object' || map === null || Array.isArray(map)) throw new Error(`${where}: the class map must be a JSON object { "model label": category id or name or null }`);
  for (const [k, v] of Object.entries(map)) {
    const ok = v === null || (typeof v === 'string' && v !== '') || (typeof v === 'number' && Number.isFinite(v));
    if (!ok) throw new Error(`${where}: class map entry "${k}" must be a category id (number), a category name (string) or null, got ${JSON.stringify(v)}`);
  }
}

/** Reads a class map JSON file; errors name the file. */
export async function readClassMap(file: string, where = 'eval: --class-map'): Promise<ClassMap> {
  const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new Error(`${where} ${file}: cannot read it (${e.code === 'ENOENT' ? 'no such file' : e.code ?? e.message})`);
  });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${where} ${file}: invalid JSON (${(e as Error).message})`);
  }
  checkClassMap(json, `${where} ${file}`);
  return json;
}
