// Two ways a model and a dataset may legitimately differ in classes, each said in one warning:
// - `eval --ignore-unknown-classes`: the objects of dataset categories that no model class maps to
//   are taken out of the ground truth, instead of mapClasses' Error. Asked for explicitly only:
//   every such object would otherwise count as missed.
// - a dataset whose categories are just the names its objects use (VOC without a class list): a
//   model class whose name does not occur has no objects here, and is left out of the scores.
import type { Dataset, DatasetImage } from '../data/types.js';
import { mapClasses, type ClassMap } from './class-map.js';

export function dropUnmatchedObjects(modelLabels: readonly string[], ds: Dataset, classMap?: ClassMap, onWarning?: (message: string) => void): Dataset {
  // the pairing of classes to categories alone (no images: no "category without a class" error)
  const { classOfChannel } = mapClasses(modelLabels, { ...ds, images: [] }, classMap);
  const dropped = new Map<number, number>();
  const images = ds.images.map((img): DatasetImage => {
    const keep = img.classIds.map((c) => classOfChannel[c] !== undefined);
    if (keep.every(Boolean)) return img;
    img.classIds.forEach((c, j) => {
      if (!keep[j]) dropped.set(c, (dropped.get(c) ?? 0) + 1);
    });
    const pick = <T>(a: T[]) => a.filter((_, j) => keep[j]);
    return {
      ...img,
      boxes: pick(img.boxes),
      classIds: pick(img.classIds),
      iscrowd: pick(img.iscrowd),
      difficult: pick(img.difficult),
      areas: pick(img.areas),
      ...(img.truncated ? { truncated: pick(img.truncated) } : {}),
    };
  });
  if (dropped.size > 0) {
    const total = [...dropped.values()].reduce((a, b) => a + b, 0);
    const which = [...dropped].map(([c, k]) => `"${ds.categories[c].name}" (${k})`).join(', ');
    onWarning?.(`${total} object(s) of categories the model does not have are left out of the scores: ${which}`);
  }
  return { ...ds, images };
}

/** The class map, plus `label: null` for each model label that names no dataset category (and is not mapped already). */
export function withAbsentClassesLeftOut(modelLabels: readonly string[], ds: Dataset, classMap?: ClassMap, onWarning?: (message: string) => void): ClassMap | undefined {
  const names = new Set(ds.categories.map((c) => c.name));
  const absent = modelLabels.filter((l) => !names.has(l) && !(classMap && Object.hasOwn(classMap, l)));
  if (absent.length === 0) return classMap;
  onWarning?.(`model classes with no objects in this data are not scored: ${absent.join(', ')}`);
  return { ...classMap, ...Object.fromEntries(absent.map((l) => [l, null])) };
}
