// A Cloudflare Worker: POST a PNG, get JSON detections. The `workerd` export condition makes
// `anchorless` import its kernels as wasm modules (workerd compiles no wasm from bytes); the default
// model comes in the bundle as a data module. Deploy: `npx wrangler deploy` (wrangler.toml beside).
import { decodePng, init, ObjectDetector } from 'anchorless';
import model from 'anchorless/models/default';

let detector; // created on the first request, kept for the isolate's life

export default {
  async fetch(request) {
    if (request.method !== 'POST') return new Response('POST a PNG image\n', { status: 405 });
    try {
      const kernels = await init();
      detector ??= await ObjectDetector.create({ model });
      const image = await decodePng(new Uint8Array(await request.arrayBuffer()));
      const start = Date.now();
      const detections = await detector.detect(image);
      return Response.json({ runtime: 'workerd', kernels: kernels.variant, ms: Date.now() - start, detections });
    } catch (e) {
      return Response.json({ error: e.message }, { status: 400 });
    }
  },
};
