import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A misbehaving network between the orchestrator and a provider: forwards requests to the real
 * provider and, when a rule matches, fails in one of the ways providers fail — before the provider
 * saw the request, or after it acted (the dangerous case: the money moved, the answer is lost).
 */
export type FaultKind = 'status500' | 'status503' | 'garbage' | 'hang' | 'slow-body' | 'hold';

export interface Fault {
  kind: FaultKind;
  /** Forward to the provider first (it acts) and fail on the way back. */
  after: boolean;
  /** For status503: the Retry-After header to send. */
  retryAfter?: string;
}

export interface ForwardedRequest {
  method: string;
  /** Path below the provider's base URL, e.g. `provisioning/resources`. */
  path: string;
}

export class FaultProxy {
  private server: Server | undefined;
  private rules: { match: (request: ForwardedRequest) => boolean; fault: Fault; times: number }[] = [];
  private held: ((request: ForwardedRequest) => void) | undefined;
  readonly log: (ForwardedRequest & { fault?: FaultKind })[] = [];
  url = '';

  constructor(private target: string) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
    return this;
  }

  stop(): Promise<void> {
    this.server?.closeAllConnections();
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  retarget(target: string): void {
    this.target = target;
  }

  /** Fails the next `times` requests matching `path` (and method POST unless given). */
  inject(path: string, fault: Fault, times = 1, method = 'POST'): void {
    this.rules.push({ match: (r) => r.path === path && r.method === method, fault, times });
  }

  /** Fails the next `times` requests to any path: the provider is down. */
  failAll(fault: Fault, times: number): void {
    this.rules.push({ match: () => true, fault, times });
  }

  clear(): void {
    this.rules = [];
  }

  /** Resolves when a request hits a `hold` fault (it is then never answered). */
  nextHold(): Promise<ForwardedRequest> {
    return new Promise((resolve) => {
      this.held = resolve;
    });
  }

  private take(request: ForwardedRequest): Fault | undefined {
    const rule = this.rules.find((candidate) => candidate.times > 0 && candidate.match(request));
    if (!rule) return undefined;
    rule.times--;
    return rule.fault;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const request = { method: req.method!, path: new URL(req.url!, 'http://x').pathname.slice(1) };
    const fault = this.take(request);
    this.log.push({ ...request, ...(fault ? { fault: fault.kind } : {}) });
    if (fault && !fault.after) return this.fail(fault, request, res);
    const answer = await this.forward(req, body);
    if (fault) return this.fail(fault, request, res);
    res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    res.end(answer.body);
  }

  private async forward(req: IncomingMessage, body: Buffer) {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string' && name !== 'host' && name !== 'content-length') headers[name] = value;
    }
    const response = await fetch(new URL(req.url!.slice(1), this.target), {
      method: req.method!,
      headers,
      ...(body.length ? { body } : {}),
    });
    const retryAfter = response.headers.get('retry-after');
    return {
      status: response.status,
      body: Buffer.from(await response.arrayBuffer()),
      headers: retryAfter ? { 'retry-after': retryAfter } : {},
    };
  }

  private fail(fault: Fault, request: ForwardedRequest, res: ServerResponse): void {
    switch (fault.kind) {
      case 'status500':
        res.writeHead(500, { 'content-type': 'text/plain' }).end('Internal Server Error');
        return;
      case 'status503':
        res
          .writeHead(503, {
            'content-type': 'application/json',
            ...(fault.retryAfter ? { 'retry-after': fault.retryAfter } : {}),
          })
          .end('{"error":{"code":"PROVIDER_UNAVAILABLE","message":"maintenance"}}');
        return;
      case 'garbage':
        res.writeHead(200, { 'content-type': 'application/json' }).end('<html>\u0000{"id": oops');
        return;
      case 'slow-body': {
        // Headers at once, then a byte now and then: only a whole-request deadline catches this.
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{');
        const drip = setInterval(() => res.write(' '), 200);
        res.on('close', () => clearInterval(drip));
        return;
      }
      case 'hang':
        return;
      case 'hold':
        this.held?.(request);
        this.held = undefined;
        return;
    }
  }
}
