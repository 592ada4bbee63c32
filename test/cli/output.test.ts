import { describe, expect, it } from 'vitest';
import { ProjectsError } from '../../src/protocol/errors.js';
import { testFactory } from '../helpers/factory.js';

describe('output layer', () => {
  it('writes exactly one success envelope on stdout under --json', async () => {
    const { factory, io } = testFactory({ globals: { json: true } });
    factory.output.command = 'provision';
    factory.output.warn('price changed since the last quote');
    const code = await factory.output.success({
      data: { id: 'res_1' },
      human: () => 'should not appear',
      next: [{ command: 'projects env --pull', why: 'write .env' }],
    });
    expect(code).toBe(0);
    const lines = io.out().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toEqual({
      ok: true,
      command: 'provision',
      data: { id: 'res_1' },
      warnings: ['price changed since the last quote'],
      next: [{ command: 'projects env --pull', why: 'write .env' }],
    });
    expect(io.err()).toBe('');
  });

  it('writes the error envelope with the exit code of its code', async () => {
    const { factory, io } = testFactory({ globals: { json: true } });
    factory.output.command = 'provision';
    const error = new ProjectsError('APPROVAL_REQUIRED', 'a human must approve this purchase', {
      details: { approval_id: 'apr_1' },
      next: [{ command: 'projects approve apr_1', why: 'approve at a terminal' }],
    });
    expect(await factory.output.failure(error)).toBe(4);
    expect(JSON.parse(io.out())).toEqual({
      ok: false,
      command: 'provision',
      error: {
        code: 'APPROVAL_REQUIRED',
        message: 'a human must approve this purchase',
        details: { approval_id: 'apr_1' },
      },
      next: [{ command: 'projects approve apr_1', why: 'approve at a terminal' }],
    });
  });

  it('puts only the payload on stdout in human mode, everything else on stderr', async () => {
    const { factory, io } = testFactory();
    factory.output.info('Uploading 3 files');
    await factory.output.success({
      data: { url: 'http://a.localhost' },
      human: () => 'http://a.localhost',
      warnings: ['no custom domain'],
      next: [{ command: 'projects deploy --prod', why: 'publish' }],
    });
    expect(io.out()).toBe('http://a.localhost\n');
    expect(io.err()).toContain('Uploading 3 files');
    expect(io.err()).toContain('warning: no custom domain');
    expect(io.err()).toContain('projects deploy --prod');
  });

  it('colours only a terminal, and never with NO_COLOR or --no-color', async () => {
    const render = async (options: Parameters<typeof testFactory>[0]) => {
      const { factory, io } = testFactory(options);
      await factory.output.success({ data: null, human: (style) => style.green('done') });
      return io.out();
    };
    expect(await render({ tty: true })).toContain('\u001b[32m');
    expect(await render({ tty: false })).toBe('done\n');
    expect(await render({ tty: true, env: { NO_COLOR: '1' } })).toBe('done\n');
    expect(await render({ tty: true, globals: { color: false } })).toBe('done\n');
  });

  it('shows spinners only on a TTY stderr in human mode', async () => {
    for (const [tty, json, expectOutput] of [
      [true, false, true],
      [false, false, false],
      [true, true, false],
    ] as const) {
      const { factory, io } = testFactory({ tty, globals: { json } });
      const task = await factory.output.task('Hashing files');
      task.succeed('Hashed 3 files');
      expect(io.err().includes('Hashed 3 files')).toBe(expectOutput);
      expect(io.out()).toBe('');
    }
  });

  it('refuses to emit twice', async () => {
    const { factory } = testFactory({ globals: { json: true } });
    await factory.output.success({ data: 1 });
    await expect(factory.output.success({ data: 2 })).rejects.toThrow(/twice/);
  });
});

describe('ProjectsError.with', () => {
  it('keeps code, message and status, merges details and appends each next command once', () => {
    const gate = new ProjectsError('APPROVAL_REQUIRED', 'a human must approve', {
      details: { approval_id: 'apr_1' },
      next: [{ command: 'projects approve apr_1', why: 'approve' }],
      httpStatus: 403,
    });
    const rerun = { command: 'projects provision edge/registrar:domain', why: 'rerun afterwards' };
    const more = gate.with({
      details: { pending: true },
      next: [{ command: 'projects approve apr_1', why: 'again' }, rerun],
    });
    expect(more).toMatchObject({
      code: 'APPROVAL_REQUIRED',
      message: 'a human must approve',
      httpStatus: 403,
    });
    expect(more.details).toEqual({ approval_id: 'apr_1', pending: true });
    expect(more.next).toEqual([gate.next[0], rerun]);
    expect(more.cause).toBe(gate);
    expect(new ProjectsError('NOT_FOUND', 'gone').with({ next: [rerun] }).details).toBeUndefined();
  });
});
