import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ProjectsPaths, resolvePaths } from '../core/paths.js';
import { readIfExists } from '../files.js';
import { ProjectsError } from '../protocol/errors.js';
import { publicValues } from '../protocol/secret-shape.js';
import { EncryptedFileBackend } from './file-store.js';
import { KeychainBackend, KeychainError } from './keychain.js';
import { withFileLock } from './lock.js';
import type { LoginRecord, PendingLogin, SecretBackend, StoreKind } from './types.js';

/** Per keychain call, once chosen. Generous: a Secret Service may need to start on first use. */
const KEYCHAIN_TIMEOUT_MS = 5000;
/** The first probe decides whether a keychain exists at all, so it gives up quickly. */
const KEYCHAIN_PROBE_TIMEOUT_MS = 2500;
const PROBE_ACCOUNT = 'projects-cli-probe';

export interface StoreDecision {
  kind: StoreKind;
  reason: string;
}

export interface OpenStoreOptions {
  env?: NodeJS.ProcessEnv;
  paths?: ProjectsPaths;
  /** Writes one line to stderr: which store is used and why, once (and again when that changes). */
  notice?: (line: string) => void;
  /** Called with every secret read from or written to the store, to register it for redaction. */
  onSecret?: (value: string) => void;
}

function isSet(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}

