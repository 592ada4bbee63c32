import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oauth from 'oauth4webapi';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditListSchema } from '../../src/protocol/money.js';
import { CLI_CLIENT_ID } from '../../src/protocol/oauth.js';
import { SCOPES } from '../../src/protocol/scopes.js';
import { launchBrowser } from '../helpers/browser.js';
import { signedInContext, signInWithBrowser } from '../helpers/identity.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

// The sandbox speaks plain HTTP on loopback; the standards client must be told that this is intended.
const insecure = { [oauth.allowInsecureRequests]: true };
const client: oauth.Client = { client_id: CLI_CLIENT_ID };
const none = oauth.None();

let sandbox: TestSandbox;
let as: oauth.AuthorizationServer;
let browser: Browser;
let closeBrowser: () => Promise<void>;
// A controllable clock: expiry and polling intervals are tested by moving it, not by sleeping.
let clockOffset = 0;

beforeAll(async () => {
  sandbox = await startTestSandbox({ now: () => Date.now() + clockOffset });
  const issuer = new URL(sandbox.url);
  as = await oauth.processDiscoveryResponse(
    issuer,
    await oauth.discoveryRequest(issuer, { ...insecure, algorithm: 'oauth2' }),
  );
  ({ browser, close: closeBrowser } = await launchBrowser());
});

afterAll(async () => {
  await closeBrowser?.();
  await sandbox?.close();
});

async function me(accessToken: string): Promise<Response> {
  return fetch(`${sandbox.url}/v1/me`, { headers: { authorization: `Bearer ${accessToken}` } });
}

async function startDeviceLogin(): Promise<oauth.DeviceAuthorizationResponse> {
  const response = await oauth.deviceAuthorizationRequest(as, client, none, {}, insecure);
  return oauth.processDeviceAuthorizationResponse(as, client, response);
}

async function pollDevice(deviceCode: string): Promise<oauth.TokenEndpointResponse> {
  const response = await oauth.deviceCodeGrantRequest(as, client, none, deviceCode, insecure);
  return oauth.processDeviceCodeResponse(as, client, response);
}

async function oauthError(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (failure: unknown) => failure,
  );
  expect(error).toBeInstanceOf(oauth.ResponseBodyError);
  return (error as oauth.ResponseBodyError).error;
}

/** The human's part: open the verification URL, sign in, check the code, press a button. */
async function humanDecides(device: oauth.DeviceAuthorizationResponse, button: '#approve' | '#deny') {
  const context = await signedInContext(browser, sandbox);
  const page = await context.newPage();
  await page.goto(device.verification_uri_complete!);
  await expect(page.textContent('#user-code')).resolves.toBe(device.user_code);
  await Promise.all([page.waitForURL(`${sandbox.url}/device`), page.click(button)]);
  const status = await page.textContent('[role=status]');
  await context.close();
  return status;
}

describe('RFC 8414 metadata', () => {
  it('publishes the endpoints, grants, PKCE method and scopes', () => {
    expect(as).toMatchObject({
      issuer: sandbox.url,
      device_authorization_endpoint: `${sandbox.url}/oauth/device_authorization`,
      code_challenge_methods_supported: ['S256'],
      scopes_supported: [...SCOPES],
    });
    expect(as.grant_types_supported).toContain('urn:ietf:params:oauth:grant-type:device_code');
  });
});

