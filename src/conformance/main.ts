#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { type CheckResult, runConformance } from './suite.js';

/**
 * `npm run conformance -- <provider-base-url> --secret <signing secret> [--orchestrator <url>] [--json]`
 * The secret may come from PROJECTS_CONFORMANCE_SECRET instead, which keeps it out of `ps`.
 * Exit 0 when every check passes, 1 when one fails, 2 on usage errors.
 */
const USAGE =
  'usage: npm run conformance -- <provider-base-url> --secret <signing-secret> [--orchestrator <url>] [--json]';

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const secret = values.secret ?? process.env.PROJECTS_CONFORMANCE_SECRET;
  const baseUrl = positionals[0];
  if (!baseUrl || !secret || !URL.canParse(baseUrl)) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const print = (result: CheckResult) => {
    if (values.json) return;
    const mark = result.ok ? '✓' : '✗';
    process.stdout.write(`${mark} ${result.name}${result.detail ? ` — ${result.detail}` : ''}\n`);
  };
  const report = await runConformance(
    { baseUrl, secret, ...(values.orchestrator ? { orchestratorUrl: values.orchestrator } : {}) },
    print,
  );
  const failed = report.results.filter((result) => !result.ok).length;
  if (values.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else
    process.stdout.write(
      `\n${report.results.length - failed} passed, ${failed} failed — ${report.baseUrl}\n`,
    );
  return report.passed ? 0 : 1;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      secret: { type: 'string' },
      orchestrator: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`conformance crashed: ${(error as Error).message}\n`);
    process.exitCode = 1;
  },
);
