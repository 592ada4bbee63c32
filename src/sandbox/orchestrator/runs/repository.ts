import type { ApprovalStatus } from '../../../protocol/orchestrator.js';

/**
 * The runs module's storage, one interface per aggregate; implementations hold the only SQL
 * (storage/sqlite/runs.ts). Async, and atomic only inside the unit of work they are reached from
 * (storage/unit-of-work.ts). Times here are ISO strings, as the runs tables keep them.
 */

export interface ProviderRecord {
  id: string;
  name: string;
  base_url: string;
  signing_secret: string;
  terms_url: string;
  terms_version: string;
}

export interface ProviderRepository {
  upsert(provider: ProviderRecord, updatedAt: string): Promise<void>;
  list(): Promise<ProviderRecord[]>;
  find(id: string): Promise<ProviderRecord | undefined>;
}

export interface ProjectRecord {
  id: string;
  user_id: string;
  name: string;
  created_at: string;
}

export interface ProjectRepository {
  insert(project: ProjectRecord): Promise<void>;
  /** The project if it belongs to `userId`. */
  find(userId: string, id: string): Promise<ProjectRecord | undefined>;
}

export interface QuoteRepository {
  /** `body` is the orchestrator's quote as answered to the CLI, kept whole. */
  insert(
    quote: { id: string; user_id: string; project_id: string; provider: string; provider_quote_id: string },
    body: unknown,
    expiresAt: string,
    createdAt: string,
  ): Promise<void>;
  findBody(id: string): Promise<unknown>;
}

/**
 * Purchases whose outcome is unknown (S3). Written, and committed, just before the orchestrator asks
 * the provider to create a paid resource; removed once the resource is recorded or the provider
 * definitely refused. A rerun with the same idempotency key that finds one here must not quote again —
 * the provider may already have charged, the domain may already be ours and quote as "taken" — but
 * resume with the same quote, the same payment token and the same key, so that the provider answers
 * with the resource it created the first time.
 */
export interface InflightRepository {
  /** The quote of an earlier attempt under this key whose outcome is unknown, if any. */
  quoteFor(userId: string, key: string): Promise<string | undefined>;
  /** Records the quote of a purchase whose outcome is unknown; the first one recorded for a key stays. */
  remember(userId: string, key: string, quoteId: string, createdAt: string): Promise<void>;
  forget(userId: string, key: string): Promise<void>;
}

export interface ResourceRecord {
  id: string;
  user_id: string;
  project_id: string;
  provider: string;
  service: string;
  name: string | null;
  status: 'active' | 'removed';
  provider_resource_id: string;
  credential_names: string[];
  /** The credentials that are not secret, by name, in clear (see `publicValues`). */
  public_credentials: Record<string, string>;
  price_amount: number | null;
  price_currency: string | null;
  quote_id: string | null;
  approval_id: string | null;
  created_at: string;
}

/**
 * Resources, and their provider-issued credentials kept apart so that listings never carry them. The
 * credentials arrive sealed (secret-box.ts): the repository stores and returns the sealed text as is.
 */
export interface ResourceRepository {
  /** A new resource with its (sealed) credentials. */
  insert(resource: ResourceRecord, sealedCredentials: string): Promise<void>;
  find(userId: string, id: string): Promise<ResourceRecord | undefined>;
  /** The resource recorded for what a provider created for this user (at most one: a unique key). */
  findByProviderResource(
    userId: string,
    provider: string,
    providerResourceId: string,
  ): Promise<ResourceRecord | undefined>;
  listByProject(projectId: string): Promise<ResourceRecord[]>;
  namesInProject(projectId: string): Promise<string[]>;
  credentials(resourceId: string): Promise<string | undefined>;
  /** Replaces the (sealed) credentials, the resource's list of their names and its public ones (rotation). */
  saveCredentials(
    resourceId: string,
    sealed: string,
    names: string[],
    publicCredentials: Record<string, string>,
  ): Promise<void>;
  /** Marks it removed and forgets its credentials. */
  markRemoved(resourceId: string): Promise<void>;
}

export interface AccountLinkRecord {
  state: string;
  user_id: string;
  provider: string;
  code_verifier: string;
  consent_url: string;
  expires_at: string;
}

/** Accounts at providers and the consent-page links that are waiting for a human. */
export interface AccountRepository {
  accessToken(userId: string, provider: string): Promise<string | undefined>;
  saveAccount(input: {
    userId: string;
    provider: string;
    accountId: string;
    accessToken: string;
    linkedAt: string;
  }): Promise<void>;
  insertLink(link: AccountLinkRecord): Promise<void>;
  findLink(state: string, provider: string): Promise<AccountLinkRecord | undefined>;
  deleteLink(state: string, provider: string): Promise<void>;
  /** The consent URL of the user's latest link to the provider still valid at `now`. */
  pendingConsentUrl(userId: string, provider: string, now: string): Promise<string | undefined>;
}

export interface ApprovalRecord {
  id: string;
  user_id: string;
  status: ApprovalStatus;
  kind: string;
  title: string;
  project_id: string | null;
  run_id: string | null;
  provider: string | null;
  service: string | null;
  name_asked: string | null;
  name_offered: string | null;
  price_amount: number | null;
  price_currency: string | null;
  billing: 'free' | 'one_time' | 'recurring' | null;
  refundable: boolean;
  warnings: string[];
  plan_hash: string;
  confirmation: string | null;
  created_at: string;
  expires_at: string;
  decided_by: string | null;
  decided_via: 'web' | 'cli' | null;
  decided_at: string | null;
  reason: string | null;
  consumed_at: string | null;
}

/** Who decided an approval, how (web page or typed at a terminal), when, and why. */
export interface ApprovalDecision {
  status: 'approved' | 'denied';
  by: string;
  via: 'web' | 'cli';
  at: string;
  reason: string | null;
}

export interface ApprovalRepository {
  insert(approval: ApprovalRecord): Promise<void>;
  find(userId: string, id: string): Promise<ApprovalRecord | undefined>;
  list(
    userId: string,
    filter: { status?: ApprovalStatus | undefined; projectId?: string | undefined },
  ): Promise<ApprovalRecord[]>;
  /** Pending approvals whose `expires_at` is at or before `now` become expired. */
  expireOverdue(now: string): Promise<void>;
  /**
   * The newest approval of this plan that is not expired and still usable: unclaimed, or claimed by
   * `claimant` tentatively (a rerun of the very request after a crash).
   */
  findUsable(userId: string, planHash: string, claimant: string | null): Promise<ApprovalRecord | undefined>;
  /** Claims it for `consumer` unless someone else holds it; `settled` false keeps it re-claimable by them. */
  claim(id: string, consumer: string, settled: boolean, now: string): Promise<void>;
  settle(id: string): Promise<void>;
  release(id: string): Promise<void>;
  /** Records a decision on a pending approval; false when it was no longer pending. */
  decide(id: string, decision: ApprovalDecision): Promise<boolean>;
}
