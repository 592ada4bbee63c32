import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { fetchDeployed } from '../client/deployed.js';
import { loadSandboxModules } from '../sandbox/modules.js';
import { ensureSandboxUser } from '../sandbox/orchestrator/identity/users.js';
import { type RunningSandbox, startSandbox } from '../sandbox/server.js';
import { launchBrowser } from './browser.js';

/**
 * `npm run demo`: the main job of the README, end to end on a fresh machine. A throwaway sandbox (its own
 * PROJECTS_HOME in a temp directory), a login by the device flow, a project from the worker template, and
 * a domain bought through every human gate. The CLI runs as the real binary, exactly as a user would run
 * it; the human's part — sign-in, terms, card, approval — is played in headless Chromium on the
 * orchestrator's own web pages, and every such step is labelled as the demo acting for the human.
 */

const BIN = fileURLToPath(new URL('../../bin/projects', import.meta.url));
/** A test card of the sandbox's billing page: never charged. */
const TEST_CARD = { number: '4242 4242 4242 4242', expiry: '12/30', cvc: '123' };
const MAX_GATES = 6;

interface Envelope {
  ok: boolean;
  data?: Record<string, unknown>;
  error?: { code: string; message: string; details?: Record<string, unknown> };
  next?: { command: string; why: string }[];
}

const say = (line: string) => process.stdout.write(`${line}\n`);
const forHuman = (line: string) => say(`  [demo acting for the human] ${line}`);

class Demo {
  private readonly env: NodeJS.ProcessEnv;

  constructor(
    readonly sandbox: RunningSandbox,
    readonly home: string,
    readonly human: HumanInBrowser,
  ) {
    // Only what a user's shell would have: no CI or agent variables, the encrypted file store (a demo must
    // not write into the developer's real keychain), and the throwaway PROJECTS_HOME.
    this.env = { PATH: process.env.PATH, PROJECTS_HOME: home, PROJECTS_CREDENTIAL_STORE: 'file' };
  }

  /** Runs `projects <args>` as a user would, prints the command and answers its JSON envelope. */
  async cli(args: string[], cwd: string): Promise<{ code: number; envelope: Envelope }> {
    say(`\n$ projects ${args.join(' ')}`);
    const { code, stdout, stderr } = await run(process.execPath, [BIN, ...args], { cwd, env: this.env });
    let envelope: Envelope;
    try {
      envelope = JSON.parse(stdout) as Envelope;
    } catch {
      throw new Error(`projects ${args[0]} printed no JSON envelope (exit ${code}):\n${stderr}`);
    }
    const outcome = envelope.ok
      ? String(envelope.data?.status ?? 'ok')
      : `${envelope.error?.code} — ${envelope.error?.message}`;
    say(`  exit ${code}: ${outcome}`);
    return { code, envelope };
  }

  async login(cwd: string): Promise<void> {
    const started = await this.cli(['login', '--orchestrator', this.sandbox.url, '--json'], cwd);
    if (started.code !== 4) throw new Error('the login did not start');
    const data = started.envelope.data as {
      ref: string;
      user_code: string;
      verification_uri_complete: string;
    };
    await this.human.confirmDevice(data.verification_uri_complete, data.user_code);
    const checked = await this.cli(['login', '--check', data.ref, '--json'], cwd);
    if (!checked.envelope.ok) throw new Error('the login did not complete');
  }

  /**
   * Runs a command until it succeeds, letting the human act at each gate it stops at (exit 4) — the loop a
   * developer goes through by hand, rerunning the same command after each decision.
   */
  async throughGates(args: string[], cwd: string): Promise<Envelope> {
    for (let attempt = 0; attempt <= MAX_GATES; attempt++) {
      const { code, envelope } = await this.cli(args, cwd);
      if (envelope.ok) return envelope;
      if (code !== 4 || !envelope.error) throw new Error(`projects ${args.join(' ')} failed (exit ${code})`);
      await this.human.satisfy(envelope.error);
    }
    throw new Error(`projects ${args.join(' ')} still stopped at a gate after ${MAX_GATES} decisions`);
  }

