// decodePng (no native code) against sharp (libvips) as the reference decoder: every colour type,
// 8 and 16 bits, all row filters; and clear errors for what it does not read.
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rejects } from './helpers/rejects.js';
import { decodePng } from '../runtime/image/png.js';

const SAMPLE = readFileSync(new URL('../models/sample.png', import.meta.url));

/** Largest difference between our pixels and sharp's on the colour samples (and alpha when both have it). */
async function maxDifference(png: Buffer): Promise<{ diff: number; channels: number }> {
  const ours = await decodePng(png);
  const ref = await sharp(png).raw({ depth: 'uchar' }).toColourspace('srgb').toBuffer({ resolveWithObject: true });
  assert.equal([ours.width, ours.height], [ref.info.width, ref.info.height]);
  const compare = Math.min(ours.channels, ref.info.channels);
  let diff = 0;
  for (let p = 0; p < ours.width * ours.height; p++) {
    for (let k = 0; k < compare; k++) diff = Math.max(diff, Math.abs(ours.data[p * ours.channels + k]! - ref.data[p * ref.info.channels + k]!));
  }
  return { diff, channels: ours.channels };
}

test('the sample (8-bit RGB): exactly the pixels sharp decodes', async () => {
  assert.equal(await maxDifference(SAMPLE), { diff: 0, channels: 3 });
});

test('RGBA, grey, grey + alpha and palette PNGs with adaptive filters: exact', async () => {
  const base = () => sharp(SAMPLE).resize(97, 61);
  const cases: [string, Promise<Buffer>, number][] = [
    ['rgba', base().ensureAlpha(0.5).png({ adaptiveFiltering: true }).toBuffer(), 4],
    ['grey', base().greyscale().png({ adaptiveFiltering: true }).toBuffer(), 3],
    ['grey+alpha', base().greyscale().ensureAlpha(0.25).png({ adaptiveFiltering: true }).toBuffer(), 4],
    ['palette', base().png({ palette: true, colours: 16, dither: 0 }).toBuffer(), 3],
  ];
  for (const [name, png, channels] of cases) {
    const result = await maxDifference(await png);
    assert.equal(result, { diff: 0, channels }, name);
  }
});

test('16-bit PNGs keep the high byte of each sample (within 1 of sharp)', async () => {
  const png = await sharp(SAMPLE).resize(40, 30).toColourspace('rgb16').png().toBuffer();
  const { diff } = await maxDifference(png);
  assert.ok(diff <= 1, `max difference ${diff}`);
});

test('not a PNG, truncated, interlaced: an Error that says which', async () => {
  await rejects(() => decodePng(new Uint8Array([1, 2, 3])), /not a PNG file/);
  await rejects(() => decodePng(SAMPLE.subarray(0, 200)), /past the end|image data is/);
  const interlaced = await sharp(SAMPLE).resize(20, 20).png({ progressive: true }).toBuffer();
  await rejects(() => decodePng(interlaced), /interlaced/);
  await rejects(() => decodePng('x' as unknown as Uint8Array), /bytes must be a Uint8Array/);
  // the compressed stream itself damaged (the chunk CRCs are not checked): the inflate's own error
  const small = await sharp(SAMPLE).resize(16, 16).png({ compressionLevel: 9 }).toBuffer();
  const idat = small.indexOf('IDAT');
  const damaged = Buffer.from(small);
  damaged.fill(0xff, idat + 6, idat + 14);
  await rejects(() => decodePng(damaged), /decodePng: the compressed image data is corrupt/);
});

test.run();
