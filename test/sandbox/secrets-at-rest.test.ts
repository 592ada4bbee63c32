import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyFile } from '../../src/credentials/cipher.js';
import type { ProvisionResponse } from '../../src/protocol/orchestrator.js';
import { openDatabase, sandboxDatabasePath } from '../../src/sandbox/db.js';
import { SERVER_KEYS } from '../../src/sandbox/orchestrator/identity/auth.js';
import { PAYMENT_TOKEN_KEY } from '../../src/sandbox/orchestrator/money/tokens.js';
import { ACCOUNT_TOKENS } from '../../src/sandbox/orchestrator/runs/accounts.js';
import { RESOURCE_CREDENTIALS } from '../../src/sandbox/orchestrator/runs/resources.js';
import { readProviderSecrets } from '../../src/sandbox/provider-secrets.js';
import { openSecretBox, SECRETS_KEY_FILE, type SealedColumn } from '../../src/sandbox/secret-box.js';
import { databaseBytes } from '../helpers/sandbox.js';
import { approvalIdOf, type RunsSandbox, startRunsSandbox } from '../runs/harness.js';

/**
 * Issue 3, secrets at rest: the sandbox keeps no issued secret in clear in `sandbox.db` (or its WAL). The
 * raw bytes of both files are searched for every value handed out.
 */

const SIGNING_SECRETS: SealedColumn = { table: 'sandbox_provider_secrets', column: 'signing_secret' };
// Provider account tokens are `<provider>_at_…`: searched by shape, since only the orchestrator sees them.
// No word boundary: in a raw record the value follows the previous column's bytes directly.
const ACCOUNT_TOKEN_SHAPE = /(?:edge|data)_at_[A-Za-z0-9_-]{20,}/;

let dataDir: string;
let sandbox: RunsSandbox | undefined;
let project: string;
/** Every secret value the sandbox handed out, by where it came from. */
const issued = new Map<string, string>();
let kv: { path: string; token: string };
const KV_ASK = { service: 'data/kv:starter', name: 'cache', idempotency_key: 'idem-rest-kv-01' };

function clearSecretsIn(bytes: string): string[] {
  const found = [...issued].filter(([, value]) => bytes.includes(value)).map(([name]) => name);
  if (ACCOUNT_TOKEN_SHAPE.test(bytes)) found.push('a provider account token');
  return found;
}

async function provision(body: Record<string, unknown>) {
  return sandbox!.api<ProvisionResponse>('POST', `/v1/projects/${project}/provision`, body);
}

async function provisioned(body: Record<string, unknown>): Promise<ProvisionResponse> {
  const answer = await provision(body);
  if (answer.status >= 300) throw new Error(`not provisioned: ${JSON.stringify(answer.body)}`);
  // The provider marks ids and URLs public (kept in clear so that listings show them); everything else
  // it hands out is a credential.
  const shown = answer.body.resource.public_credentials;
  expect(Object.keys(shown).every((name) => /_(ID|URL)$/.test(name))).toBe(true);
  for (const [name, value] of Object.entries(answer.body.credentials)) {
    if (!Object.hasOwn(shown, name)) issued.set(`${body.service} ${name}`, value);
  }
  return answer.body;
}

async function stop(): Promise<void> {
  await sandbox?.close();
  sandbox = undefined;
}

async function kvRoundTrip(key: string): Promise<string> {
  const headers = { authorization: `Bearer ${kv.token}` };
  const url = `${sandbox!.url}${kv.path}/${key}`;
  const put = await request(url, { method: 'PUT', headers, body: key });
  await put.body.dump();
  expect(put.statusCode).toBeLessThan(300);
  const got = await request(url, { headers });
  return got.body.text();
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'projects-secrets-at-rest-'));
  const first = await startRunsSandbox({ dataDir });
  sandbox = first;
  project = await first.createProject();
  await first.acceptTerms('data');
  await first.acceptTerms('edge');
  await first.addCard();
});

