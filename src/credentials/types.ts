/** Where credentials are kept: the OS keychain, or the encrypted fallback file. */
export type StoreKind = 'keychain' | 'file';

/** A string-valued secret store addressed by key; the two backends implement it. */
export interface SecretBackend {
  readonly kind: StoreKind;
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<boolean>;
  /** Releases what the backend holds open (the keychain helper process). */
  close?(): void;
}

/** A human's login at one orchestrator (device flow or browser), as kept in the store. */
export interface LoginRecord {
  /** Normalised orchestrator URL (see `normalizeOrchestratorUrl`); the record's key. */
  orchestrator: string;
  accessToken: string;
  refreshToken?: string;
  /** Epoch ms at which the access token expires, when the server said so. */
  expiresAt?: number;
  scopes: string[];
  user?: { id: string; email: string };
  savedAt: number;
}

/** A device authorization started by `projects login` in non-interactive mode, awaiting `--check <ref>`. */
export interface PendingLogin {
  ref: string;
  orchestrator: string;
  deviceCode: string;
  userCode: string;
  verificationUri: string;
  verificationUriComplete?: string;
  /** Seconds between polls, as last told by the server (slow_down raises it). */
  interval: number;
  expiresAt: number;
}
