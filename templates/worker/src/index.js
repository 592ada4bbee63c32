// A worker: an ES module exporting fetch(request, env) with Web-standard Request and Response.
// `env` holds the project's resource credentials (for example a data store's URL and token); it is never
// echoed back here, only the names of the variables are.
import { page } from './page.js';

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === '/api/health') {
      return Response.json({ ok: true, env: Object.keys(env).sort() });
    }
    if (url.pathname === '/api/echo' && request.method === 'POST') {
      return Response.json({ received: await request.text() });
    }
    if (url.pathname !== '/') return new Response('not found\n', { status: 404 });
    return new Response(page(url.host), { headers: { 'content-type': 'text/html; charset=utf-8' } });
  },
};