afterAll(async () => {
  await stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('secrets at rest in sandbox.db', () => {
  it('holds no issued credential, account token or signing secret in clear after provisioning', async () => {
    const created = await provisioned(KV_ASK);
    // The path only: a restarted sandbox listens on another port.
    const { pathname } = new URL(created.credentials.KV_REST_API_URL!);
    kv = { path: pathname, token: created.credentials.KV_REST_API_TOKEN! };
    await provisioned({ service: 'edge/hosting:site', name: 'site', idempotency_key: 'idem-rest-site-1' });
    const domain = {
      service: 'edge/registrar:domain',
      name: 'atrest.club',
      idempotency_key: 'idem-rest-dom-1',
    };
    const approvalId = approvalIdOf(await provision(domain));
    const running = sandbox!;
    await running.api('POST', `/v1/approvals/${approvalId}/approve`, { confirmation: 'atrest.club' });
    await provisioned(domain);
    for (const provider of readProviderSecrets(running.db, running.context.secrets)) {
      issued.set(`${provider.id} signing secret`, provider.signingSecret);
    }
    const csrf = running.db.prepare(`SELECT value FROM identity_keys WHERE name = 'csrf'`).get() as {
      value: string;
    };
    issued.set('the CSRF key', running.context.secrets.open(csrf.value, SERVER_KEYS));
    const tokenKey = running.db
      .prepare(`SELECT value FROM money_keys WHERE name = 'payment_token'`)
      .get() as {
      value: string;
    };
    issued.set('the payment-token key', running.context.secrets.open(tokenKey.value, PAYMENT_TOKEN_KEY));
    expect([...issued.keys()]).toEqual(
      expect.arrayContaining([
        'data/kv:starter KV_REST_API_TOKEN',
        'edge/hosting:site EDGE_DEPLOY_TOKEN',
        'edge/registrar:domain EDGE_DNS_API_TOKEN',
        'edge/registrar:domain EDGE_DOMAIN_TRANSFER_AUTH_CODE',
        'edge signing secret',
        'the CSRF key',
        'the payment-token key',
      ]),
    );
    // Both providers linked an account, whose tokens the orchestrator keeps (sealed) to call them again.
    const accounts = running.db.prepare('SELECT access_token FROM runs_provider_accounts').all() as {
      access_token: string;
    }[];
    expect(accounts).toHaveLength(2);
    for (const { access_token } of accounts) {
      expect(running.context.secrets.open(access_token, ACCOUNT_TOKENS)).toMatch(ACCOUNT_TOKEN_SHAPE);
    }
    expect(clearSecretsIn(databaseBytes(dataDir))).toEqual([]);
  });

  it('keeps the key outside the database, in a file only its owner can read', () => {
    expect(statSync(join(dataDir, SECRETS_KEY_FILE)).mode & 0o777).toBe(0o600);
  });

  it('works on the same state after a restart: account tokens presented again, credentials replayed', async () => {
    await stop();
    sandbox = await startRunsSandbox({ dataDir });
    expect(await kvRoundTrip('after-restart')).toBe('after-restart');
    const replay = await provision(KV_ASK);
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ replayed: true, credentials: { KV_REST_API_TOKEN: kv.token } });
    // A new resource at a linked provider: the orchestrator must open the account token it sealed.
    await provisioned({ service: 'data/kv:starter', name: 'cache-two', idempotency_key: 'idem-rest-kv-02' });
    expect(clearSecretsIn(databaseBytes(dataDir))).toEqual([]);
  });

  it('seals the clear values an older sandbox left, at start, and leaves no clear copy in the file', async () => {
    await stop();
    unsealInPlace([ACCOUNT_TOKENS, RESOURCE_CREDENTIALS, SIGNING_SECRETS, SERVER_KEYS]);
    expect(clearSecretsIn(databaseBytes(dataDir))).toContain('a provider account token');

    sandbox = await startRunsSandbox({ dataDir });
    expect(clearSecretsIn(databaseBytes(dataDir))).toEqual([]);
    expect(await kvRoundTrip('after-migration')).toBe('after-migration');
    const replay = await provision(KV_ASK);
    expect(replay.body).toMatchObject({ replayed: true, credentials: { KV_REST_API_TOKEN: kv.token } });
  });

  it('refuses a damaged key file instead of replacing it', () => {
    const keyPath = join(dataDir, SECRETS_KEY_FILE);
    const key = readFileSync(keyPath);
    writeFileSync(keyPath, 'not a key\n');
    try {
      expect(() => openSecretBox(dataDir)).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
      expect(readFileSync(keyPath, 'utf8')).toBe('not a key\n');
    } finally {
      writeFileSync(keyPath, key);
    }
  });

  it('refuses to start with a key that cannot open the secrets, naming the way out', async () => {
    await stop();
    createKeyFile(join(dataDir, SECRETS_KEY_FILE));
    const refused = await startRunsSandbox({ dataDir }).catch((error: unknown) => error);
    expect(refused).toMatchObject({
      code: 'INTERNAL',
      message: expect.stringContaining('cannot be decrypted'),
      next: [{ command: 'projects sandbox reset' }],
    });
  });
});

/** Turns the sealed values back into clear text, as a sandbox from before sealing stored them. */
function unsealInPlace(columns: readonly SealedColumn[]): void {
  const box = openSecretBox(dataDir);
  const db = openDatabase(sandboxDatabasePath(dataDir));
  try {
    for (const where of columns) {
      const rows = db.prepare(`SELECT rowid AS id, ${where.column} AS value FROM ${where.table}`).all() as {
        id: number;
        value: string;
      }[];
      const update = db.prepare(`UPDATE ${where.table} SET ${where.column} = ? WHERE rowid = ?`);
      for (const row of rows) update.run(box.open(row.value, where), row.id);
    }
  } finally {
    db.close();
  }
}
