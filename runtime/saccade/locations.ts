// Locations from detections and their suppression (official get_ref_locs and location_nms).
import type { Detection } from '../decode/boxes.js';
import type { Location } from './crop.js';

/**
 * get_ref_locs: every detection scoring above minScore becomes a location at its box centre,
 * zoomed so that its longer side becomes 192 (sides over 96), 64 (over 32) or 24 canvas pixels;
 * score 1, so these come before attention locations.
 */
export function referenceLocations(dets: readonly Detection[], minScore: number): Location[] {
  const out: Location[] = [];
  for (const { box, score } of dets) {
    if (!(score > minScore)) continue;
    const side = Math.max(box.xmax - box.xmin, box.ymax - box.ymin);
    const target = side > 96 ? 192 : side > 32 ? 64 : 24;
    out.push({ y: (box.ymin + box.ymax) / 2, x: (box.xmin + box.xmax) / 2, scale: target / side, score: 1 });
  }
  return out;
}

/**
 * location_nms: best score first, each taken location removes the others whose distance (the
 * smaller of |dy| and |dx|, as officially) is at most distance / its scale, unless their scales
 * differ by more than 20% (ratio taken / other outside [0.8, 1.2]). Equal scores: the later
 * location first (the official descending order is numpy's argsort reversed).
 */
export function suppressLocations(locations: readonly Location[], distance: number): Location[] {
  const order = locations.map((_, i) => i).sort((a, b) => locations[b].score - locations[a].score || b - a);
  let remaining = order.map((i) => locations[i]);
  const kept: Location[] = [];
  while (remaining.length > 0) {
    const first = remaining[0];
    kept.push(first);
    const reach = distance / first.scale;
    remaining = remaining.filter((l) => {
      const dist = Math.min(Math.abs(first.y - l.y), Math.abs(first.x - l.x));
      const ratio = first.scale / l.scale;
      return dist > reach || ratio > 1.2 || ratio < 0.8;
    });
  }
  return kept;
}
