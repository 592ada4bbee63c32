import type { IncomingHttpHeaders } from 'node:http';

export interface TransportResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

export interface TransportRequest {
  method: string;
  headers: Record<string, string>;
  body?: string | undefined;
  timeoutMs: number;
}

/** Answers larger than this are refused: a JSON API has no reason to send more, a hostile server might. */
const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

/**
 * One HTTP exchange on node:http/https. The CLI's calls go through here rather than `fetch` because the
 * first `fetch` of a process compiles Node's bundled undici, which alone costs more than the rest of a
 * command's startup. Redirects are not followed: the protocol's JSON APIs never redirect.
 */
export async function send(url: URL, request: TransportRequest): Promise<TransportResponse> {
  const { request: open } =
    url.protocol === 'https:' ? await import('node:https') : await import('node:http');
  return new Promise((resolve, reject) => {
    const outgoing = open(url, {
      method: request.method,
      headers: request.headers,
      timeout: request.timeoutMs,
    });
    outgoing.on('timeout', () =>
      outgoing.destroy(Object.assign(new Error('timed out'), { name: 'TimeoutError' })),
    );
    outgoing.on('error', reject);
    outgoing.on('response', (incoming) => {
      const chunks: Buffer[] = [];
      let size = 0;
      incoming.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) {
          incoming.destroy(new Error(`the answer exceeded ${MAX_RESPONSE_BYTES} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      incoming.on('error', reject);
      incoming.on('end', () =>
        resolve({
          status: incoming.statusCode ?? 0,
          headers: incoming.headers,
          text: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    outgoing.end(request.body);
  });
}
