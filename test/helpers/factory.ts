import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_GLOBALS, Factory, type GlobalOptions } from '../../src/cli/factory.js';
import { type TestIO, testIO } from '../../src/cli/io.js';

export interface TestFactoryOptions {
  tty?: boolean;
  globals?: Partial<GlobalOptions>;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/**
 * A factory around fake streams, with its own PROJECTS_HOME and a clean environment (no CI, no agent
 * variables) unless the test sets them — so a run function can be driven as a terminal or as a pipe.
 */
export function testFactory(options: TestFactoryOptions = {}): {
  factory: Factory;
  io: TestIO;
  home: string;
} {
  const io = testIO({ tty: options.tty ?? false });
  const home = mkdtempSync(join(tmpdir(), 'projects-home-'));
  const env = { PROJECTS_HOME: home, ...options.env };
  const factory = new Factory(io, env, options.cwd ?? home, { ...DEFAULT_GLOBALS, ...options.globals });
  return { factory, io, home };
}