describe('device authorization grant (RFC 8628)', () => {
  it('completes with the standards client after the human confirms in Chromium', async () => {
    const device = await startDeviceLogin();
    expect(device.user_code).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);
    expect(device.verification_uri).toBe(`${sandbox.url}/device`);
    expect(device.verification_uri_complete).toBe(`${sandbox.url}/device?user_code=${device.user_code}`);
    expect(await oauthError(pollDevice(device.device_code))).toBe('authorization_pending');

    await expect(humanDecides(device, '#approve')).resolves.toContain('signed in');

    clockOffset += device.interval! * 1000;
    const tokens = await pollDevice(device.device_code);
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.scope).toBe(SCOPES.join(' '));
    const whoami = await me(tokens.access_token);
    expect(await whoami.json()).toMatchObject({
      user: { email: sandbox.user.email },
      kind: 'human',
      scopes: [...SCOPES],
      credential: { type: 'oauth' },
    });
    // A device code is good for one login only.
    clockOffset += device.interval! * 1000;
    expect(await oauthError(pollDevice(device.device_code))).toBe('invalid_grant');
  });

  it('tells a client that polls too fast to slow down, adding 5 s to its interval', async () => {
    const device = await startDeviceLogin();
    expect(await oauthError(pollDevice(device.device_code))).toBe('authorization_pending');
    expect(await oauthError(pollDevice(device.device_code))).toBe('slow_down');
    clockOffset += (device.interval! + 5) * 1000;
    expect(await oauthError(pollDevice(device.device_code))).toBe('authorization_pending');
  });

  it('answers access_denied when the human denies', async () => {
    const device = await startDeviceLogin();
    await expect(humanDecides(device, '#deny')).resolves.toContain('denied');
    expect(await oauthError(pollDevice(device.device_code))).toBe('access_denied');
  });

  it('answers expired_token once the code expired, and the page no longer accepts it', async () => {
    const device = await startDeviceLogin();
    clockOffset += device.expires_in * 1000;
    expect(await oauthError(pollDevice(device.device_code))).toBe('expired_token');
    const context = await signedInContext(browser, sandbox);
    const page = await context.newPage();
    await page.goto(device.verification_uri_complete!);
    await expect(page.textContent('[role=alert]')).resolves.toContain('expired');
    await context.close();
  });

  it('refuses unknown clients and scopes', async () => {
    const badClient = await oauth.deviceAuthorizationRequest(as, { client_id: 'evil' }, none, {}, insecure);
    expect(badClient.status).toBe(401);
    const badScope = await oauth.deviceAuthorizationRequest(
      as,
      client,
      none,
      { scope: 'read admin' },
      insecure,
    );
    expect(await badScope.json()).toMatchObject({ error: 'invalid_scope' });
  });
});

describe('authorization code + PKCE with a loopback redirect (RFC 7636, RFC 8252)', () => {
  let callback: Server;
  let redirectUri: string;
  let received: Promise<URL>;
  let receive: (url: URL) => void;

  beforeAll(async () => {
    // The CLI's side of RFC 8252: a one-shot HTTP listener on 127.0.0.1.
    callback = createServer((request, response) => {
      receive(new URL(request.url!, redirectUri));
      response.end('You can close this window.');
    });
    await new Promise<void>((resolve) => callback.listen(0, '127.0.0.1', resolve));
    redirectUri = `http://127.0.0.1:${(callback.address() as AddressInfo).port}/callback`;
  });

  afterAll(() => new Promise<void>((resolve) => callback.close(() => resolve())));

  function expectCallback(): void {
    received = new Promise((resolve) => {
      receive = resolve;
    });
  }

  async function authorizeInBrowser(verifier: string, state: string, button: '#approve' | '#deny') {
    const url = new URL(as.authorization_endpoint!);
    url.search = new URLSearchParams({
      client_id: CLI_CLIENT_ID,
      redirect_uri: redirectUri,
      response_type: 'code',
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    }).toString();
    expectCallback();
    const page = await browser.newPage();
    await signInWithBrowser(page, sandbox, url.pathname + url.search);
    await Promise.all([page.waitForURL(`${redirectUri}**`), page.click(button)]);
    await page.close();
    return received;
  }

  async function exchange(callbackUrl: URL, state: string, verifier: string) {
    const params = oauth.validateAuthResponse(as, client, callbackUrl, state);
    const response = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      none,
      params,
      redirectUri,
      verifier,
      insecure,
    );
    return oauth.processAuthorizationCodeResponse(as, client, response);
  }

  it('issues tokens for the right verifier only, once', async () => {
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const callbackUrl = await authorizeInBrowser(verifier, state, '#approve');
    expect(callbackUrl.searchParams.get('state')).toBe(state);

    const wrong = oauth.generateRandomCodeVerifier();
    expect(await oauthError(exchange(callbackUrl, state, wrong))).toBe('invalid_grant');

    const tokens = await exchange(callbackUrl, state, verifier);
    expect((await me(tokens.access_token)).status).toBe(200);

    // Replaying the code fails and revokes what it issued (RFC 6749 §4.1.2).
    expect(await oauthError(exchange(callbackUrl, state, verifier))).toBe('invalid_grant');
    expect((await me(tokens.access_token)).status).toBe(401);
  });

  it('redirects access_denied to the client when the human denies', async () => {
    const state = oauth.generateRandomState();
    const callbackUrl = await authorizeInBrowser(oauth.generateRandomCodeVerifier(), state, '#deny');
    expect(callbackUrl.searchParams.get('error')).toBe('access_denied');
    expect(callbackUrl.searchParams.get('code')).toBeNull();
  });

  it('never redirects to a non-loopback URI', async () => {
    const url = `${sandbox.url}/oauth/authorize?client_id=${CLI_CLIENT_ID}&response_type=code&redirect_uri=${encodeURIComponent('https://evil.example/cb')}`;
    const response = await fetch(url, { redirect: 'manual' });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
  });
});

