import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAudit, verifyAuditChain } from '../../src/sandbox/orchestrator/audit/chain.js';
import { claimIdempotencyKey } from '../../src/sandbox/orchestrator/money/idempotency.js';
import { DEFAULT_LIMITS } from '../../src/sandbox/orchestrator/money/limits.js';
import type { NewPaymentToken } from '../../src/sandbox/orchestrator/money/repository.js';
import type { ApprovalRecord, ResourceRecord } from '../../src/sandbox/orchestrator/runs/repository.js';
import type {
  OrchestratorStorage,
  OrchestratorTx,
} from '../../src/sandbox/orchestrator/storage/unit-of-work.js';

/**
 * The contract of the orchestrator's storage (src/sandbox/orchestrator/storage/unit-of-work.ts), written
 * against the interfaces only: every backend runs this same suite (sqlite.test.ts for the SQLite one; a
 * PostgreSQL backend adds its own file calling `storageContract`). `open` hands out an empty, migrated store.
 */
export interface OpenedStorage {
  storage: OrchestratorStorage;
  /** The same data as a process started afterwards opens it: another instance (`close` ends it too). */
  reopen(): Promise<OrchestratorStorage>;
  close(): Promise<void>;
}

const NOW = Date.parse('2026-12-04T12:00:00Z');
let counter = 0;

function token(overrides: Partial<NewPaymentToken> = {}): NewPaymentToken {
  counter += 1;
  return {
    id: `spt_${counter.toString(16).padStart(32, '0')}`,
    user_id: 'usr_contract',
    project_id: 'prj_contract',
    run_id: null,
    provider_id: 'edge',
    max_amount: 1_000,
    currency: 'usd',
    description: null,
    created_at: NOW,
    expires_at: NOW + 60_000,
    ...overrides,
  };
}

/** A check-then-write with awaits in between: only a serializable unit keeps it from overspending. */
async function reserveWithinCap(tx: OrchestratorTx, userId: string, amount: number, cap: number) {
  const used = await tx.ledger.reserved({ userId, now: NOW });
  if (used + amount > cap) return false;
  await tx.ledger.insertToken(token({ user_id: userId, max_amount: amount }));
  return true;
}

