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
  /** Idle time allowed on the socket: long transfers live as long as bytes move. */
  timeoutMs: number;
  /**
   * When set, the whole exchange — request, headers and answer — must end within it. An idle timeout alone
   * never fires on a server that dribbles its answer a byte at a time.
   */
  deadlineMs?: number | undefined;
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
  let timer: NodeJS.Timeout | undefined;
  const exchange = new Promise<TransportResponse>((resolve, reject) => {
    const outgoing = open(url, {
      method: request.method,
      headers: request.headers,
      timeout: request.timeoutMs,
    });
    outgoing.on('timeout', () => outgoing.destroy(timeoutError('timed out')));
    if (request.deadlineMs !== undefined) {
      const deadlineMs = request.deadlineMs;
      timer = setTimeout(() => {
        // Settled first: once the answer has begun, destroying the request fails the answer with a reset.
        reject(timeoutError(`no complete answer within ${deadlineMs} ms`));
        outgoing.destroy();
      }, deadlineMs);
    }
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
  return exchange.finally(() => clearTimeout(timer));
}

function timeoutError(message: string): Error {
  return Object.assign(new Error(message), { name: 'TimeoutError' });
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
