import { randomBytes } from 'node:crypto';
import type { OrchestratorStorage } from '../storage/unit-of-work.js';
import { hashPassword, newId, verifyPassword } from './crypto.js';
import { type IdentityStore, identityStore, type User } from './store.js';

export const DEFAULT_SANDBOX_EMAIL = 'dev@sandbox.localhost';

export interface SandboxUserInput {
  email?: string | undefined;
  password?: string | undefined;
}

/** What `ensureSandboxUser` did; `password` is set only when it was generated, to be shown once. */
export interface SandboxUserResult {
  user: User;
  created: boolean;
  generatedPassword?: string;
}

function generatePassword(): string {
  // 18 random bytes → 24 URL-safe characters: easy to paste, ~144 bits.
  return randomBytes(18).toString('base64url');
}

/**
 * The sandbox's human. With an explicit email/password (flags or env), that user exists afterwards with
 * that password (created or updated), so tests and demos can sign in. Without them, the first start
 * creates `dev@sandbox.localhost` with a generated password, returned once for the caller to print.
 */
export async function ensureSandboxUser(
  storage: OrchestratorStorage,
  input: SandboxUserInput,
  now: number = Date.now(),
): Promise<SandboxUserResult> {
  const store = identityStore(storage);
  const first = await store.firstUser();
  if (!input.email && !input.password && first) return { user: first, created: false };
  const email = (input.email ?? DEFAULT_SANDBOX_EMAIL).trim().toLowerCase();
  const password = input.password ?? generatePassword();
  const passwordHash = await hashPassword(password);
  const existing = await store.findUserByEmail(email);
  if (existing) {
    if (input.password) await store.setPasswordHash(existing.id, passwordHash);
    return { user: { id: existing.id, email: existing.email }, created: false };
  }
  const user = { id: newId('usr_'), email };
  await store.createUser({ ...user, passwordHash }, now);
  return input.password ? { user, created: true } : { user, created: true, generatedPassword: password };
}

// A valid hash of a random password, so that an unknown email costs as much time as a wrong password.
let decoyHash: Promise<string> | undefined;

export async function authenticate(
  store: IdentityStore,
  email: string,
  password: string,
): Promise<User | undefined> {
  const user = await store.findUserByEmail(email.trim());
  decoyHash ??= hashPassword(generatePassword());
  const ok = await verifyPassword(password, user?.passwordHash ?? (await decoyHash));
  return ok && user ? { id: user.id, email: user.email } : undefined;
}
