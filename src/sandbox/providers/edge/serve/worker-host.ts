/**
 * The program each worker child process runs, kept as source text so that it is written next to the
 * sandbox data (not loaded from the provider's own files, which the child may not read). It imports the
 * deployment's ES module, waits for `env` over IPC, then serves HTTP on an ephemeral loopback port by
 * calling the module's `fetch(request, env)` with Web-standard Request/Response objects.
 */
export const WORKER_HOST_SOURCE = `
import { createServer } from 'node:http';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection']);

function fail(message) {
  process.send({ error: message }, () => process.exit(1));
}

function toRequest(req) {
  const proto = req.headers['x-forwarded-proto'] === 'https' ? 'https' : 'http';
  const url = new URL(req.url, proto + '://' + (req.headers.host ?? 'localhost'));
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (HOP_BY_HOP.has(name) || name === 'x-forwarded-proto' || value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
  }
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  return new Request(url, {
    method: req.method,
    headers,
    body: hasBody ? Readable.toWeb(req) : undefined,
    duplex: hasBody ? 'half' : undefined,
  });
}

async function writeResponse(response, res) {
  for (const [name, value] of response.headers) {
    if (name !== 'set-cookie' && !HOP_BY_HOP.has(name)) res.setHeader(name, value);
  }
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader('set-cookie', cookies);
  res.writeHead(response.status, response.statusText);
  if (response.body) for await (const chunk of response.body) res.write(chunk);
  res.end();
}

process.once('message', async ({ env }) => {
  let handler;
  try {
    const mod = await import(pathToFileURL(process.argv[2]).href);
    handler = typeof mod.default?.fetch === 'function' ? mod.default : mod;
  } catch (error) {
    return fail('the worker module failed to load: ' + (error?.message ?? String(error)));
  }
  if (typeof handler.fetch !== 'function') {
    return fail('the worker module must export fetch(request, env) (named or on its default export)');
  }
  const frozenEnv = Object.freeze({ ...env });
  const server = createServer(async (req, res) => {
    try {
      const response = await handler.fetch(toRequest(req), frozenEnv);
      if (!(response instanceof Response)) throw new TypeError('fetch() must return a Response');
      await writeResponse(response, res);
    } catch (error) {
      console.error('worker error:', error?.stack ?? error);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('worker error');
    }
  });
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
});
`;
