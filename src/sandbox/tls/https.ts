import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import { createSecureContext, type SecureContext } from 'node:tls';

export interface CertificatePair {
  /** Changes whenever the certificate is reissued, so cached contexts are refreshed. */
  serial: string;
  certPem: string;
  keyPem: string;
}

export interface HttpsListener {
  port: number;
  close(): Promise<void>;
}

/**
 * An HTTPS server on 127.0.0.1 that picks each connection's certificate by SNI from `certificateFor`.
 * A name without a certificate fails the handshake — there is no default certificate to leak.
 */
export async function startHttpsListener(options: {
  port?: number;
  certificateFor(servername: string): CertificatePair | undefined;
  handler(req: IncomingMessage, res: ServerResponse): void;
}): Promise<HttpsListener> {
  const contexts = new Map<string, { serial: string; context: SecureContext }>();
  const server = createServer(
    {
      minVersion: 'TLSv1.2',
      SNICallback(servername, callback) {
        const name = servername.toLowerCase();
        const pair = options.certificateFor(name);
        if (!pair) return callback(new Error(`no certificate for ${name}`));
        let cached = contexts.get(name);
        if (cached?.serial !== pair.serial) {
          cached = {
            serial: pair.serial,
            context: createSecureContext({ cert: pair.certPem, key: pair.keyPem }),
          };
          contexts.set(name, cached);
        }
        callback(null, cached.context);
      },
    },
    options.handler,
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the HTTPS listener did not bind a TCP port');
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
