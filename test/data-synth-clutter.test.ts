// synth --clutter heavy: striped backgrounds, small dots and more thin lines from a random stream
// of their own, so the default scenes stay byte-identical and heavy ones are deterministic too.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { renderScene } from '../trainer/data/synth-scene.js';

const base = { size: 64, classes: ['circle', 'square', 'triangle', 'star'] as const };

test('clutter normal is the default scene, byte for byte', () => {
  for (const seed of [1, 2, 3]) {
    const plain = renderScene(seed, { ...base });
    const normal = renderScene(seed, { ...base, clutter: 'normal' });
    assert.ok(Buffer.from(plain.data).equals(Buffer.from(normal.data)));
    assert.equal(plain.objects, normal.objects);
  }
});

test('heavy clutter: deterministic, and different pixels from the normal scene', () => {
  let differing = 0;
  for (const seed of [1, 2, 3, 4]) {
    const a = renderScene(seed, { ...base, clutter: 'heavy' });
    const b = renderScene(seed, { ...base, clutter: 'heavy' });
    assert.ok(Buffer.from(a.data).equals(Buffer.from(b.data)), 'same seed, same pixels');
    assert.equal(a.objects, b.objects);
    const normal = renderScene(seed, { ...base });
    let changed = 0;
    for (let i = 0; i < a.data.length; i++) if (a.data[i] !== normal.data[i]) changed++;
    // at least 10 dots and 3 lines over a 64 x 64 image: well over 1% of the values
    if (changed > 0.01 * a.data.length) differing++;
    assert.ok(a.objects.length >= 1, 'objects still placed');
  }
  assert.is(differing, 4);
});

test('an unknown clutter level is an error naming the option', () => {
  assert.throws(() => renderScene(1, { ...base, clutter: 'lots' as never }), /clutter: expected one of normal, heavy, got "lots"/);
});

test.run();
