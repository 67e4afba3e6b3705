// An HTTP server in Deno: POST a PNG, get JSON detections from the bundled default model.
// Run: deno run --allow-net --allow-read server.ts [port]
//   curl --data-binary @photo.png http://localhost:8000/   -> { runtime, kernels, ms, detections }
import { decodePng, init, ObjectDetector } from 'npm:anchorless';

const port = Number(Deno.args[0] ?? 8000);
const kernels = await init();
const detector = await ObjectDetector.create();

Deno.serve({ port, onListen: ({ port }) => console.log(`listening on ${port}`) }, async (request) => {
  if (request.method !== 'POST') return new Response('POST a PNG image\n', { status: 405 });
  try {
    const image = await decodePng(new Uint8Array(await request.arrayBuffer()));
    const start = performance.now();
    const detections = await detector.detect(image);
    const ms = performance.now() - start;
    return Response.json({ runtime: `deno ${Deno.version.deno}`, kernels: kernels.variant, ms, detections });
  } catch (e) {
    return Response.json({ error: (e as Error).message }, { status: 400 });
  }
});
