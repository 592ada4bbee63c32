import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

/**
 * Fetches a deployed URL the way a browser would reach it, including on names that need no resolver:
 * `*.localhost` is loopback (RFC 6761) though Node's resolver does not know it, and the sandbox's custom
 * domains resolve (through its DNS server) to 127.0.0.1. `address` says where to connect; the URL's host
 * still goes in `Host` and in TLS SNI, and `ca` (the provider's CA) verifies the certificate chain.
 */
export interface DeployedResponse {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

export function fetchDeployed(
  url: string,
  options: { address?: string; ca?: string; method?: string; body?: string } = {},
): Promise<DeployedResponse> {
  const target = new URL(url);
  const secure = target.protocol === 'https:';
  const address = options.address ?? (target.hostname.endsWith('.localhost') ? '127.0.0.1' : target.hostname);
  const send = secure ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      {
        host: address,
        port: target.port || (secure ? 443 : 80),
        path: `${target.pathname}${target.search}`,
        method: options.method ?? 'GET',
        headers: { host: target.host },
        ...(secure
          ? { servername: target.hostname, ...(options.ca === undefined ? {} : { ca: options.ca }) }
          : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}
