import type { ClientRequest, IncomingHttpHeaders } from 'node:http';
import { pipeline, Readable } from 'node:stream';

export interface TransportResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

export interface TransportRequest {
  method: string;
  headers: Record<string, string>;
  /** Text, byte chunks sent in order without being joined, or a stream piped as the body. */
  body?: string | readonly Uint8Array[] | Readable | undefined;
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
    writeBody(outgoing, request.body);
  });
}

function writeBody(outgoing: ClientRequest, body: TransportRequest['body']): void {
  if (body === undefined || typeof body === 'string') {
    outgoing.end(body);
  } else if (body instanceof Readable) {
    // Not `pipe`: when the request fails, pipeline also destroys the body, closing the file it reads, and a
    // failing body fails the request. Either way the request's 'error' settles the exchange.
    pipeline(body, outgoing, () => {});
  } else {
    // Written before the socket is assigned, the chunks leave together (one writev), not one by one.
    for (const chunk of body) outgoing.write(chunk);
    outgoing.end();
  }
}