function timeoutFrom(env: NodeJS.ProcessEnv, fallback: number): number {
  const value = Number(env.PROJECTS_KEYCHAIN_TIMEOUT_MS);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

/** The one key under which each orchestrator's login is kept: scheme, host and path, no trailing slash. */
export function normalizeOrchestratorUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ProjectsError('INVALID_ARGUMENT', `not a valid orchestrator URL: ${url}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ProjectsError('INVALID_ARGUMENT', `the orchestrator URL must be http or https: ${url}`);
  }
  return `${parsed.protocol}//${parsed.host}${parsed.pathname.replace(/\/+$/, '')}`;
}

function decisionPath(paths: ProjectsPaths): string {
  return join(paths.configDir, 'credential-store.json');
}

function readDecision(paths: ProjectsPaths): StoreDecision | undefined {
  try {
    const decision = JSON.parse(readFileSync(decisionPath(paths), 'utf8')) as StoreDecision;
    return decision.kind === 'keychain' || decision.kind === 'file' ? decision : undefined;
  } catch {
    return undefined;
  }
}

function writeDecision(paths: ProjectsPaths, decision: StoreDecision): void {
  mkdirSync(paths.configDir, { recursive: true, mode: 0o700 });
  writeFileSync(
    decisionPath(paths),
    `${JSON.stringify({ ...decision, decidedAt: new Date().toISOString() })}\n`,
    {
      mode: 0o600,
    },
  );
}

/** Writes, reads back and deletes a throwaway entry: a keychain that is locked or read-only fails here. */
async function probeKeychain(env: NodeJS.ProcessEnv): Promise<StoreDecision> {
  const keychain = new KeychainBackend({ env, timeoutMs: timeoutFrom(env, KEYCHAIN_PROBE_TIMEOUT_MS) });
  try {
    await keychain.set(PROBE_ACCOUNT, 'probe');
    const value = await keychain.get(PROBE_ACCOUNT);
    await keychain.delete(PROBE_ACCOUNT);
    if (value !== 'probe') return { kind: 'file', reason: 'the OS keychain did not keep a test entry' };
    return { kind: 'keychain', reason: 'the OS keychain answered' };
  } catch (error) {
    return { kind: 'file', reason: `no OS keychain is usable (${(error as Error).message})` };
  } finally {
    keychain.close();
  }
}

/**
 * Which store to use. Explicit choice first (`PROJECTS_CREDENTIAL_STORE=keychain|file`), then `CI` (never
 * the keychain: CI machines have none, and a prompt there would hang), then the decision remembered from
 * an earlier probe, and only then a probe, whose outcome is remembered so later commands skip it.
 */
export async function decideStore(env: NodeJS.ProcessEnv, paths: ProjectsPaths): Promise<StoreDecision> {
  const forced = env.PROJECTS_CREDENTIAL_STORE;
  if (forced === 'keychain' || forced === 'file') {
    return { kind: forced, reason: `PROJECTS_CREDENTIAL_STORE is ${forced}` };
  }
  if (isSet(env.CI)) return { kind: 'file', reason: 'CI is set, so the keychain is never used' };
  const remembered = readDecision(paths);
  if (remembered) return remembered;
  const probed = await probeKeychain(env);
  writeDecision(paths, probed);
  return probed;
}

function describe(decision: StoreDecision): string {
  const store = decision.kind === 'keychain' ? 'the OS keychain' : 'an encrypted file (fallback)';
  return `Credentials are kept in ${store}: ${decision.reason}.`;
}

/**
 * Tells which store is used and why once, not on every command: again only when that changes (a probe, an
 * explicit choice set or unset, `CI`). The last line told is kept beside the decision.
 */
function announce(paths: ProjectsPaths, line: string, notice: (line: string) => void): void {
  const told = join(paths.configDir, 'credential-store-notice.txt');
  if (readIfExists(told) === line) return;
  notice(line);
  try {
    mkdirSync(paths.configDir, { recursive: true, mode: 0o700 });
    writeFileSync(told, line, { mode: 0o600 });
  } catch {
    // a read-only config directory: the line is told again next time, which is only noise
  }
}

function backendFor(decision: StoreDecision, env: NodeJS.ProcessEnv, paths: ProjectsPaths): SecretBackend {
  if (decision.kind === 'keychain') {
    return new KeychainBackend({ env, timeoutMs: timeoutFrom(env, KEYCHAIN_TIMEOUT_MS) });
  }
  return new EncryptedFileBackend({
    path: join(paths.configDir, 'credentials.enc.json'),
    keyPath: join(paths.dataDir, 'credentials.key'),
    reason: decision.reason,
  });
}

/** Opens the credential store for this process. Cheap: the keychain helper starts only on first use. */
export async function openCredentialStore(options: OpenStoreOptions = {}): Promise<CredentialStore> {
  const env = options.env ?? process.env;
  const paths = options.paths ?? resolvePaths(env);
  const decision = await decideStore(env, paths);
  if (options.notice) announce(paths, describe(decision), options.notice);
  return new CredentialStore(
    backendFor(decision, env, paths),
    decision.reason,
    join(paths.configDir, 'credentials.lock'),
    options.onSecret,
  );
}

/** A namespace's resource credentials, and those of them that may be shown. */
export interface ResourceCredentials {
  values: Record<string, string>;
  shown: Record<string, string>;
}

/** Which of a namespace's resource credentials are public, kept beside them (a list of names). */
function publicNamesKey(namespace: string): string {
  return `resources-public:${namespace}`;
}

/**
 * Logins keyed by orchestrator URL (several can be signed in at once), pending device logins keyed by
 * their ref, and provider resource credentials by namespace (a project) and environment variable name.
 */
export class CredentialStore {
  constructor(
    private readonly backend: SecretBackend,
    readonly reason: string,
    private readonly lockPath: string,
    private readonly onSecret: (value: string) => void = () => {},
  ) {}

  get kind(): StoreKind {
    return this.backend.kind;
  }

  async getLogin(orchestrator: string): Promise<LoginRecord | undefined> {
    const record = await this.read<LoginRecord>(`login:${normalizeOrchestratorUrl(orchestrator)}`);
    if (record) this.registerLogin(record);
    return record;
  }

  async saveLogin(record: LoginRecord): Promise<void> {
    this.registerLogin(record);
    const orchestrator = normalizeOrchestratorUrl(record.orchestrator);
    await this.write(`login:${orchestrator}`, { ...record, orchestrator });
  }

  async deleteLogin(orchestrator: string): Promise<boolean> {
    return this.remove(`login:${normalizeOrchestratorUrl(orchestrator)}`);
  }

  async getPendingLogin(ref: string): Promise<PendingLogin | undefined> {
    const pending = await this.read<PendingLogin>(`pending-login:${ref}`);
    if (pending) this.onSecret(pending.deviceCode);
    return pending;
  }

  async savePendingLogin(pending: PendingLogin): Promise<void> {
    this.onSecret(pending.deviceCode);
    await this.write(`pending-login:${pending.ref}`, pending);
  }

  async deletePendingLogin(ref: string): Promise<boolean> {
    return this.remove(`pending-login:${ref}`);
  }

  /**
   * A provisioned resource's credentials by environment variable name (e.g. `DATABASE_URL`), and of them the
   * values that may be shown (`shown`): named public when they were put (the provider's marking, passed on
   * by the orchestrator) and not shaped like a credential. Every other value is registered for redaction.
   */
  async getResources(namespace: string): Promise<ResourceCredentials> {
    const values = (await this.read<Record<string, string>>(`resources:${namespace}`)) ?? {};
    const shown = publicValues(values, await this.publicNames(namespace));
    this.registerSecrets(values, shown);
    return { values, shown };
  }

  /** {@link getResources}' values alone. */
  async getResourceSecrets(namespace: string): Promise<Record<string, string>> {
    return (await this.getResources(namespace)).values;
  }

  /**
   * Adds or replaces the given variables, keeping the others. `publicNames` are those of the given
   * variables whose values are not secret; the given variables not in it are secret, whatever they were.
   */
  async putResourceSecrets(
    namespace: string,
    secrets: Record<string, string>,
    publicNames: readonly string[] = [],
  ): Promise<void> {
    const shown = publicValues(secrets, publicNames);
    this.registerSecrets(secrets, shown);
    const current = (await this.read<Record<string, string>>(`resources:${namespace}`)) ?? {};
    const currentPublic = await this.publicNames(namespace);
    await this.write(`resources:${namespace}`, { ...current, ...secrets });
    await this.writePublicNames(namespace, currentPublic, [
      ...currentPublic.filter((name) => !Object.hasOwn(secrets, name)),
      ...Object.keys(shown),
    ]);
  }

  /** Deletes the named variables, or the whole namespace when no names are given. */
  async deleteResourceSecrets(namespace: string, names?: readonly string[]): Promise<void> {
    const key = `resources:${namespace}`;
    if (!names) {
      await this.remove(key);
      await this.remove(publicNamesKey(namespace));
      return;
    }
    const current = (await this.read<Record<string, string>>(key)) ?? {};
    for (const name of names) delete current[name];
    if (Object.keys(current).length === 0) await this.remove(key);
    else await this.write(key, current);
    const currentPublic = await this.publicNames(namespace);
    await this.writePublicNames(
      namespace,
      currentPublic,
      currentPublic.filter((name) => Object.hasOwn(current, name)),
    );
  }

  close(): void {
    this.backend.close?.();
  }

  /** Runs `action` as the only process changing credentials (e.g. rotating a refresh token). */
  exclusive<T>(action: () => Promise<T>): Promise<T> {
    return withFileLock(this.lockPath, action);
  }

  private registerLogin(record: LoginRecord): void {
    this.onSecret(record.accessToken);
    if (record.refreshToken) this.onSecret(record.refreshToken);
  }

  /** Registers every value for redaction but the public ones. */
  private registerSecrets(values: Record<string, string>, shown: Record<string, string>): void {
    for (const [name, value] of Object.entries(values)) {
      if (!Object.hasOwn(shown, name)) this.onSecret(value);
    }
  }

  /** Absent (credentials stored before providers could mark public values): none, so all are secret. */
  private async publicNames(namespace: string): Promise<string[]> {
    return (await this.read<string[]>(publicNamesKey(namespace))) ?? [];
  }

  /** Writes only a change, so that a store without public names costs no extra keychain call. */
  private async writePublicNames(namespace: string, before: string[], names: string[]): Promise<void> {
    const after = [...new Set(names)].sort();
    if (after.join('\n') === before.join('\n')) return;
    if (after.length) await this.write(publicNamesKey(namespace), after);
    else await this.remove(publicNamesKey(namespace));
  }

  private async read<T>(key: string): Promise<T | undefined> {
    const text = await this.guard(() => this.backend.get(key));
    return text === undefined ? undefined : (JSON.parse(text) as T);
  }

  private async write(key: string, value: unknown): Promise<void> {
    await this.guard(() => this.backend.set(key, JSON.stringify(value)));
  }

  private async remove(key: string): Promise<boolean> {
    return this.guard(() => this.backend.delete(key));
  }

  /** A keychain that fails or hangs becomes an actionable error, never a hang or a stack trace. */
  private async guard<T>(action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      if (!(error instanceof KeychainError)) throw error;
      throw new ProjectsError('AUTH_REQUIRED', `${error.message}; credentials cannot be read or saved`, {
        details: { store: 'keychain' },
        next: [
          {
            command: 'PROJECTS_CREDENTIAL_STORE=file projects login',
            why: 'keep credentials in the encrypted file instead of the unresponsive keychain',
          },
        ],
      });
    }
  }
}