  /**
   * `deploy --prod` stops at the publish gate; once the human approved, the deployment it built is promoted
   * with the command its `next` names (a rerun of `deploy --prod` would build, and gate, a new one).
   */
  async publish(cwd: string): Promise<Envelope> {
    const { code, envelope } = await this.cli(['deploy', '--prod', '--json'], cwd);
    if (envelope.ok) return envelope;
    if (code !== 4 || !envelope.error) throw new Error(`projects deploy --prod failed (exit ${code})`);
    await this.human.satisfy(envelope.error);
    const promote = envelope.next?.find((step) => step.command.startsWith('projects deploy promote '));
    if (!promote) throw new Error('projects deploy --prod named no deployment to promote');
    return this.throughGates([...promote.command.split(' ').slice(1), '--json'], cwd);
  }

  async status(cwd: string): Promise<void> {
    say('\n$ projects status');
    const { stdout } = await run(process.execPath, [BIN, 'status'], {
      cwd,
      env: { ...this.env, NO_COLOR: '1' },
    });
    say(stdout.replace(/^/gm, '  ').trimEnd());
  }
}

/** The human's side, in headless Chromium, on the orchestrator's pages. */
class HumanInBrowser {
  private page: Page | undefined;

  constructor(
    private readonly browser: Browser,
    private readonly url: string,
    private readonly credentials: { email: string; password: string },
  ) {}

  async confirmDevice(verificationUrl: string, userCode: string): Promise<void> {
    forHuman(`signs in and confirms the login code ${userCode} at ${verificationUrl}`);
    const page = await this.signedIn(verificationUrl);
    await Promise.all([page.waitForURL(`${this.url}/device`), page.click('#approve')]);
  }

  /** Acts on the gate an exit-4 answer describes, on the page it names. */
  async satisfy(error: NonNullable<Envelope['error']>): Promise<void> {
    const details = error.details ?? {};
    const url = String(details.url ?? '');
    switch (error.code) {
      case 'APPROVAL_REQUIRED':
        return this.approve(url);
      case 'TOS_REQUIRED':
        forHuman(`reads and accepts the terms of service at ${url}`);
        await this.submit(url, '#accept');
        return;
      case 'PAYMENT_METHOD_REQUIRED':
        return this.addCard(url);
      case 'HUMAN_REQUIRED':
        if (details.reason === 'provider_consent') {
          forHuman(`allows the orchestrator to use the existing provider account at ${url}`);
          await this.submit(url, '#approve');
          return;
        }
        break;
    }
    throw new Error(`the demo does not know how to act on ${error.code}: ${error.message}`);
  }

  private async approve(url: string): Promise<void> {
    const page = await this.signedIn(url);
    // Only a purchase shows the names side by side; `page.$` does not wait for an element that never comes
    // (textContent would wait its full timeout on a publication's page).
    const asked = (await page.$('#name-asked')) ? await page.textContent('#name-asked') : null;
    const offered = (await page.$('#name-offered')) ? await page.textContent('#name-offered') : null;
    const price = await page.textContent('#price');
    const what = offered
      ? `${offered} for ${price} (asked for ${asked})`
      : (await page.textContent('h1'))?.trim();
    forHuman(`reviews ${url}: ${what}`);
    if (asked !== offered) throw new Error(`the name offered (${offered}) is not the name asked (${asked})`);
    if (await page.$('#confirmation')) {
      // The page says what to type: the exact name for a purchase, the deployment id for a publication.
      const expected = (await page.textContent('label[for=confirmation] code'))?.trim() ?? '';
      forHuman(`types ${expected} exactly and approves`);
      await page.fill('#confirmation', expected);
    } else {
      forHuman('approves');
    }
    await Promise.all([page.waitForLoadState(), page.click('#approve')]);
    const status = (await page.textContent('#status'))?.trim();
    if (status !== 'approved') throw new Error(`the approval page says ${status}`);
  }

  private async addCard(url: string): Promise<void> {
    forHuman(`adds the sandbox test card ${TEST_CARD.number.slice(-4).padStart(8, '•')} at ${url}`);
    const page = await this.signedIn(url);
    await page.fill('#number', TEST_CARD.number);
    await page.fill('#expiry', TEST_CARD.expiry);
    await page.fill('#cvc', TEST_CARD.cvc);
    await Promise.all([page.waitForLoadState(), page.click('#add-card')]);
    await page.waitForSelector('#cards');
  }

