import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const emptyDir = () => mkdtempSync(join(tmpdir(), 'projects-e2e-'));

describe('the real binary', () => {
  it('prints its version', async () => {
    const result = await runCli(['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it('exits 2 on an unknown command', async () => {
    const result = await runCli(['bogus']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown command 'bogus'");
  });

  it('answers provision in an empty directory with one JSON document and its exit code', async () => {
    const dir = emptyDir();
    const result = await runCli(['provision', 'x/y', '--json'], { cwd: dir, env: { PROJECTS_HOME: dir } });
    expect(result.code).toBe(1);
    const envelope = result.json();
    expect(envelope.ok).toBe(false);
    expect(envelope.error).toMatchObject({ code: 'NOT_INITIALIZED' });
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
  });

  it('never waits for a prompt when stdin is not a terminal, even if stdin stays open', async () => {
    const dir = emptyDir();
    const started = Date.now();
    const result = await runCli(['init'], {
      cwd: dir,
      env: { PROJECTS_HOME: dir },
      keepStdinOpen: true,
      timeoutMs: 10_000,
    });
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBeNull();
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
