// Asserts that an async call fails with an Error whose message matches `re`.
import * as assert from 'uvu/assert';

export async function rejects(fn: () => Promise<unknown>, re: RegExp): Promise<void> {
  try {
    await fn();
  } catch (e) {
    assert.match((e as Error).message, re);
    return;
  }
  assert.unreachable(`expected an error matching ${re}`);
}
