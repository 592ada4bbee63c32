import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ProjectsError } from '../protocol/errors.js';

/** RFC 7636: a 43-character verifier and its S256 challenge. */
export function newPkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export interface LoopbackRedirect {
  /** `http://127.0.0.1:<port>/callback`, to pass as `redirect_uri`. */
  redirectUri: string;
  /** The authorization code, once the browser came back with it. */
  code: Promise<string>;
  close(): void;
}

const PAGE = (message: string) =>
  `<!doctype html><meta charset="utf-8"><title>projects</title><p>${message}</p>`;

function loginAgain(message: string, reason: string): ProjectsError {
  return new ProjectsError('AUTH_REQUIRED', message, {
    details: { reason },
    next: [{ command: 'projects login', why: 'start a new sign-in' }],
  });
}

/**
 * The native-app redirect of RFC 8252 §7.3: a one-shot HTTP server on 127.0.0.1 (any free port) that
 * takes the browser's redirect back from the authorization server. Only a request carrying the `state`
 * this login sent is accepted, so another page cannot inject a code.
 */
export async function listenForRedirect(state: string, timeoutMs: number): Promise<LoopbackRedirect> {
  let settle: { resolve: (code: string) => void; reject: (error: Error) => void } | undefined;
  const code = new Promise<string>((resolve, reject) => {
    settle = { resolve, reject };
  });
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/callback' || url.searchParams.get('state') !== state) {
      response.writeHead(404, { 'content-type': 'text/html' }).end(PAGE('Not a sign-in of this terminal.'));
      return;
    }
    const error = url.searchParams.get('error');
    const received = url.searchParams.get('code');
    response
      .writeHead(200, { 'content-type': 'text/html', 'cache-control': 'no-store' })
      .end(
        PAGE(
          received ? 'Signed in. You can close this tab and return to the terminal.' : 'Sign-in cancelled.',
        ),
      );
    if (received) settle?.resolve(received);
    else
      settle?.reject(
        loginAgain(`the sign-in was not completed in the browser (${error ?? 'no code'})`, 'denied'),
      );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const timer = setTimeout(
    () => settle?.reject(loginAgain('the sign-in was not completed in the browser in time', 'expired')),
    timeoutMs,
  );
  const close = () => {
    clearTimeout(timer);
    server.closeAllConnections();
    server.close();
  };
  return {
    redirectUri: `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`,
    code: code.finally(close),
    close,
  };
}
