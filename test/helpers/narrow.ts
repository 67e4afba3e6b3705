// A preset made narrower for tests that need its structure, not its width: every *Channels number
// of the config divided by 8 (at least 4).
import type { ModelConfig } from '../../runtime/model/config.js';

function narrowed(v: unknown, key = ''): unknown {
  if (typeof v === 'number') return /channels$/i.test(key) ? Math.max(4, Math.round(v / 8)) : v;
  if (Array.isArray(v)) return v.map((x) => narrowed(x, key));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, narrowed(x, k)]));
  return v;
}

/** The config with its backbone's, neck's and head's widths / 8, in place; returns it. */
export function narrowConfig(config: ModelConfig): ModelConfig {
  return Object.assign(config, narrowed({ backbone: config.backbone, neck: config.neck, head: config.head }));
}
