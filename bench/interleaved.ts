// Timing several cases against each other in interleaved rounds: every round runs each case once, in
// order, and a case's figure is its median over the rounds.
// Why not tinybench here: it runs one task's iterations back to back, then the next task's, and on a
// shared VM a burst of another tenant's load then lands on one row and moves it against the others
// (seen on this project's VMs: the same 2-thread row at 0.87x and at 0.53x of the 1-thread row's time
// in two runs ten minutes apart; onnxruntime-web at 1891 ms in one run, 1187 ms in the next). In
// rounds a burst is spread over every row, and the median drops the rounds it hit. The suites whose
// cases take milliseconds (many iterations, no ratio between unlike peers) stay on tinybench.
import { median } from '../runtime/util/median.js';

export interface TimedCase {
  label: string;
  run: () => unknown;
}

export interface CaseTimes {
  label: string;
  /** Every round's time, in ms, in round order. */
  times: number[];
  medianMs: number;
  meanMs: number;
}

/**
 * Runs `warmup` untimed rounds (the engines' tier-up, first-touch of memory; 0 where the caller has
 * already run every case, e.g. to check its outputs), then `rounds` timed ones; `run` may return a
 * promise, which is awaited inside its case's time.
 */
export async function interleavedRounds(cases: readonly TimedCase[], rounds: number, warmup: number): Promise<CaseTimes[]> {
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`interleavedRounds: rounds must be a positive integer, got ${rounds}`);
  if (!Number.isInteger(warmup) || warmup < 0) throw new Error(`interleavedRounds: warmup must be a non-negative integer, got ${warmup}`);
  const times: number[][] = cases.map(() => []);
  for (let r = 0; r < warmup + rounds; r++) {
    for (let i = 0; i < cases.length; i++) {
      const t = performance.now();
      await cases[i].run();
      if (r >= warmup) times[i].push(performance.now() - t);
    }
  }
  return cases.map((c, i) => ({ label: c.label, times: times[i], medianMs: median(times[i]), meanMs: times[i].reduce((a, b) => a + b, 0) / rounds }));
}