describe('refresh rotation and revocation', () => {
  async function login(): Promise<oauth.TokenEndpointResponse> {
    const device = await startDeviceLogin();
    await humanDecides(device, '#approve');
    return pollDevice(device.device_code);
  }

  async function refresh(refreshToken: string) {
    const response = await oauth.refreshTokenGrantRequest(as, client, none, refreshToken, insecure);
    return oauth.processRefreshTokenResponse(as, client, response);
  }

  it('rotates the refresh token, and reuse of an old one revokes the whole login', async () => {
    const first = await login();
    const second = await refresh(first.refresh_token!);
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect((await me(second.access_token)).status).toBe(200);

    expect(await oauthError(refresh(first.refresh_token!))).toBe('invalid_grant');
    expect((await me(second.access_token)).status).toBe(401);
    expect(await oauthError(refresh(second.refresh_token!))).toBe('invalid_grant');
  });

  async function loginRevocations(): Promise<number> {
    const human = await sandbox.accessToken();
    const answer = await fetch(`${sandbox.url}/v1/audit`, { headers: { authorization: `Bearer ${human}` } });
    const { events } = AuditListSchema.parse(await answer.json());
    return events.filter((event) => event.action === 'login.revoke').length;
  }

  it('records a login revoked by concurrent reuses of one refresh token once', async () => {
    const first = await login();
    await refresh(first.refresh_token!);
    const before = await loginRevocations();
    const reuse = () => oauthError(refresh(first.refresh_token!));
    expect(await Promise.all([reuse(), reuse(), reuse()])).toEqual([
      'invalid_grant',
      'invalid_grant',
      'invalid_grant',
    ]);
    expect(await loginRevocations()).toBe(before + 1);
  });

  it('revokes a login (RFC 7009) so that neither token works afterwards', async () => {
    const tokens = await login();
    const response = await oauth.revocationRequest(as, client, none, tokens.refresh_token!, insecure);
    await oauth.processRevocationResponse(response);
    expect((await me(tokens.access_token)).status).toBe(401);
    expect(await oauthError(refresh(tokens.refresh_token!))).toBe('invalid_grant');
    // Unknown tokens are accepted silently.
    const unknown = await oauth.revocationRequest(as, client, none, 'prt_unknown', insecure);
    expect(unknown.status).toBe(200);
  });
});
