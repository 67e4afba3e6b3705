// Image files to RGB bytes: exact round trip through PNG, grey and alpha inputs, clear errors.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rejects } from './helpers/rejects.js';
import { encodePngRGB, readImageRGB, readImageSize } from '../trainer/data/image-io.js';

test('PNG round trip is exact; grey becomes three equal channels; alpha is dropped', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'anchorless-img-'));
  try {
    const data = Uint8Array.from({ length: 5 * 3 * 3 }, (_, i) => (i * 37) % 256);
    await writeFile(path.join(dir, 'rgb.png'), await encodePngRGB({ data, width: 5, height: 3 }));
    const back = await readImageRGB(path.join(dir, 'rgb.png'));
    assert.equal([back.width, back.height], [5, 3]);
    assert.equal(Array.from(back.data), Array.from(data));
    assert.equal(await readImageSize(path.join(dir, 'rgb.png')), { width: 5, height: 3 });

    await sharp(Buffer.from([0, 100, 200, 255]), { raw: { width: 2, height: 2, channels: 1 } }).png().toFile(path.join(dir, 'grey.png'));
    const grey = await readImageRGB(path.join(dir, 'grey.png'));
    assert.equal(Array.from(grey.data), [0, 0, 0, 100, 100, 100, 200, 200, 200, 255, 255, 255]);

    await sharp(Buffer.from([10, 20, 30, 0, 40, 50, 60, 255]), { raw: { width: 2, height: 1, channels: 4 } }).png().toFile(path.join(dir, 'rgba.png'));
    const rgba = await readImageRGB(path.join(dir, 'rgba.png'));
    assert.equal(Array.from(rgba.data), [10, 20, 30, 40, 50, 60]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('errors name the file', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'anchorless-img-'));
  try {
    const bad = path.join(dir, 'broken.png');
    await writeFile(bad, 'not an image');
    await rejects(() => readImageRGB(bad), /image .*broken\.png: cannot decode/);
    await rejects(() => readImageRGB(path.join(dir, 'missing.png')), /image .*missing\.png: file not found/);
    await rejects(() => readImageRGB(dir), /not a regular file/);
    await rejects(() => encodePngRGB({ data: new Uint8Array(5), width: 2, height: 1 }), /data has 5 bytes, expected 2\*1\*3 = 6/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
