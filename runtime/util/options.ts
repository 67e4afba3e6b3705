// Option names are checked everywhere (create, decodes, ops, init): a misspelt name that were
// silently ignored would run the wrong model or the wrong settings unnoticed.

/** Throws an Error naming each unknown key of `options` and listing the valid ones. */
export function checkOptionNames(fn: string, argName: string, options: object, known: readonly string[]): void {
  const unknown = Object.keys(options).filter((k) => !known.includes(k));
  if (unknown.length === 0) return;
  const names = unknown.map((k) => `"${k}"`).join(', ');
  throw new Error(`${fn}: unknown ${argName} ${unknown.length === 1 ? 'name' : 'names'} ${names} (valid: ${known.join(', ')})`);
}

/** `options` when it is a plain object (or undefined: {}); otherwise an Error naming the argument. */
export function optionsObject<T extends object>(fn: string, argName: string, options: T | undefined, known: readonly string[]): T {
  if (options === undefined) return {} as T;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new Error(`${fn}: ${argName} must be an object { ${known.join(', ')} }, got ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options}`);
  }
  checkOptionNames(fn, argName, options, known);
  return options;
}