export function storageContract(backend: string, open: () => Promise<OpenedStorage>): void {
  describe(`orchestrator storage contract: ${backend}`, () => {
    let opened: OpenedStorage;
    let storage: OrchestratorStorage;
    beforeAll(async () => {
      opened = await open();
      storage = opened.storage;
    });
    afterAll(() => opened?.close());

    describe('unit of work', () => {
      it('commits every write of a unit together, and rolls all of them back on a throw', async () => {
        const kept = token();
        const lost = token();
        await storage.transaction((tx) => tx.ledger.insertToken(kept));
        await expect(
          storage.transaction(async (tx) => {
            await tx.ledger.insertToken(lost);
            throw new Error('the state change failed');
          }),
        ).rejects.toThrow('the state change failed');
        const found = await storage.transaction(async (tx) => [
          await tx.ledger.findToken(kept.id),
          await tx.ledger.findToken(lost.id),
        ]);
        expect(found[0]).toMatchObject({ id: kept.id, status: 'active', max_amount: 1_000 });
        expect(found[1]).toBeUndefined();
      });

      it('rolls back only a nested unit that threw, and the outer unit goes on', async () => {
        const outer = token();
        const inner = token();
        await storage.transaction(async (tx) => {
          await tx.ledger.insertToken(outer);
          await tx
            .transaction(async (nested) => {
              await nested.ledger.insertToken(inner);
              throw new Error('inner failed');
            })
            .catch(() => undefined);
        });
        const found = await storage.transaction(async (tx) => [
          await tx.ledger.findToken(outer.id),
          await tx.ledger.findToken(inner.id),
        ]);
        expect(found[0]?.id).toBe(outer.id);
        expect(found[1]).toBeUndefined();
      });

      it('refuses a unit opened on the storage from inside another unit', async () => {
        const kept = token();
        await storage.transaction(async (tx) => {
          await tx.ledger.insertToken(kept);
          await expect(storage.transaction(async () => 'never')).rejects.toThrow(/tx\.transaction/);
        });
        expect(await storage.transaction((tx) => tx.ledger.findToken(kept.id))).toMatchObject({
          id: kept.id,
        });
      });

      it('serializes concurrent check-then-write units: 40 reservations of 10 against a cap of 100', async () => {
        const attempts = await Promise.all(
          Array.from({ length: 40 }, () =>
            storage.transaction((tx) => reserveWithinCap(tx, 'usr_race', 10, 100)),
          ),
        );
        expect(attempts.filter(Boolean)).toHaveLength(10);
        expect(await storage.transaction((tx) => tx.ledger.reserved({ userId: 'usr_race', now: NOW }))).toBe(
          100,
        );
      });

      it('keeps the audit chain whole under 30 concurrent appends', async () => {
        const events = await Promise.all(
          Array.from({ length: 30 }, (_, i) =>
            appendAudit(storage, { userId: 'usr_audit', actor: 'system', action: `test.${i}`, result: 'ok' }),
          ),
        );
        const seqs = events.map((event) => event.seq).sort((a, b) => a - b);
        expect(seqs).toEqual(Array.from({ length: 30 }, (_, i) => seqs[0]! + i));
        expect(await verifyAuditChain(storage)).toMatchObject({ ok: true, first_bad: null });
      });
    });

    describe('ledger', () => {
      it('sums spend per month, provider and run, and reservations of live tokens only', async () => {
        const user = 'usr_sums';
        await storage.transaction(async (tx) => {
          await tx.budgetRuns.insert(
            {
              id: 'run_sums',
              user_id: user,
              project_id: null,
              currency: 'usd',
              budget: 10_000,
              created_at: NOW,
              expires_at: NOW + 3_600_000,
              ended_at: null,
              end_reason: null,
            },
            'system',
          );
          const captured = token({ user_id: user, max_amount: 500, run_id: 'run_sums' });
          await tx.ledger.insertToken(captured);
          await tx.ledger.insertCapture({
            id: 'cap_sums_1',
            token_id: captured.id,
            user_id: user,
            provider_id: 'edge',
            project_id: null,
            run_id: 'run_sums',
            amount: 400,
            currency: 'usd',
            month: '2026-12',
            description: null,
            created_at: NOW,
          });
          await tx.ledger.markCaptured(captured.id);
          await tx.ledger.insertToken(token({ user_id: user, max_amount: 300, provider_id: 'data' }));
          await tx.ledger.insertToken(token({ user_id: user, max_amount: 700, expires_at: NOW - 1 }));
        });
        const sums = await storage.transaction(async (tx) => ({
          spent: await tx.ledger.spent({ userId: user, now: NOW }),
          spentAtData: await tx.ledger.spent({ userId: user, providerId: 'data', now: NOW }),
          spentInRun: await tx.ledger.spent({ userId: user, runId: 'run_sums', now: NOW }),
          spentNextMonth: await tx.ledger.spent({ userId: user, now: Date.parse('2027-01-02T00:00:00Z') }),
          reserved: await tx.ledger.reserved({ userId: user, now: NOW }),
          reservedAtEdge: await tx.ledger.reserved({ userId: user, providerId: 'edge', now: NOW }),
          providers: await tx.ledger.providersWithSpend(user, '2026-12', NOW),
          issued: await tx.ledger.tokensIssuedSince({
            userId: user,
            projectId: 'prj_contract',
            since: NOW - 1,
          }),
        }));
        expect(sums).toEqual({
          spent: 400,
          spentAtData: 0,
          spentInRun: 400,
          spentNextMonth: 0,
          reserved: 300,
          reservedAtEdge: 0,
          providers: ['data', 'edge'],
          issued: 3,
        });
      });

      it('revokes a token once, and every active token of a user or of a run', async () => {
        const user = 'usr_revoke';
        const [one, two] = [token({ user_id: user }), token({ user_id: user })];
        const outcome = await storage.transaction(async (tx) => {
          await tx.ledger.insertToken(one);
          await tx.ledger.insertToken(two);
          const input = { tokenId: one.id, userId: user, reason: 'test', now: NOW };
          return {
            first: await tx.ledger.revokeToken(input),
            again: await tx.ledger.revokeToken(input),
            otherUser: await tx.ledger.revokeToken({ ...input, tokenId: two.id, userId: 'usr_else' }),
            rest: await tx.ledger.revokeActiveTokens({ userId: user }, 'frozen', NOW),
            reserved: await tx.ledger.reserved({ userId: user, now: NOW }),
            two: await tx.ledger.findToken(two.id),
          };
        });
        expect(outcome).toMatchObject({ first: true, again: false, otherUser: false, rest: 1, reserved: 0 });
        expect(outcome.two).toMatchObject({ status: 'revoked', revoke_reason: 'frozen' });
      });
    });

    describe('limits, runs, freezes and gates', () => {
      it('stores limits per user', async () => {
        const limits = { ...DEFAULT_LIMITS, global_monthly_cap: 123 };
        const [before, after] = await storage.transaction(async (tx) => {
          const first = await tx.limits.get('usr_limits');
          await tx.limits.put('usr_limits', limits, NOW);
          return [first, await tx.limits.get('usr_limits')];
        });
        expect(before).toBeUndefined();
        expect(after).toEqual(limits);
      });

      it('ends a run once, and ends only the active runs of a user', async () => {
        const run = (id: string, expiresAt: number) => ({
          id,
          user_id: 'usr_runs',
          project_id: null,
          currency: 'usd',
          budget: 1_000,
          created_at: NOW - 10,
          expires_at: expiresAt,
          ended_at: null,
          end_reason: null,
        });
        const outcome = await storage.transaction(async (tx) => {
          await tx.budgetRuns.insert(run('run_active', NOW + 60_000), 'system');
          await tx.budgetRuns.insert(run('run_expired', NOW - 1), 'system');
          await tx.budgetRuns.insert(run('run_ended', NOW + 60_000), 'system');
          await tx.budgetRuns.end('run_ended', 'ended', NOW);
          await tx.budgetRuns.end('run_ended', 'again', NOW + 5);
          return {
            ended: await tx.budgetRuns.endActive('usr_runs', 'frozen', NOW),
            active: await tx.budgetRuns.find('usr_runs', 'run_active'),
            once: await tx.budgetRuns.find('usr_runs', 'run_ended'),
            otherUser: await tx.budgetRuns.find('usr_else', 'run_active'),
          };
        });
        expect(outcome.ended).toBe(1);
        expect(outcome.active).toMatchObject({ ended_at: NOW, end_reason: 'frozen' });
        expect(outcome.once).toMatchObject({ ended_at: NOW, end_reason: 'ended' });
        expect(outcome.otherUser).toBeUndefined();
      });

      it('freezes and lifts', async () => {
        const states = await storage.transaction(async (tx) => {
          const never = await tx.freezes.get('usr_freeze');
          await tx.freezes.freeze({ userId: 'usr_freeze', actor: 'human:a', reason: 'panic', now: NOW });
          const frozen = await tx.freezes.get('usr_freeze');
          await tx.freezes.lift('usr_freeze', NOW + 1);
          return { never, frozen, lifted: await tx.freezes.get('usr_freeze') };
        });
        expect(states.never).toBeUndefined();
        expect(states.frozen).toEqual({
          frozen: true,
          reason: 'panic',
          frozen_at: NOW,
          frozen_by: 'human:a',
        });
        expect(states.lifted?.frozen).toBe(false);
      });

      it('keeps the first gate recorded for an approval, and marks it applied', async () => {
        const gate = { approval_id: 'apr_gate', user_id: 'usr_gate', kind: 'unfreeze' as const };
        const found = await storage.transaction(async (tx) => {
          await tx.gates.remember({ ...gate, payload: { frozen_at: 'first' } }, NOW);
          await tx.gates.remember({ ...gate, payload: { frozen_at: 'second' } }, NOW);
          await tx.gates.markApplied('apr_gate', NOW + 1);
          return tx.gates.find('apr_gate');
        });
        expect(found).toEqual({ ...gate, payload: { frozen_at: 'first' }, applied_at: NOW + 1 });
      });
    });

    describe('approvals', () => {
      const approval = (id: string, planHash: string): ApprovalRecord => ({
        id,
        user_id: 'usr_apr',
        status: 'pending',
        kind: 'purchase',
        title: 'Buy a thing',
        project_id: null,
        run_id: null,
        provider: null,
        service: null,
        name_asked: null,
        name_offered: null,
        price_amount: 900,
        price_currency: 'usd',
        billing: 'one_time',
        refundable: false,
        warnings: ['a warning'],
        plan_hash: planHash,
        confirmation: 'thing',
        created_at: '2026-12-04T12:00:00.000Z',
        expires_at: '2026-12-05T12:00:00.000Z',
        decided_by: null,
        decided_via: null,
        decided_at: null,
        reason: null,
        consumed_at: null,
      });
      const decision = { status: 'approved' as const, by: 'human:a', via: 'cli' as const, reason: null };

      it('decides a pending approval once', async () => {
        const outcome = await storage.transaction(async (tx) => {
          await tx.approvals.insert(approval('apr_decide', 'plan-decide'));
          const first = await tx.approvals.decide('apr_decide', { ...decision, at: 'first' });
          const second = await tx.approvals.decide('apr_decide', {
            ...decision,
            status: 'denied',
            at: 'second',
          });
          return { first, second, stored: await tx.approvals.find('usr_apr', 'apr_decide') };
        });
        expect(outcome).toMatchObject({ first: true, second: false });
        expect(outcome.stored).toMatchObject({ status: 'approved', decided_at: 'first', refundable: false });
        expect(outcome.stored?.warnings).toEqual(['a warning']);
      });

      it('hands a final claim to nobody else, and a tentative one back to its claimant until settled', async () => {
        const usable = (tx: OrchestratorTx, claimant: string | null) =>
          tx.approvals.findUsable('usr_apr', 'plan-claim', claimant).then((found) => found?.id);
        const seen = await storage.transaction(async (tx) => {
          await tx.approvals.insert(approval('apr_claim', 'plan-claim'));
          await tx.approvals.decide('apr_claim', { ...decision, at: 'now' });
          await tx.approvals.claim('apr_claim', 'request-1', false, 'now');
          await tx.approvals.claim('apr_claim', 'request-2', true, 'now');
          const tentative = [await usable(tx, 'request-1'), await usable(tx, 'request-2')];
          await tx.approvals.settle('apr_claim');
          const settled = await usable(tx, 'request-1');
          await tx.approvals.release('apr_claim');
          return { tentative, settled, released: await usable(tx, null) };
        });
        expect(seen).toEqual({
          tentative: ['apr_claim', undefined],
          settled: undefined,
          released: 'apr_claim',
        });
      });

      it('expires overdue pending approvals', async () => {
        const found = await storage.transaction(async (tx) => {
          await tx.approvals.insert(approval('apr_old', 'plan-old'));
          await tx.approvals.expireOverdue('2026-12-05T12:00:00.000Z');
          return tx.approvals.find('usr_apr', 'apr_old');
        });
        expect(found?.status).toBe('expired');
      });
    });

    describe('resources and provider accounts', () => {
      it('keeps credentials apart from the resource, and forgets them on removal', async () => {
        const resource: ResourceRecord = {
          id: 'res_contract',
          user_id: 'usr_res',
          project_id: 'prj_res',
          provider: 'data',
          service: 'kv',
          name: 'cache',
          status: 'active',
          provider_resource_id: 'kv_1',
          credential_names: [],
          public_credentials: {},
          price_amount: null,
          price_currency: null,
          quote_id: null,
          approval_id: null,
          created_at: '2026-12-04T12:00:00.000Z',
        };
        const outcome = await storage.transaction(async (tx) => {
          await tx.projects.insert({ id: 'prj_res', user_id: 'usr_res', name: 'res', created_at: 'now' });
          await tx.resources.insert(resource, 'sealed-at-insert');
          await tx.resources.saveCredentials('res_contract', 'sealed-text', ['TOKEN', 'URL'], {
            URL: 'https://kv.example/1',
          });
          const saved = await tx.resources.find('usr_res', 'res_contract');
          const credentials = await tx.resources.credentials('res_contract');
          await tx.resources.markRemoved('res_contract');
          return {
            names: saved?.credential_names,
            shown: saved?.public_credentials,
            credentials,
            listed: (await tx.resources.listByProject('prj_res')).map((r) => r.status),
            afterRemoval: await tx.resources.credentials('res_contract'),
            otherUser: await tx.resources.find('usr_else', 'res_contract'),
          };
        });
        expect(outcome).toEqual({
          names: ['TOKEN', 'URL'],
          shown: { URL: 'https://kv.example/1' },
          credentials: 'sealed-text',
          listed: ['removed'],
          afterRemoval: undefined,
          otherUser: undefined,
        });
      });

      it('finds a resource by what the provider created, and refuses a second row for it', async () => {
        const resource: ResourceRecord = {
          id: 'res_once',
          user_id: 'usr_once',
          project_id: 'prj_once',
          provider: 'edge',
          service: 'registrar:domain',
          name: 'once.dev',
          status: 'active',
          provider_resource_id: 'dom_1',
          credential_names: [],
          public_credentials: {},
          price_amount: 1200,
          price_currency: 'usd',
          quote_id: 'qt_1',
          approval_id: null,
          created_at: '2026-12-04T12:00:00.000Z',
        };
        const found = await storage.transaction(async (tx) => {
          await tx.resources.insert(resource, 'sealed-text');
          return {
            same: (await tx.resources.findByProviderResource('usr_once', 'edge', 'dom_1'))?.id,
            credentials: await tx.resources.credentials('res_once'),
            otherUser: await tx.resources.findByProviderResource('usr_else', 'edge', 'dom_1'),
            otherProvider: await tx.resources.findByProviderResource('usr_once', 'data', 'dom_1'),
          };
        });
        expect(found).toEqual({
          same: 'res_once',
          credentials: 'sealed-text',
          otherUser: undefined,
          otherProvider: undefined,
        });
        await expect(
          storage.transaction((tx) => tx.resources.insert({ ...resource, id: 'res_twice' }, 'sealed-text')),
        ).rejects.toThrow();
        const kept = await storage.transaction((tx) => tx.resources.find('usr_once', 'res_twice'));
        expect(kept).toBeUndefined();
      });

      it('finds a pending consent link until it expires, and forgets it once used', async () => {
        const link = {
          state: 'state-1',
          user_id: 'usr_link',
          provider: 'edge',
          code_verifier: 'verifier',
          consent_url: 'http://127.0.0.1/consent',
          expires_at: '2026-12-04T12:15:00.000Z',
        };
        const outcome = await storage.transaction(async (tx) => {
          await tx.accounts.insertLink(link);
          const pending = await tx.accounts.pendingConsentUrl('usr_link', 'edge', '2026-12-04T12:00:00.000Z');
          const late = await tx.accounts.pendingConsentUrl('usr_link', 'edge', '2026-12-04T12:15:00.000Z');
          const wrongProvider = await tx.accounts.findLink('state-1', 'data');
          await tx.accounts.deleteLink('state-1', 'edge');
          await tx.accounts.saveAccount({
            userId: 'usr_link',
            provider: 'edge',
            accountId: 'acct_1',
            accessToken: 'tok-1',
            linkedAt: 'now',
          });
          return {
            pending,
            late,
            wrongProvider,
            used: await tx.accounts.findLink('state-1', 'edge'),
            token: await tx.accounts.accessToken('usr_link', 'edge'),
          };
        });
        expect(outcome).toEqual({
          pending: link.consent_url,
          late: undefined,
          wrongProvider: undefined,
          used: undefined,
          token: 'tok-1',
        });
      });
    });

    describe('identity', () => {
      it('rotates a refresh token once, spends an auth code once, moves a device code once', async () => {
        const outcome = await storage.transaction(async (tx) => {
          await tx.identity.createUser({ id: 'usr_id', email: 'id@example.test', passwordHash: 'h' }, NOW);
          await tx.identity.createGrant(
            { id: 'grt_id', userId: 'usr_id', clientId: 'cli', scopes: ['read'] },
            NOW,
          );
          const token = { hash: 'rt-hash', grantId: 'grt_id', kind: 'refresh' as const, expiresAt: NOW + 1 };
          await tx.identity.insertOAuthToken(token, NOW);
          const rotations = [
            await tx.identity.rotateRefreshToken('rt-hash', NOW),
            await tx.identity.rotateRefreshToken('rt-hash', NOW),
          ];
          await tx.identity.insertAuthCode(
            {
              hash: 'code-hash',
              clientId: 'cli',
              redirectUri: 'http://127.0.0.1/cb',
              codeChallenge: 'challenge',
              scopes: ['read'],
              userId: 'usr_id',
              expiresAt: NOW + 1,
            },
            NOW,
          );
          const uses = [
            await tx.identity.useAuthCode('code-hash', 'grt_id', NOW),
            await tx.identity.useAuthCode('code-hash', 'grt_id', NOW),
          ];
          await tx.identity.insertDeviceCode(
            {
              deviceCodeHash: 'dc-hash',
              userCode: 'BCDF-GHJK',
              clientId: 'cli',
              scopes: ['read'],
              expiresAt: NOW + 1,
              intervalSeconds: 1,
            },
            NOW,
          );
          const moves = [
            await tx.identity.transitionDeviceCode('dc-hash', 'pending', 'approved', 'usr_id'),
            await tx.identity.transitionDeviceCode('dc-hash', 'pending', 'denied', 'usr_id'),
          ];
          return {
            rotations,
            uses,
            moves,
            refresh: await tx.identity.findOAuthToken('rt-hash'),
            device: await tx.identity.findDeviceCodeByUserCode('BCDF-GHJK'),
          };
        });
        expect(outcome).toMatchObject({
          rotations: [true, false],
          uses: [true, false],
          moves: [true, false],
          refresh: {
            kind: 'refresh',
            rotatedAt: NOW,
            grant: { id: 'grt_id', scopes: ['read'], revoked: false },
          },
          device: { status: 'approved', userId: 'usr_id' },
        });
      });
    });

    describe('idempotency keys', () => {
      it('claims, renews, completes with a result, releases only in-progress claims, and expires', async () => {
        const claim = { scope: 'test', requestHash: 'h1', now: NOW, expiresAt: NOW + 1_000, holder: 'ins_a' };
        const outcome = await storage.transaction(async (tx) => {
          await tx.idempotency.claim({ ...claim, key: 'k1', lockedUntil: NOW + 10 });
          await tx.idempotency.claim({
            ...claim,
            key: 'k1',
            requestHash: 'ignored',
            lockedUntil: NOW + 20,
            holder: 'ins_b',
          });
          const renewed = await tx.idempotency.find('test', 'k1');
          await tx.idempotency.complete('test', 'k1', { capture_id: 'cap_1' });
          await tx.idempotency.release('test', 'k1');
          const done = await tx.idempotency.find('test', 'k1');
          await tx.idempotency.claim({ ...claim, key: 'k2', lockedUntil: NOW + 10 });
          await tx.idempotency.release('test', 'k2');
          const released = await tx.idempotency.find('test', 'k2');
          await tx.idempotency.purgeExpired(NOW + 1_001);
          return { renewed, done, released, expired: await tx.idempotency.find('test', 'k1') };
        });
        expect(outcome.renewed).toEqual({
          request_hash: 'h1',
          state: 'in_progress',
          result: null,
          locked_until: NOW + 20,
          holder: 'ins_b',
        });
        expect(outcome.done).toEqual({
          request_hash: 'h1',
          state: 'done',
          result: { capture_id: 'cap_1' },
          locked_until: 0,
          holder: 'ins_b',
        });
        expect(outcome.released).toBeUndefined();
        expect(outcome.expired).toBeUndefined();
      });

      it("frees a dead process's claim at once after a restart; the live process's own stays in progress", async () => {
        const request = { scope: 'test:restart', key: 'k-restart', body: { domain: 'a.dev' }, now: NOW };
        const inProgress = { code: 'IDEMPOTENCY_CONFLICT', details: { in_progress: true } };
        expect(await claimIdempotencyKey(storage, request)).toEqual({ kind: 'new' });
        await expect(claimIdempotencyKey(storage, { ...request, now: NOW + 1 })).rejects.toMatchObject(
          inProgress,
        );
        // The process that claimed it is gone; the next one takes the claim over, well within the lease.
        const restarted = await opened.reopen();
        expect(restarted.instance).not.toBe(storage.instance);
        expect(await claimIdempotencyKey(restarted, { ...request, now: NOW + 2 })).toEqual({ kind: 'new' });
        await expect(claimIdempotencyKey(restarted, { ...request, now: NOW + 3 })).rejects.toMatchObject(
          inProgress,
        );
        // A restart frees claims, nothing else: another body under the key is still a conflict.
        await expect(
          claimIdempotencyKey(restarted, { ...request, body: { domain: 'b.dev' }, now: NOW + 4 }),
        ).rejects.toThrow(/different request/);
      });
    });
  });
}
