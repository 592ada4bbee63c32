import type { IOStreams } from './io.js';

/**
 * Environment variables that coding agents set in the shells they drive. When one is present nobody is
 * watching the terminal, so the CLI must never wait for an answer.
 */
export const AGENT_VARIABLES = [
  'CLAUDECODE',
  'CLAUDE_CODE_ENTRYPOINT',
  'CODEX_SANDBOX',
  'CODEX_SANDBOX_NETWORK_DISABLED',
  'CURSOR_AGENT',
  'CURSOR_TRACE_ID',
  'AI_AGENT',
  'GEMINI_CLI',
  'AIDER_MODEL',
  'CLINE_ACTIVE',
  'GOOSE_TERMINAL',
  'REPL_ID',
] as const;

export function detectAgent(env: NodeJS.ProcessEnv): string | undefined {
  return AGENT_VARIABLES.find((name) => env[name] !== undefined && env[name] !== '');
}

function isSet(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}

/** Why the CLI runs non-interactively, or undefined when a human can be asked. */
export function nonInteractiveReason(
  io: Pick<IOStreams, 'stdinIsTTY'>,
  env: NodeJS.ProcessEnv,
  flag: boolean,
): string | undefined {
  if (flag) return '--non-interactive was given';
  if (isSet(env.CI)) return 'the CI environment variable is set';
  const agent = detectAgent(env);
  if (agent) return `a coding agent is driving the terminal (${agent} is set)`;
  if (!io.stdinIsTTY) return 'standard input is not a terminal';
  return undefined;
}

/** NO_COLOR (any value) and --no-color turn colour off; so does a stream that is not a terminal. */
export function colorEnabled(streamIsTTY: boolean, env: NodeJS.ProcessEnv, flag: boolean): boolean {
  if (!flag) return false;
  if (env.NO_COLOR !== undefined) return false;
  if (isSet(env.FORCE_COLOR)) return true;
  return streamIsTTY && env.TERM !== 'dumb';
}