  private async submit(url: string, button: string): Promise<void> {
    const page = await this.signedIn(url);
    await Promise.all([page.waitForLoadState(), page.click(button)]);
  }

  /** Goes to `target`, signing in on the way when the orchestrator asks for it. */
  private async signedIn(target: string): Promise<Page> {
    this.page ??= await this.browser.newPage();
    const page = this.page;
    await page.goto(target);
    if (new URL(page.url()).pathname === '/login') {
      await page.fill('#email', this.credentials.email);
      await page.fill('#password', this.credentials.password);
      await Promise.all([
        page.waitForURL((url) => url.pathname !== '/login'),
        page.click('button[type=submit]'),
      ]);
    }
    return page;
  }
}

/**
 * Fetches a deployed URL and shows it: `*.localhost` is loopback; a custom domain is resolved through the
 * sandbox's own DNS server and its certificate verified against the provider's CA, as a browser would.
 */
async function showLive(url: string, sandbox: RunningSandbox): Promise<void> {
  const target = new URL(url);
  let address = '127.0.0.1';
  let ca: string | undefined;
  if (!target.hostname.endsWith('.localhost')) {
    const resolver = new Resolver();
    resolver.setServers([sandbox.context.endpoints.get('dns') ?? '']);
    [address = '127.0.0.1'] = await resolver.resolve4(target.hostname);
    say(`  ${target.hostname} resolves to ${address} at the sandbox DNS server`);
    ca = readFileSync(sandbox.context.endpoints.get('edge-ca') ?? '', 'utf8');
  }
  const response = await fetchDeployed(url, { address, ...(ca === undefined ? {} : { ca }) });
  say(
    `\nLive at ${url} → HTTP ${response.status}${ca ? ' (certificate verified against the provider CA)' : ''}`,
  );
  say(
    response.body
      .trim()
      .split('\n')
      .slice(0, 6)
      .map((line) => `  | ${line}`)
      .join('\n'),
  );
  if (response.status !== 200) throw new Error(`${url} answered HTTP ${response.status}`);
}

function run(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // stderr (notices, progress) is kept for when something fails; the envelope on stdout tells the story.
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'projects-demo-'));
  const home = join(root, 'home');
  const app = join(root, 'demo-shop');
  mkdirSync(app, { recursive: true });
  const dataDir = join(home, 'data', 'sandbox');
  mkdirSync(dataDir, { recursive: true });
  say(
    'projects demo: a throwaway sandbox, a login, a project, a domain bought through every human gate, a live deploy.',
  );
  say(`  everything lives in ${root} and is deleted at the end.`);

  const sandbox = await startSandbox({ dataDir, port: 0, modules: await loadSandboxModules({ dataDir }) });
  const credentials = { email: 'demo@sandbox.localhost', password: randomBytes(12).toString('base64url') };
  await ensureSandboxUser(sandbox.storage, credentials);
  say(`  sandbox orchestrator at ${sandbox.url} (user ${credentials.email})`);
  const { browser, close } = await launchBrowser();
  try {
    const demo = new Demo(sandbox, home, new HumanInBrowser(browser, sandbox.url, credentials));
    await demo.login(app);
    await demo.throughGates(
      ['init', 'demo-shop', '--template', 'worker', '--orchestrator', sandbox.url, '--json'],
      app,
    );
    const domain = `demo-shop-${randomBytes(3).toString('hex')}.dev`;
    const bought = await demo.throughGates(
      ['provision', 'edge/registrar:domain', '--name', domain, '--max-price', '20', '--json'],
      app,
    );
    const resource = (bought.data as { resource: { id: string; name: string } }).resource;
    say(`\nBought ${resource.name} (${resource.id}), with a human approving the purchase in the browser.`);

    const preview = await demo.throughGates(['deploy', '--json'], app);
    await showLive(String(preview.data?.url), sandbox);
    await showLive(String((await demo.publish(app)).data?.production_url), sandbox);
    const attached = await demo.throughGates(['domains', 'attach', domain, '--json'], app);
    await showLive(String(attached.data?.https_url), sandbox);
    await demo.status(app);
  } finally {
    await close();
    await sandbox.close();
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
