import { randomBytes } from 'node:crypto';
import type { OrchestratorAuthClient } from '../../../client/auth.js';
import {
  deviceCodeFailure,
  SLOW_DOWN_STEP_SECONDS,
  waitForDeviceApproval,
} from '../../../client/device-flow.js';
import { listenForRedirect, newPkce } from '../../../client/loopback.js';
import { loginFromTokens } from '../../../client/session.js';
import type { CredentialStore } from '../../../credentials/store.js';
import type { PendingLogin } from '../../../credentials/types.js';
import { EXIT, ProjectsError } from '../../../protocol/errors.js';
import type { DeviceAuthorizationResponse, TokenResponse } from '../../../protocol/oauth.js';
import { openInBrowser } from '../../browser.js';
import type { CommandInput } from '../../command.js';
import { authClient, credentialStore, orchestratorUrl } from '../../credentials.js';
import type { Factory } from '../../factory.js';
import type { CommandResult } from '../../output.js';

export interface LoginOptions {
  /** `--check <ref>`: finish a login started non-interactively. */
  check?: string | undefined;
  /** false with `--no-browser`. */
  browser: boolean;
  /** `--web`: authorization code + PKCE with a loopback redirect instead of a device code. */
  web?: boolean | undefined;
}

/** How long a browser sign-in may take before the loopback listener gives up. */
const WEB_LOGIN_TIMEOUT_MS = 10 * 60_000;

/** Fetches who signed in, saves the login, and answers with it. */
async function completeLogin(
  factory: Factory,
  auth: OrchestratorAuthClient,
  store: CredentialStore,
  tokens: TokenResponse,
): Promise<CommandResult> {
  factory.redactor.register(tokens.access_token);
  factory.redactor.register(tokens.refresh_token);
  const me = await auth.me(tokens.access_token);
  const record = loginFromTokens(auth.orchestrator, tokens, Date.now(), me.user);
  await store.saveLogin(record);
  return {
    data: {
      status: 'signed_in',
      orchestrator: record.orchestrator,
      user: me.user,
      scopes: record.scopes,
      store: store.kind,
    },
    human: () => `Signed in to ${record.orchestrator} as ${me.user.email}`,
  };
}

function pendingResult(pending: PendingLogin): CommandResult {
  return {
    data: {
      status: 'pending',
      ref: pending.ref,
      orchestrator: pending.orchestrator,
      verification_uri: pending.verificationUri,
      verification_uri_complete: pending.verificationUriComplete,
      user_code: pending.userCode,
      expires_at: new Date(pending.expiresAt).toISOString(),
      // Checking more often than this makes the orchestrator ask to slow down.
      check_interval_seconds: pending.interval,
    },
    exitCode: EXIT.actionRequired,
    next: [
      {
        command: `projects login --check ${pending.ref}`,
        why: `after a human opened ${pending.verificationUri} and confirmed the code ${pending.userCode}`,
      },
    ],
    human: () => `Sign-in pending: open ${pending.verificationUri} and confirm the code ${pending.userCode}`,
  };
}

/** `projects login --check <ref>`: one poll for a login started non-interactively. */
async function checkLogin(factory: Factory, ref: string): Promise<CommandResult> {
  const store = await credentialStore(factory);
  const pending = await store.getPendingLogin(ref);
  if (!pending) {
    throw new ProjectsError('NOT_FOUND', `no pending sign-in ${ref} (finished, expired or never started)`, {
      next: [{ command: 'projects login', why: 'start a new sign-in' }],
    });
  }
  const auth = authClient(factory, pending.orchestrator);
  const poll =
    Date.now() >= pending.expiresAt
      ? ({ status: 'expired' } as const)
      : await auth.pollDeviceToken(pending.deviceCode);
  if (poll.status === 'slow_down') {
    pending.interval += SLOW_DOWN_STEP_SECONDS;
    await store.savePendingLogin(pending);
  }
  if (poll.status === 'pending' || poll.status === 'slow_down') return pendingResult(pending);
  await store.deletePendingLogin(ref);
  if (poll.status === 'authorized') return completeLogin(factory, auth, store, poll.tokens);
  throw deviceCodeFailure(poll, pending.orchestrator);
}

