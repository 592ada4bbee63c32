/**
 * Scopes of orchestrator credentials. A human's login (device flow or browser) carries every scope,
 * including `approve`; a scoped token (`projects token create`) can never carry `approve`.
 */
export const SCOPES = [
  'read',
  'provision:free',
  'provision:paid',
  'deploy:preview',
  'deploy:production',
  'approve',
] as const;
export type Scope = (typeof SCOPES)[number];
export const TOKEN_GRANTABLE_SCOPES: readonly Scope[] = SCOPES.filter((scope) => scope !== 'approve');

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/** Who acts: a human signed in (login or web session), or a scoped token used by an agent or CI. */
export interface Principal {
  userId: string;
  email: string;
  kind: 'human' | 'token';
  /** The API token's id (`tok_…`) or the OAuth grant's id; shown in the audit log. */
  credentialId: string;
  scopes: readonly Scope[];
  /** `human:<email>` or `token:<id>` (with `run:<id>` appended by the audit writer when a run applies). */
  actor: string;
}
