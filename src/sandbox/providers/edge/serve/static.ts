import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname } from 'node:path';
import type { Readable } from 'node:stream';
import type { ManifestFile } from '../../../../protocol/deploy.js';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.pdf': 'application/pdf',
  '.webmanifest': 'application/manifest+json',
};

export function contentType(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/** The deployment paths a URL path may name, in order: exact, `.html`, directory index. */
export function candidatePaths(urlPath: string): string[] {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return [];
  }
  const path = decoded.replace(/^\/+/, '');
  if (path.split('/').some((segment) => segment === '..' || segment === '.')) return [];
  if (path === '' || path.endsWith('/')) return [`${path}index.html`];
  return [path, `${path}.html`, `${path}/index.html`];
}

export interface StaticLookup {
  file(path: string): ManifestFile | undefined;
  /** The content of a blob, streamed. */
  open(sha256: string): Readable;
}

/** Serves a static deployment: GET/HEAD, ETag = the content hash, `404.html` when present. */
export function serveStatic(lookup: StaticLookup, req: IncomingMessage, res: ServerResponse): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res
      .writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' })
      .end('method not allowed');
    return;
  }
  const urlPath = (req.url ?? '/').split('?')[0]!;
  const found = candidatePaths(urlPath)
    .map((path) => lookup.file(path))
    .find((file) => file !== undefined);
  const file = found ?? lookup.file('404.html');
  if (!file) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found');
    return;
  }
  const etag = `"${file.sha256}"`;
  const headers = {
    'content-type': contentType(file.path),
    'content-length': String(file.size),
    etag,
    'cache-control': 'public, max-age=0, must-revalidate',
  };
  if (found && req.headers['if-none-match'] === etag) {
    res.writeHead(304, { etag }).end();
    return;
  }
  res.writeHead(found ? 200 : 404, headers);
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  lookup.open(file.sha256).pipe(res);
}
