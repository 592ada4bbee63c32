import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SIGNATURE_HEADER } from '../../src/protocol/signing.js';

/** One request as it arrived: the exact body bytes, its path and headers, and its protocol signature. */
export interface RecordedRequest {
  raw: Buffer;
  path: string;
  headers: IncomingHttpHeaders;
  signature: string | undefined;
}

export interface RecordingServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Every request so far, oldest first; tests empty it between cases. */
  received: RecordedRequest[];
  close(): Promise<void>;
}

/**
 * A loopback HTTP server standing in for the other side of the protocol (an orchestrator, a provider):
 * it records each request whole, then lets the test answer it as it likes (or not at all).
 */
export async function startRecordingServer(
  answer: (res: ServerResponse, request: RecordedRequest) => void,
): Promise<RecordingServer> {
  const received: RecordedRequest[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const request = {
      raw: Buffer.concat(chunks),
      path: req.url ?? '',
      headers: req.headers,
      signature: req.headers[SIGNATURE_HEADER] as string | undefined,
    };
    received.push(request);
    answer(res, request);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
