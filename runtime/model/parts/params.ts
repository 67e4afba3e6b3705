// Reads one part's parameters out of untrusted config JSON: every field typed, range-checked and
// defaulted, every error naming the field (`model.json: backbone.channels[2] must be ...`), and
// unknown fields refused so that a typo never silently falls back to a default.

export type RawParams = Record<string, unknown>;

export class ParamReader {
  private readonly seen = new Set<string>(['type']);

  /** `at` names the part in errors, e.g. `model.json: backbone`. */
  constructor(private readonly raw: RawParams, private readonly at: string) {}

  int(key: string, o: { min?: number; max?: number; default?: number } = {}): number {
    const v = this.get(key, o.default);
    return checkInt(v, `${this.at}.${key}`, o.min ?? 1, o.max ?? MAX_DIM);
  }

  intArray(key: string, o: { min?: number; max?: number; minLength?: number; maxLength?: number; default?: number[] } = {}): number[] {
    const v = this.get(key, o.default);
    const where = `${this.at}.${key}`;
    if (!Array.isArray(v)) throw new Error(`${where} must be an array of integers, got ${show(v)}`);
    const minLength = o.minLength ?? 1;
    const maxLength = o.maxLength ?? 64;
    if (v.length < minLength || v.length > maxLength) {
      throw new Error(`${where} must have ${minLength === maxLength ? minLength : `${minLength} to ${maxLength}`} entries, got ${v.length}`);
    }
    return v.map((x, i) => checkInt(x, `${where}[${i}]`, o.min ?? 1, o.max ?? MAX_DIM));
  }

  oneOf<T extends string>(key: string, options: readonly T[], fallback?: T): T {
    const v = this.get(key, fallback);
    if (typeof v !== 'string' || !options.includes(v as T)) {
      throw new Error(`${this.at}.${key} must be one of ${options.map((s) => JSON.stringify(s)).join(', ')}, got ${show(v)}`);
    }
    return v as T;
  }

  bool(key: string, fallback?: boolean): boolean {
    const v = this.get(key, fallback);
    if (typeof v !== 'boolean') throw new Error(`${this.at}.${key} must be true or false, got ${show(v)}`);
    return v;
  }

  /** An error naming this part (for checks that involve several fields). */
  fail(message: string): never {
    throw new Error(`${this.at}: ${message}`);
  }

  /** Call after reading every field: refuses fields this part does not know. */
  done(): void {
    for (const key of Object.keys(this.raw)) {
      if (!this.seen.has(key)) throw new Error(`${this.at}.${key}: unknown field for type ${JSON.stringify(this.raw.type)} (known: ${[...this.seen].join(', ')})`);
    }
  }

  private get(key: string, fallback: unknown): unknown {
    this.seen.add(key);
    const v = Object.prototype.hasOwnProperty.call(this.raw, key) ? this.raw[key] : undefined;
    if (v === undefined) {
      if (fallback === undefined) throw new Error(`${this.at}.${key} is required`);
      return Array.isArray(fallback) ? [...fallback] : fallback;
    }
    return v;
  }
}

/** Largest channel count / repeat count a config may ask for: far above any real network. */
export const MAX_DIM = 1 << 16;

/** Largest class count a config may ask for. */
export const MAX_CLASSES = 100000;

export function checkInt(v: unknown, where: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new Error(`${where} must be an integer in [${min}, ${max}], got ${show(v)}`);
  }
  return v;
}

/** A short rendering of an untrusted value for error messages. */
export function show(v: unknown): string {
  if (v === undefined) return 'undefined';
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
