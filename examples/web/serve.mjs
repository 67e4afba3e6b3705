// Serves the demo page and the package's files on http://localhost:8080 (or the port given): the
// page imports dist/runtime/index.js, which fetches its .wasm and the default model beside itself.
// Usage: npm run build && node examples/web/serve.mjs [port]
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.png': 'image/png', '.json': 'application/json', '.css': 'text/css' };

export function serve(port = 8080) {
  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    // the page's relative imports (app.js, ../../dist/) resolve from its own folder
    if (url.pathname === '/') return void response.writeHead(302, { location: '/examples/web/' }).end();
    const relative = decodeURIComponent(url.pathname).replace(/^\/+/, '').replace(/\/$/, '/index.html');
    const file = path.resolve(root, relative);
    if (!file.startsWith(root + path.sep)) return void response.writeHead(403).end();
    try {
      const body = await readFile(file);
      response.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      response.writeHead(404).end('not found');
    }
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const server = await serve(Number(process.argv[2] ?? 8080));
  console.log(`demo on http://127.0.0.1:${server.address().port}/`);
}
