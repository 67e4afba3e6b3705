// The hostile-input suite's rules in one place (issue 10): every generated call ends in a result
// or an Error whose message names the function, argument or file; never a TypeError, RangeError
// or ReferenceError thrown from inside, never a hang. Quick mode (CI) runs each property's own
// count (about 10,000 cases in all); the long mode (`npm run fuzz`, scripts/fuzz.mjs) multiplies
// every count by ANCHORLESS_FUZZ_SCALE, or sets each to ANCHORLESS_FUZZ_RUNS, with a fresh seed,
// and prints the cases per entry point.
import fc from 'fast-check';

/** Cases per property: ANCHORLESS_FUZZ_RUNS, else quick x ANCHORLESS_FUZZ_SCALE, else quick. */
export function runs(quick: number): number {
  const n = Number(process.env.ANCHORLESS_FUZZ_RUNS);
  if (Number.isInteger(n) && n > 0) return n;
  const scale = Number(process.env.ANCHORLESS_FUZZ_SCALE);
  return Number.isFinite(scale) && scale > 0 ? Math.max(1, Math.round(quick * scale)) : quick;
}

export const LONG_MODE = process.env.ANCHORLESS_FUZZ_RUNS !== undefined || process.env.ANCHORLESS_FUZZ_SCALE !== undefined;

const INTERNAL = [TypeError, RangeError, ReferenceError, SyntaxError];

/** Checks what a call threw: an Error (not one of JavaScript's own) whose message matches `names`. */
export function checkThrown(e: unknown, names: RegExp, what: string): void {
  if (!(e instanceof Error)) throw new Error(`${what}: threw a non-Error ${String(e)}`);
  const internal = INTERNAL.find((k) => e instanceof k);
  if (internal) throw new Error(`${what}: ${internal.name} from inside: ${e.message}\n${e.stack}`);
  if (!names.test(e.message)) throw new Error(`${what}: the message does not name the argument or file (${names}): ${e.message}`);
}

/** Runs `f`; a result is fine, a throw is checked by checkThrown. Returns whether it threw. */
export function endsCleanly(f: () => unknown, names: RegExp, what: string): boolean {
  try {
    f();
    return false;
  } catch (e) {
    checkThrown(e, names, what);
    return true;
  }
}

export async function endsCleanlyAsync(f: () => Promise<unknown>, names: RegExp, what: string): Promise<boolean> {
  try {
    await f();
    return false;
  } catch (e) {
    checkThrown(e, names, what);
    return true;
  }
}

const tally = new Map<string, { runs: number; errors: number }>();

/** Counts one case of `entry`, and whether it ended in an Error (for the long mode's figures). */
export function count(entry: string, threw: boolean): void {
  const t = tally.get(entry) ?? { runs: 0, errors: 0 };
  t.runs++;
  if (threw) t.errors++;
  tally.set(entry, t);
}

/** Prints the counts once, when the test process ends (long mode, or ANCHORLESS_FUZZ_REPORT=1). */
function report(): void {
  let total = 0;
  for (const [entry, t] of tally) {
    total += t.runs;
    console.log(`hostile ${entry}: ${t.runs} cases, ${t.errors} clean Errors, ${t.runs - t.errors} results`);
  }
  console.log(`hostile: ${total} cases in all, seed ${SEED}`);
}

/** fast-check parameters: the run count, a fixed seed unless ANCHORLESS_FUZZ_SEED or long mode. */
const SEED = process.env.ANCHORLESS_FUZZ_SEED !== undefined ? Number(process.env.ANCHORLESS_FUZZ_SEED) : LONG_MODE ? Date.now() % 2 ** 31 : 42;

export function params(quick: number): fc.Parameters<unknown> {
  return { numRuns: runs(quick), seed: SEED, endOnFailure: true, includeErrorInReport: true } as fc.Parameters<unknown>;
}

/** Numbers a careless or hostile caller passes. */
export const hostileNumber = fc.oneof(
  fc.integer({ min: -3, max: 40 }),
  fc.constantFrom(0, -0, 1, 2, 3, 0.5, -1, NaN, Infinity, -Infinity, 1e9, 2 ** 31, 2 ** 53, Number.MAX_VALUE, 1e-300),
  fc.double(),
);

/** Any value: numbers, strings, arrays, objects, null, undefined, functions, typed arrays. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileNumber,
  fc.anything({ maxDepth: 2, maxKeys: 3 }),
  fc.constantFrom(null, undefined, '', 'NHWC', 'NCHW', true, false, [], {}, () => 1, Symbol('s'), new Float32Array(3), new Uint8Array(4)),
);

if (LONG_MODE || process.env.ANCHORLESS_FUZZ_REPORT) process.once('exit', report);
