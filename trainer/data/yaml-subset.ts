// The small part of YAML that YOLO dataset files (data.yaml) use, read without a YAML package:
// top-level `key: value` pairs whose values are scalars (plain, 'single' or "double" quoted),
// flow lists `[a, 'b', c]` and flow maps `{0: a, 1: b}` (both may span lines), or an indented
// block of `- item` lines or `key: value` lines. Anything else under a key (block scalars such
// as ultralytics' `download: |` scripts, deeper nesting) is kept as raw text and only becomes an
// Error if the caller asks for that key as a list or a map. Comments (`# ...`) are dropped.

export type YamlValue = string | number | YamlValue[] | { [key: string]: YamlValue };

/** A top-level key: its parsed value, or `raw` text that this subset does not read. */
export interface YamlEntry {
  value?: YamlValue;
  raw: string;
  line: number;
}

/** Top-level keys of a YAML mapping document; errors name `where` and the line. */
export function parseYamlSubset(text: string, where: string): Map<string, YamlEntry> {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const out = new Map<string, YamlEntry>();
  let i = 0;
  while (i < lines.length) {
    const line = stripComment(lines[i]);
    if (line.trim() === '' || line.trim() === '---') {
      i++;
      continue;
    }
    if (/^\s/.test(line)) throw new Error(`${where}: line ${i + 1}: indented line outside a key: ${JSON.stringify(lines[i].trim())}`);
    const m = /^("[^"]*"|'[^']*'|[^:]+?)\s*:(?:\s+(.*)|$)/.exec(line);
    if (!m) throw new Error(`${where}: line ${i + 1}: expected "key: value", got ${JSON.stringify(lines[i].trim())}`);
    const key = unquote(m[1].trim());
    const first = i;
    let rest = (m[2] ?? '').trim();
    i++;
    // the block below the key: every following line that is indented, blank or a comment
    const block: string[] = [];
    while (i < lines.length && (/^\s/.test(lines[i]) || stripComment(lines[i]).trim() === '' || /^-\s/.test(lines[i]))) {
      // a top-level `- item` directly under `key:` (no indent) is still the key's list
      if (/^-\s/.test(lines[i]) && rest !== '') break;
      block.push(lines[i]);
      i++;
    }
    const raw = [rest, ...block].join('\n');
    let value: YamlValue | undefined;
    if (rest.startsWith('[') || rest.startsWith('{')) {
      // a flow collection may continue on the following lines
      rest = [rest, ...block.map(stripComment)].join(' ');
      value = parseFlow(rest, `${where}: line ${first + 1}`);
    } else if (rest === '|' || rest === '>' || /^[|>][+-]?\d*$/.test(rest)) {
      value = undefined; // a block scalar: raw only
    } else if (rest !== '') {
      value = scalar(rest);
    } else {
      value = parseBlock(block.map(stripComment).filter((l) => l.trim() !== ''));
    }
    out.set(key, { ...(value !== undefined ? { value } : {}), raw, line: first + 1 });
  }
  return out;
}

/** `- a` lines -> list; `k: v` lines -> map; anything else -> undefined (raw only). */
function parseBlock(lines: string[]): YamlValue | undefined {
  if (lines.length === 0) return '';
  const indent = /^\s*/.exec(lines[0])![0].length;
  if (lines.some((l) => /^\s*/.exec(l)![0].length !== indent)) return undefined;
  if (lines.every((l) => /^\s*-(\s|$)/.test(l))) return lines.map((l) => scalar(l.trim().slice(1).trim()));
  const map: Record<string, YamlValue> = {};
  for (const l of lines) {
    const m = /^\s*("[^"]*"|'[^']*'|[^:]+?)\s*:\s+(.*)$/.exec(l);
    if (!m || m[2].trim() === '') return undefined;
    map[unquote(m[1].trim())] = scalar(m[2].trim());
  }
  return map;
}

/** `[a, 'b, c', 3]` or `{0: a, 1: 'b'}` (one level; nested collections are an Error). */
function parseFlow(text: string, where: string): YamlValue {
  const open = text[0];
  const close = open === '[' ? ']' : '}';
  const end = text.lastIndexOf(close);
  if (end < 0 || text.slice(end + 1).trim() !== '') throw new Error(`${where}: unterminated ${open}...${close}`);
  const items = splitFlow(text.slice(1, end), where);
  if (open === '[') return items.map(scalar);
  const map: Record<string, YamlValue> = {};
  for (const item of items) {
    const m = /^("[^"]*"|'[^']*'|[^:]+?)\s*:\s*(.*)$/.exec(item);
    if (!m) throw new Error(`${where}: expected "key: value" in {...}, got ${JSON.stringify(item)}`);
    map[unquote(m[1].trim())] = scalar(m[2].trim());
  }
  return map;
}

/** Splits on commas outside quotes; trailing empty item allowed (`[a, b,]`). */
function splitFlow(s: string, where: string): string[] {
  const items: string[] = [];
  let cur = '';
  let quote: string | null = null;
  for (const ch of s) {
    if (quote) {
      cur += ch;
      if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      cur += ch;
    } else if (ch === '[' || ch === '{') {
      throw new Error(`${where}: nested collections are not supported here`);
    } else if (ch === ',') {
      items.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (quote) throw new Error(`${where}: unterminated quote`);
  if (cur.trim() !== '') items.push(cur.trim());
  return items.filter((x, k) => x !== '' || k < items.length - 1);
}

function scalar(s: string): string | number {
  if ((s.startsWith('"') && s.endsWith('"') && s.length >= 2) || (s.startsWith("'") && s.endsWith("'") && s.length >= 2)) return unquote(s);
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) return Number(s);
  return s;
}

function unquote(s: string): string {
  if (s.length >= 2 && s[0] === '"' && s.endsWith('"')) return s.slice(1, -1).replace(/\\"/g, '"').replace(/\\\\/g, '\\');
  if (s.length >= 2 && s[0] === "'" && s.endsWith("'")) return s.slice(1, -1).replace(/''/g, "'");
  return s;
}

/** Drops a `# comment` (a # at the line start or after a space, outside quotes). */
function stripComment(line: string): string {
  let quote: string | null = null;
  for (let k = 0; k < line.length; k++) {
    const ch = line[k];
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") {
      // a quote only opens a quoted scalar at a value's start; "it's" in plain text is literal
      if (k === 0 || /[\s[{,:-]/.test(line[k - 1])) quote = ch;
    } else if (ch === '#' && (k === 0 || /\s/.test(line[k - 1]))) return line.slice(0, k).trimEnd();
  }
  return line.trimEnd();
}
