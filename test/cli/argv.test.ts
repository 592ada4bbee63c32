import { describe, expect, it } from 'vitest';
import { type ParsedArgv, parseArgv } from '../../src/cli/argv.js';
import type { CommandSpec, OptionSpec } from '../../src/cli/command.js';
import { COMMANDS, GLOBAL_OPTIONS } from '../../src/cli/commands/registry.js';
import { testIO } from '../../src/cli/io.js';
import { parseWithCommander } from '../../src/cli/program.js';

/** What commander makes of argv: the command it would run, or undefined for help and usage errors. */
async function commanderParse(argv: string[]): Promise<ParsedArgv | undefined> {
  let dispatched: ParsedArgv | undefined;
  await parseWithCommander(argv, { io: testIO(), env: {}, cwd: '/' }, async (parsed) => {
    dispatched = parsed;
    return 0;
  });
  return dispatched;
}

const fastParse = (argv: string[]) => parseArgv(argv, COMMANDS, GLOBAL_OPTIONS);

/** Every runnable command with the words that name it (each alias too). */
function runnable(specs: CommandSpec[], words: string[][] = [[]]): { spec: CommandSpec; words: string[] }[] {
  return specs.flatMap((spec) => {
    const named = [spec.name, ...(spec.aliases ?? [])].flatMap((name) => words.map((w) => [...w, name]));
    const self = spec.load ? named.map((w) => ({ spec, words: w })) : [];
    return [...self, ...runnable(spec.subcommands ?? [], named)];
  });
}

/** Ways to write one option: `--flag`, `--flag value`, `--flag=value`, variadic and choice values. */
function optionForms(option: OptionSpec): string[][] {
  const names = option.flags.split(/[ ,]+/).filter((part) => part.startsWith('-'));
  const value = option.flags.split(/[ ,]+/).find((part) => !part.startsWith('-'));
  return names.flatMap((name) => {
    if (!value) return [[name]];
    const sample = option.choices?.[0] ?? 'v-1';
    const forms = [[name, sample], [`${name}=${sample}`]];
    if (!option.choices) forms.push([`${name}=-dash`]);
    if (value.endsWith('...>')) forms.push([name, 'a=1', 'b=2'], [name, 'a=1', name, 'b=2']);
    return forms;
  });
}

const GLOBAL_FORMS = [
  ['--json'],
  ['-y'],
  ['--yes', '--non-interactive', '--debug', '--no-color'],
  ['--orchestrator', 'http://127.0.0.1:1'],
  ['--project=deploy', '--token', 'pat_x'],
];

/** Command lines commander runs, built from every command's own declaration. */
function validCommandLines(): string[][] {
  const lines: string[][] = [];
  for (const { spec, words } of runnable(COMMANDS)) {
    const args = (spec.args ?? []).map((_arg, index) => `arg${index}`);
    const required = args.slice(0, (spec.args ?? []).filter((arg) => arg.startsWith('<')).length);
    lines.push([...words, ...required], [...words, ...args]);
    for (const option of spec.options ?? []) {
      for (const form of optionForms(option)) {
        lines.push([...words, ...args, ...form]);
        // Words after `--config a=1` are more of its values, not arguments.
        if (!(option.flags.includes('...') && form.length > 1)) lines.push([...words, ...form, ...args]);
      }
    }
    lines.push([
      ...words,
      ...required,
      ...(spec.options ?? []).flatMap((option) => optionForms(option)[0] ?? []),
    ]);
    for (const globals of GLOBAL_FORMS) {
      lines.push([...globals, ...words, ...required], [...words, ...required, ...globals]);
      lines.push([...words.slice(0, 1), ...globals, ...words.slice(1), ...required]);
    }
  }
  return lines;
}

/** Command lines commander refuses or answers with help. */
const REFUSED = [
  [],
  ['bogus'],
  ['help', 'whoami'],
  ['whoami', '--help'],
  ['whoami', '-h'],
  ['whoami', 'extra'],
  ['whoami', '--bogus'],
  ['whoami', '--json=1'],
  ['whoami', '-yx'],
  ['whoami', '--orchestrator'],
  ['--version'],
  ['token'],
  ['token', 'bogus'],
  ['token', 'create', '--name'],
  ['token', 'create', '--name', '--json'],
  ['provision'],
  ['provision', 'a', 'b'],
  ['provision', 'a', '--max-price'],
  ['catalog', 'show'],
  ['init', '--template', 'bogus'],
  ['--prod', 'deploy'],
];

/** Command lines whose reading is subtle; the fast parser may leave them to commander, or agree with it. */
const SUBTLE = [
  ['deploy', '--prod', 'list'],
  ['catalog', '--provider', 'edge', 'show', 'x'],
  ['catalog', '--provider', 'edge', 'domain'],
  ['approve', '--', 'apr_1'],
  ['provision', 'x', '--config=a=1', 'b=2'],
  ['provision', 'x', '--config', 'a=1', '--json', 'b=2'],
  ['provision', 'x', '--name', '--orchestrator', 'http://o', 'n'],
  ['--project', 'deploy', 'provision', 'x/y'],
  ['approve', '-'],
  ['approve', '-5'],
];

describe('the fast argv parser', () => {
  it('reads every command line the specs declare exactly as commander does', async () => {
    const lines = validCommandLines();
    expect(lines.length).toBeGreaterThan(500);
    for (const argv of lines) {
      const expected = await commanderParse(argv);
      expect(expected, `commander runs ${JSON.stringify(argv)}`).toBeDefined();
      expect(fastParse(argv), JSON.stringify(argv)).toEqual(expected);
    }
  });

  it('leaves help and usage errors to commander', async () => {
    for (const argv of REFUSED) {
      expect(await commanderParse(argv), `commander refuses ${JSON.stringify(argv)}`).toBeUndefined();
      expect(fastParse(argv), JSON.stringify(argv)).toBeUndefined();
    }
  });

  it('agrees with commander on subtle command lines, or leaves them to it', async () => {
    let agreed = 0;
    for (const argv of SUBTLE) {
      const fast = fastParse(argv);
      if (fast === undefined) continue;
      expect(fast, JSON.stringify(argv)).toEqual(await commanderParse(argv));
      agreed++;
    }
    expect(agreed).toBeGreaterThan(0);
  });

  it('resolves aliases to the canonical path, fills defaults and collects variadic values', () => {
    expect(fastParse(['add', 'edge/x', '--config', 'a=1', 'b=2', '--json'])).toMatchObject({
      path: 'provision',
      input: { args: ['edge/x'], options: { config: ['a=1', 'b=2'] } },
      globals: { json: true, color: true },
    });
    expect(fastParse(['token', 'create', '--name', 'ci'])?.input.options).toMatchObject({
      name: 'ci',
      expires: '30d',
    });
    expect(fastParse(['login', '--no-browser', '--no-color'])).toMatchObject({
      input: { options: { browser: false } },
      globals: { color: false },
    });
  });
});
