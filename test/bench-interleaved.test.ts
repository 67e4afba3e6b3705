// The benchmarks' interleaved timing (bench/interleaved.ts): each round runs every case once in
// order, warm-up rounds are not timed, promises are awaited inside their case's time, medians
// (runtime/util/median.ts, tested in calibration-cache.test.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { interleavedRounds } from '../bench/interleaved.js';
import { rejects } from './helpers/rejects.js';

test('rounds interleave the cases, warm-up rounds run but are not timed', async () => {
  const calls: string[] = [];
  const timed = await interleavedRounds(['a', 'b', 'c'].map((label) => ({ label, run: () => void calls.push(label) })), 3, 2);
  assert.equal(calls.join(''), 'abc'.repeat(5));
  assert.equal(timed.map((t) => [t.label, t.times.length]), [['a', 3], ['b', 3], ['c', 3]]);
});

test("a case's time covers its promise; a burst in one round moves the median of no case", async () => {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  let round = 0;
  const timed = await interleavedRounds(
    [
      { label: 'slow', run: () => sleep(round === 2 ? 200 : 30) },
      { label: 'fast', run: () => (round++, sleep(round === 3 ? 200 : 5)) },
    ],
    5,
    0,
  );
  const [slow, fast] = timed;
  assert.ok(slow.medianMs >= 29 && slow.medianMs < 150, `slow median ${slow.medianMs}`);
  assert.ok(fast.medianMs >= 4 && fast.medianMs < 150, `fast median ${fast.medianMs}`);
  assert.ok(slow.times[2] >= 199 && fast.times[2] >= 199, 'the burst is in round 3 of both');
  assert.ok(slow.meanMs > slow.medianMs, 'the mean keeps the burst');
});

test('bad arguments are Errors', async () => {
  for (const rounds of [0, 1.5, NaN]) await rejects(() => interleavedRounds([], rounds, 0), /interleavedRounds: rounds must be a positive integer/);
  await rejects(() => interleavedRounds([], 1, -1), /interleavedRounds: warmup must be a non-negative integer/);
});

test.run();