/** `projects login --web`: the browser comes back to a loopback listener with a code (RFC 8252). */
async function webLogin(
  factory: Factory,
  auth: OrchestratorAuthClient,
  store: CredentialStore,
  openTheBrowser: boolean,
): Promise<CommandResult> {
  const pkce = newPkce();
  const state = randomBytes(16).toString('base64url');
  const redirect = await listenForRedirect(state, WEB_LOGIN_TIMEOUT_MS);
  try {
    const url = await auth.authorizationUrl({
      redirectUri: redirect.redirectUri,
      state,
      challenge: pkce.challenge,
    });
    factory.output.info(`To sign in to ${auth.orchestrator}, open ${url}`);
    if (openTheBrowser) await openInBrowser(factory, url);
    const task = await factory.output.task('Waiting for the sign-in in the browser…');
    const code = await redirect.code.catch((error: unknown) => {
      task.fail();
      throw error;
    });
    factory.redactor.register(code);
    task.succeed('Signed in in the browser');
    return await completeLogin(
      factory,
      auth,
      store,
      await auth.exchangeCode(code, redirect.redirectUri, pkce.verifier),
    );
  } finally {
    redirect.close();
  }
}

/** Without a human at the terminal: keep the device code under a ref and return at once (S8). */
async function startPendingLogin(
  store: CredentialStore,
  orchestrator: string,
  device: DeviceAuthorizationResponse,
): Promise<CommandResult> {
  const pending: PendingLogin = {
    ref: `lgn_${randomBytes(8).toString('hex')}`,
    orchestrator,
    deviceCode: device.device_code,
    userCode: device.user_code,
    verificationUri: device.verification_uri,
    verificationUriComplete: device.verification_uri_complete,
    interval: device.interval,
    expiresAt: Date.now() + device.expires_in * 1000,
  };
  await store.savePendingLogin(pending);
  return pendingResult(pending);
}

/** At a terminal: wait for the human to confirm the code, polling as the server asks. */
async function waitForDevice(
  factory: Factory,
  auth: OrchestratorAuthClient,
  store: CredentialStore,
  device: DeviceAuthorizationResponse,
): Promise<CommandResult> {
  const task = await factory.output.task(`Waiting for the code ${device.user_code} to be confirmed…`);
  try {
    const tokens = await waitForDeviceApproval(
      auth,
      {
        deviceCode: device.device_code,
        interval: device.interval,
        expiresAt: Date.now() + device.expires_in * 1000,
      },
      {
        onSlowDown: (interval) =>
          factory.output.debug(`the orchestrator asked to slow down: polling every ${interval} s`),
      },
    );
    task.succeed('Confirmed');
    return await completeLogin(factory, auth, store, tokens);
  } catch (error) {
    task.fail();
    throw error;
  }
}

/**
 * `projects login`: the OAuth device flow (or `--web`, a loopback redirect). At a terminal it shows the
 * code, opens the browser when there is a desktop, and waits. Without a human at the terminal it returns
 * at once (exit 4) with the URL and code for a human, and `--check <ref>` finishes later — it never waits
 * for someone who is not there (S8).
 */
export async function runLogin(options: LoginOptions, factory: Factory): Promise<CommandResult> {
  if (options.check) return checkLogin(factory, options.check);
  const orchestrator = orchestratorUrl(factory);
  if (factory.env.PROJECTS_TOKEN) {
    factory.output.warn('PROJECTS_TOKEN is set: it takes precedence over the login you are creating');
  }
  const auth = authClient(factory, orchestrator);
  const store = await credentialStore(factory);
  const openTheBrowser = options.browser;
  if (options.web && factory.interactive) return webLogin(factory, auth, store, openTheBrowser);
  if (options.web) {
    factory.output.warn('--web needs a human at this terminal; started a device login instead');
  }
  const device = await auth.startDeviceAuthorization();
  factory.redactor.register(device.device_code);
  factory.output.info(
    `To sign in to ${orchestrator}, open ${device.verification_uri} and enter the code ${device.user_code}`,
  );
  if (!factory.interactive) return startPendingLogin(store, orchestrator, device);
  if (openTheBrowser) await openInBrowser(factory, device.verification_uri_complete);
  return waitForDevice(factory, auth, store, device);
}

export function run(factory: Factory, input: CommandInput): Promise<CommandResult> {
  const check = input.options.check;
  return runLogin(
    {
      check: typeof check === 'string' ? check : undefined,
      browser: input.options.browser !== false,
      web: input.options.web === true,
    },
    factory,
  );
}
