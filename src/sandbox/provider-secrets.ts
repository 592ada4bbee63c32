import { randomBytes } from 'node:crypto';
import { type Db, migrate } from './db.js';
import { type SealedColumn, type SecretBox, sealClearValues } from './secret-box.js';

/**
 * What the composition root hands to a reference provider module and to the orchestrator's provider
 * registry, so that both sides of the signed protocol share one secret.
 */
export interface SandboxProvider {
  id: string;
  /** Where the provider is mounted: `/providers/<id>`; its base URL is `<sandbox>/providers/<id>/`. */
  prefix: string;
  signingSecret: string;
}

const MIGRATIONS = [
  `CREATE TABLE sandbox_provider_secrets (
     provider_id TEXT PRIMARY KEY,
     signing_secret TEXT NOT NULL,
     created_at INTEGER NOT NULL)`,
];

/** Sealed: with a signing secret one could forge the orchestrator's requests and open the replay answers. */
const SIGNING_SECRETS: SealedColumn = { table: 'sandbox_provider_secrets', column: 'signing_secret' };

/**
 * The providers' signing secrets, generated on first start and kept (sealed) in the database so that they
 * survive restarts (a provider's registration at the orchestrator stays valid).
 */
export function ensureProviderSecrets(
  db: Db,
  secrets: SecretBox,
  providerIds: readonly string[],
): SandboxProvider[] {
  migrate(db, 'sandbox', MIGRATIONS);
  sealClearValues(db, secrets, [SIGNING_SECRETS]);
  const insert = db.prepare(
    'INSERT OR IGNORE INTO sandbox_provider_secrets (provider_id, signing_secret, created_at) VALUES (?, ?, ?)',
  );
  const select = db.prepare(
    'SELECT signing_secret AS secret FROM sandbox_provider_secrets WHERE provider_id = ?',
  );
  return providerIds.map((id) => {
    const fresh = `whsec_${randomBytes(32).toString('base64url')}`;
    insert.run(id, secrets.seal(fresh, SIGNING_SECRETS), Date.now());
    const { secret } = select.get(id) as { secret: string };
    return { id, prefix: `/providers/${id}`, signingSecret: secrets.open(secret, SIGNING_SECRETS) };
  });
}

/** The stored secrets (read-only), e.g. for `sandbox status` to sign its health checks. */
export function readProviderSecrets(db: Db, secrets: SecretBox): SandboxProvider[] {
  const hasTable = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sandbox_provider_secrets'")
    .get();
  if (!hasTable) return [];
  const rows = db
    .prepare(
      'SELECT provider_id AS id, signing_secret AS secret FROM sandbox_provider_secrets ORDER BY provider_id',
    )
    .all() as { id: string; secret: string }[];
  return rows.map((row) => ({
    id: row.id,
    prefix: `/providers/${row.id}`,
    signingSecret: secrets.open(row.secret, SIGNING_SECRETS),
  }));
}
