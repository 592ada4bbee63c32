import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxModule } from '../../src/sandbox/context.js';
import {
  claimIdempotencyKey,
  IDEMPOTENCY_RETENTION_MS,
  withIdempotency,
} from '../../src/sandbox/orchestrator/money/idempotency.js';
import { type MoneySandbox, startMoneySandbox } from './harness.js';

/**
 * A slow keyed operation, as `runs` provisions through a provider: each call waits until the test
 * releases it, so a duplicate can arrive while the first is still in progress.
 */
const gates: (() => void)[] = [];
let executions = 0;

const slowOperation: SandboxModule = {
  name: 'test:slow',
  migrations: [],
  prefix: '',
  async register(app, ctx) {
    app.post<{ Body: { key: string; name: string; fail?: boolean } }>(
      '/test/slow',
      async (request, reply) => {
        const { key, ...body } = request.body;
        const { result, replayed } = await withIdempotency(
          ctx.storage,
          { scope: 'test:slow', key, body },
          async () => {
            executions += 1;
            await new Promise<void>((resolve) => gates.push(resolve));
            if (body.fail) throw new Error('provider failed');
            return { created: body.name, execution: executions };
          },
          { reply },
        );
        return { ...result, replayed };
      },
    );
  },
};

let sandbox: MoneySandbox;
beforeAll(async () => {
  sandbox = await startMoneySandbox([slowOperation]);
});
afterAll(() => sandbox.close());

/** Waits until `count` operations are running, then lets them finish. */
async function release(count: number): Promise<void> {
  await running(count);
  for (const open of gates.splice(0, count)) open();
}

async function running(count: number): Promise<void> {
  const deadline = Date.now() + 5000;
  while (gates.length < count) {
    if (Date.now() > deadline) throw new Error('the operation never started');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('the idempotency store', () => {
  it('tells a concurrent duplicate to retry after, then replays the first result', async () => {
    const body = { key: 'slow-key-0001', name: 'site-a' };
    const first = sandbox.call('POST', '/test/slow', { body });
    await running(1);
    const duplicate = await sandbox.call('POST', '/test/slow', { body });
    expect([duplicate.status, duplicate.body.error?.code]).toEqual([409, 'IDEMPOTENCY_CONFLICT']);
    expect(duplicate.headers.get('retry-after')).toBe('1');
    await release(1);
    const done = await first;
    expect(done.body).toMatchObject({ created: 'site-a', replayed: false });
    const replay = await sandbox.call('POST', '/test/slow', { body });
    expect(replay.body).toEqual({ ...done.body, replayed: true });
  });

  it('refuses the same key with a different body', async () => {
    const first = sandbox.call('POST', '/test/slow', { body: { key: 'slow-key-0002', name: 'site-b' } });
    await release(1);
    expect((await first).status).toBe(200);
    const other = await sandbox.call('POST', '/test/slow', {
      body: { key: 'slow-key-0002', name: 'site-c' },
    });
    expect([other.status, other.body.error?.code]).toEqual([409, 'IDEMPOTENCY_CONFLICT']);
  });

  it('releases the key when the operation fails, so that a retry runs it again', async () => {
    const failing = sandbox.call('POST', '/test/slow', {
      body: { key: 'slow-key-0003', name: 'x', fail: true },
    });
    await release(1);
    expect((await failing).status).toBe(500);
    const before = executions;
    const retry = sandbox.call('POST', '/test/slow', {
      body: { key: 'slow-key-0003', name: 'x', fail: true },
    });
    await release(1);
    expect((await retry).status).toBe(500);
    expect(executions).toBe(before + 1);
  });

  it('stores the result inside the unit of the work: a unit that rolls back stores nothing', async () => {
    const request = { scope: 'test:in-unit', key: 'in-unit-1', body: { a: 1 } };
    const failing = withIdempotency<string>(sandbox.storage, request, (complete) =>
      sandbox.storage.transaction(async (tx) => {
        await complete(tx, 'lost');
        throw new Error('the unit failed after storing the result');
      }),
    );
    await expect(failing).rejects.toThrow(/unit failed/);
    const done = await withIdempotency<string>(sandbox.storage, request, (complete) =>
      sandbox.storage.transaction(async (tx) => {
        await complete(tx, 'kept');
        return 'kept';
      }),
    );
    expect(done).toEqual({ result: 'kept', replayed: false });
    const again = await withIdempotency(sandbox.storage, request, async () => 'ran again');
    expect(again).toEqual({ result: 'kept', replayed: true });
  });

  it('keeps keys for 24 hours, and lets a hung claim of this process be taken over after its lease', async () => {
    const request = { scope: 'test:retention', key: 'retention-1', body: { a: 1 }, now: 1_000_000 };
    const claim = (input: typeof request, leaseMs?: number) =>
      claimIdempotencyKey(sandbox.storage, input, leaseMs);
    expect((await claim(request, 1000)).kind).toBe('new');
    await expect(claim({ ...request, now: 1_000_500 })).rejects.toThrow(/in progress/);
    expect((await claim({ ...request, now: 1_001_500 })).kind).toBe('new');
    sandbox.db
      .prepare(`UPDATE money_idempotency SET state = 'done', result = '"first"' WHERE key = 'retention-1'`)
      .run();
    const almostADay = { ...request, now: request.now + IDEMPOTENCY_RETENTION_MS - 1 };
    expect(await claim(almostADay)).toEqual({ kind: 'replay', result: 'first' });
    await expect(claim({ ...almostADay, body: { a: 2 } })).rejects.toThrow(/different request/);
    expect(IDEMPOTENCY_RETENTION_MS).toBeGreaterThanOrEqual(24 * 3600 * 1000);
  });
});
