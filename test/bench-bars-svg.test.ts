// The benchmark chart (bench/bars-svg.ts): one bar per row, each group scaled to its slowest row,
// the ratio to the group's first row written beside each bar, text escaped, bad times refused.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { barsSvg } from '../bench/bars-svg.js';

const bars = (svg: string) => [...svg.matchAll(/<rect class="bar" data-ms="([\d.]+)" x="[\d.]+" y="[\d.]+" width="([\d.]+)"[^>]*fill="([^"]+)"/g)].map((m) => ({ ms: Number(m[1]), width: Number(m[2]), fill: m[3] }));

test('each group on its own scale: widths proportional to the times, the slowest bar the full width', () => {
  const svg = barsSvg(
    [
      { title: 'big model', rows: [{ label: 'ours', ms: 600, ours: true }, { label: 'peer', ms: 1200, ours: false }, { label: 'native', ms: 150, ours: false }] },
      { title: 'small <model> & co', rows: [{ label: 'ours', ms: 10, ours: true }, { label: 'peer "web"', ms: 5, ours: false }] },
    ],
    'chart',
  );
  const b = bars(svg);
  assert.equal(b.map((x) => x.ms), [600, 1200, 150, 10, 5]);
  const full = b[1].width;
  assert.ok(Math.abs(b[0].width - full / 2) <= 0.1 && Math.abs(b[2].width - full / 8) <= 0.1, `widths ${b.map((x) => x.width)}`);
  assert.ok(Math.abs(b[3].width - full) <= 0.1 && Math.abs(b[4].width - full / 2) <= 0.1, 'the second group is scaled to its own slowest row');
  assert.equal(b.map((x) => x.fill === '#1f77b4'), [true, false, false, true, false], 'ours in blue, peers in grey');
  for (const text of ['600 ms (1.00x)', '1200 ms (2.00x)', '150 ms (0.25x)', '10.0 ms (1.00x)', '5.0 ms (0.50x)']) assert.ok(svg.includes(text), text);
  assert.ok(svg.includes('small &lt;model&gt; &amp; co') && svg.includes('peer &quot;web&quot;'), 'labels escaped');
  assert.not.ok(svg.includes('<model>'));
});

test('a time that is not a positive number is an Error naming the row', () => {
  for (const ms of [0, -1, NaN, Infinity]) {
    assert.throws(() => barsSvg([{ title: 'g', rows: [{ label: 'r', ms, ours: true }] }], 't'), /barsSvg: g \/ r: ms must be a positive number/);
  }
});

test.run();
