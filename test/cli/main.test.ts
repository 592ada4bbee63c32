import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AGENT_VARIABLES, nonInteractiveReason } from '../../src/cli/environment.js';
import { testIO } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { testFactory } from '../helpers/factory.js';

async function run(argv: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; tty?: boolean } = {}) {
  const io = testIO({ tty: options.tty ?? false });
  const cwd = options.cwd ?? mkdtempSync(join(tmpdir(), 'projects-cwd-'));
  const code = await main(argv, { io, env: { PROJECTS_HOME: cwd, ...options.env }, cwd });
  return { code, out: io.out(), err: io.err() };
}

describe('usage errors exit 2', () => {
  it.each([[['bogus']], [['provision']], [['status', '--bogus-flag']], [['token']]])('%j', async (argv) => {
    const human = await run(argv);
    expect(human.code).toBe(2);
    expect(human.out).toBe('');
    const json = await run([...argv, '--json']);
    expect(json.code).toBe(2);
    const envelope = JSON.parse(json.out);
    expect(envelope.ok).toBe(false);
    expect(envelope.error.code).toBe('INVALID_ARGUMENT');
    expect(envelope.next[0].command).toMatch(/--help$/);
  });
});

describe('commands', () => {
  it('answers NOT_INITIALIZED outside a project, before loading the command', async () => {
    const result = await run(['provision', 'edge/registrar:domain', '--json']);
    expect(result.code).toBe(1);
    const envelope = JSON.parse(result.out);
    expect(envelope).toMatchObject({ ok: false, command: 'provision', error: { code: 'NOT_INITIALIZED' } });
    expect(envelope.next).toEqual([{ command: 'projects init', why: 'create a project here first' }]);
  });

  it('finds projects.json in a parent directory (and the alias reports the canonical name)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'projects-proj-'));
    writeFileSync(join(dir, 'projects.json'), JSON.stringify({ project_id: 'prj_1' }));
    const { factory } = testFactory({ cwd: join(dir) });
    expect(factory.requireProject().config.project_id).toBe('prj_1');
    const result = await run(['add', 'x/y', '--json'], { cwd: dir });
    expect(JSON.parse(result.out).command).toBe('provision');
  });

  it('dispatches the command after a global option whose value is a command word', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'projects-proj-'));
    const result = await run(['--project', 'deploy', 'provision', 'x/y', '--json'], { cwd: dir });
    expect(JSON.parse(result.out)).toMatchObject({
      command: 'provision',
      error: { code: 'NOT_INITIALIZED' },
    });
  });

  it('still suggests the closest command for a misspelt one', async () => {
    const result = await run(['whoamii']);
    expect(result.code).toBe(2);
    expect(result.err).toContain('whoami');
  });

  it.each([[['help']], [['help', 'whoami']], [['token', 'help', 'create']]])(
    '%j prints help and exits 0',
    async (argv) => {
      const result = await run(argv);
      expect(result.code).toBe(0);
      expect(result.out).toMatch(/^Usage: projects/);
      expect(result.err).toBe('');
    },
  );

  it('prints help with examples and exits 0', async () => {
    const result = await run(['provision', '--help']);
    expect(result.code).toBe(0);
    expect(result.out).toContain('Examples:');
    expect(result.out).toContain('--max-price');
  });
});

describe('non-interactive detection', () => {
  const tty = { stdinIsTTY: true };
  it('is interactive only at a terminal with no CI or agent variables', () => {
    expect(nonInteractiveReason(tty, {}, false)).toBeUndefined();
    expect(nonInteractiveReason(tty, {}, true)).toMatch(/--non-interactive/);
    expect(nonInteractiveReason({ stdinIsTTY: false }, {}, false)).toMatch(/not a terminal/);
    expect(nonInteractiveReason(tty, { CI: 'true' }, false)).toMatch(/CI/);
    expect(nonInteractiveReason(tty, { CI: 'false' }, false)).toBeUndefined();
    for (const name of AGENT_VARIABLES) {
      expect(nonInteractiveReason(tty, { [name]: '1' }, false)).toContain(name);
    }
  });

  it('turns a prompt into HUMAN_REQUIRED with next steps instead of waiting', async () => {
    const { factory } = testFactory({ tty: true, env: { CLAUDECODE: '1' }, globals: { json: true } });
    const next = [{ command: 'projects approve apr_1', why: 'a human approves' }];
    const error = await factory.prompter(next).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'HUMAN_REQUIRED', next });
  });
});
