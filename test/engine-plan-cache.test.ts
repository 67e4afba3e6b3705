// The plan cache: least recently used out, a plan released before the next is built, never more
// than `capacity` alive; add() holds a plan built by the caller.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PlanCache } from '../runtime/engine/plan-cache.js';
import type { ExecutionPlan } from '../runtime/engine/plan.js';

function fakes() {
  const alive = new Set<string>();
  const log: string[] = [];
  const build = (h: number, w: number) => {
    const key = `${h}x${w}`;
    log.push(`build ${key} with ${alive.size} alive`);
    alive.add(key);
    return { key, release: () => alive.delete(key) } as unknown as ExecutionPlan;
  };
  return { alive, log, build };
}

test('capacity 2: the least recently used plan goes first, and before the new one is built', () => {
  const f = fakes();
  const cache = new PlanCache(f.build, 2);
  const a = cache.get(32, 32);
  cache.get(64, 64);
  assert.is(cache.get(32, 32), a, 'a hit returns the same plan');
  cache.get(96, 96); // evicts 64x64, the least recently used
  assert.equal([...f.alive].sort(), ['32x32', '96x96']);
  assert.equal(f.log, ['build 32x32 with 0 alive', 'build 64x64 with 1 alive', 'build 96x96 with 1 alive']);
  assert.equal(cache.sizes(), [[32, 32], [96, 96]]);
  cache.clear();
  assert.is(f.alive.size, 0);
});

test('capacity 1 (large models): one plan alive at any time', () => {
  const f = fakes();
  const cache = new PlanCache(f.build, 1);
  cache.add(32, 32, f.build(32, 32));
  cache.get(64, 64);
  cache.get(32, 32);
  assert.equal(f.log, ['build 32x32 with 0 alive', 'build 64x64 with 0 alive', 'build 32x32 with 0 alive']);
  assert.throws(() => cache.add(96, 96, f.build(96, 96)), /no room for a 96x96 plan/);
  assert.throws(() => new PlanCache(f.build, 0), /capacity must be a positive integer, got 0/);
});

test.run();
