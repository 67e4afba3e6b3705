import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { planMemory } from '../runtime/engine/memory-plan.js';

test('a chain of equal activations ping-pongs between two slots', () => {
  const plan = planMemory(
    [
      { name: 'a', size: 100, inputs: ['input'] },
      { name: 'b', size: 100, inputs: ['a'] },
      { name: 'c', size: 100, inputs: ['b'] },
      { name: 'd', size: 100, inputs: ['c'] },
    ],
    ['d'],
    ['input'],
  );
  assert.is(plan.slotSizes.length, 2);
  assert.is(plan.slotOf.get('a'), plan.slotOf.get('c'));
  assert.is(plan.slotOf.get('b'), plan.slotOf.get('d'));
  assert.is(plan.peakLive, 200); // a and b live together while b is computed
});

test('a skip connection keeps its source alive until the add, and in-place add reuses a dying input', () => {
  // x -> conv1 -> conv2 -> add(conv2, x): x must survive conv1 and conv2
  const plan = planMemory(
    [
      { name: 'x', size: 10, inputs: ['input'] },
      { name: 'conv1', size: 10, inputs: ['x'] },
      { name: 'conv2', size: 10, inputs: ['conv1'] },
      { name: 'sum', size: 10, inputs: ['conv2', 'x'], inPlace: true },
    ],
    ['sum'],
    ['input'],
  );
  const x = plan.slotOf.get('x');
  assert.is.not(plan.slotOf.get('conv1'), x);
  assert.is.not(plan.slotOf.get('conv2'), x);
  assert.is(plan.slotOf.get('sum'), plan.slotOf.get('conv2'), 'the sum overwrites its dying first input');
  assert.is(plan.slotSizes.length, 3);
  assert.is(plan.peakLive, 30);
});

test('outputs are never overwritten by later values', () => {
  const plan = planMemory(
    [
      { name: 'head1', size: 5, inputs: ['input'] },
      { name: 'f', size: 50, inputs: ['input'] },
      { name: 'head2', size: 5, inputs: ['f'] },
    ],
    ['head1', 'head2'],
    ['input'],
  );
  const slots = ['head1', 'f', 'head2'].map((n) => plan.slotOf.get(n));
  assert.is.not(slots[0], slots[1]);
  assert.is.not(slots[0], slots[2]);
});

test('a smaller dead slot is grown instead of opening a new one', () => {
  const plan = planMemory(
    [
      { name: 'a', size: 10, inputs: ['input'] },
      { name: 'b', size: 20, inputs: ['a'] },
      { name: 'c', size: 30, inputs: ['b'] },
    ],
    ['c'],
    ['input'],
  );
  assert.is(plan.slotSizes.length, 2);
  assert.is(plan.slotOf.get('c'), plan.slotOf.get('a'));
  assert.equal([...plan.slotSizes].sort((p, q) => p - q), [20, 30]);
});

test('reading a value before it is produced is an Error naming both', () => {
  assert.throws(() => planMemory([{ name: 'a', size: 1, inputs: ['b'] }], ['a']), /a reads b before it is produced/);
  assert.throws(
    () => planMemory([{ name: 'a', size: 1, inputs: [] }, { name: 'a', size: 1, inputs: [] }], ['a']),
    /a is produced twice/,
  );
});

test.run();
