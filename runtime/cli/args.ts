// A small, strict command-line parser: --name value, --name=value, boolean --flags, positionals.
// Unknown options are an Error naming the option, so typos never pass silently.

export interface OptionSpec {
  /** 'string' takes a value; 'boolean' does not. */
  type: 'string' | 'boolean';
  /** Repeated use collects values into an array (string options only). */
  multiple?: boolean;
  help: string;
}

export interface Parsed {
  options: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

export function parseArgs(command: string, argv: string[], spec: Record<string, OptionSpec>): Parsed {
  const options: Parsed['options'] = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const s = spec[name];
    if (!s) throw new Error(`${command}: unknown option --${name} (options: ${Object.keys(spec).map((k) => `--${k}`).join(', ')})`);
    if (s.type === 'boolean') {
      if (eq >= 0) throw new Error(`${command}: --${name} takes no value`);
      options[name] = true;
      continue;
    }
    let value: string;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      if (i + 1 >= argv.length || argv[i + 1].startsWith('--')) throw new Error(`${command}: --${name} needs a value`);
      value = argv[++i];
    }
    // an empty value (`--out ''`, `--out=`) is never meant: say so here, by the flag's name
    if (value === '') throw new Error(`${command}: --${name} needs a value, got an empty string`);
    if (s.multiple) options[name] = [...((options[name] as string[] | undefined) ?? []), value];
    else options[name] = value;
  }
  return { options, positionals };
}

export function helpText(usage: string, spec: Record<string, OptionSpec>): string {
  const names = Object.entries(spec).map(([k, s]) => `  --${k}${s.type === 'string' ? ' <value>' : ''}`);
  // the help column starts after the longest option name, so no name runs into its help
  const width = Math.max(28, ...names.map((n) => n.length + 2));
  const rows = Object.values(spec).map((s, i) => names[i].padEnd(width) + s.help);
  return `${usage}\n\nOptions:\n${rows.join('\n')}`;
}

/** A numeric option with bounds, with the option's name in the error. */
export function numberOption(command: string, name: string, v: unknown, fallback: number, { integer = false, min = -Infinity, max = Infinity } = {}): number {
  if (v === undefined) return fallback;
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
    throw new Error(`${command}: --${name} must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got ${String(v)}`);
  }
  return n;
}
