import type { CommandInput, CommandSpec, OptionSpec } from './command.js';
import { type GlobalOptions, globalsFrom } from './factory.js';

/** A command line the fast parser understood: the command to run, its input and the global flags. */
export interface ParsedArgv {
  spec: CommandSpec;
  /** The command's canonical words (`token create`; an alias gives its command's name). */
  path: string;
  input: CommandInput;
  globals: GlobalOptions;
}

/** An option as its commander-syntax flags declare it (`-y, --yes`, `--name <name>`, `--no-browser`). */
interface OptionShape {
  spec: OptionSpec;
  names: string[];
  key: string;
  takesValue: boolean;
  variadic: boolean;
  negate: boolean;
}

/** Option values by key, with the command's defaults filled in (what commander's `opts()` gives). */
type OptionValues = Record<string, unknown>;

/**
 * The fast path of argument parsing. Commander is about two thirds of the code a command loads before it
 * does anything, so it is loaded only to explain: help, usage errors, and any command line this parser is
 * not sure of. For the shapes the command specs declare — command words first, then the command's options
 * and arguments in any order, `--flag value` or `--flag=value`, global flags anywhere — this gives exactly
 * what commander would (test/cli/argv.test.ts compares the two over every command); for anything else it
 * answers `undefined` and commander decides, as it always did.
 */
export function parseArgv(
  argv: readonly string[],
  commands: CommandSpec[],
  globalOptions: OptionSpec[],
): ParsedArgv | undefined {
  const globalShapes = shapesOf(globalOptions);
  if (!globalShapes) return undefined;
  const { values: globalValues, rest, malformed } = splitGlobals(argv, globalShapes);
  if (malformed) return undefined;
  const chain = leadingCommands(rest, commands);
  const spec = chain.at(-1);
  if (!spec?.load) return undefined;
  const input = commandInput(spec, rest.slice(chain.length));
  if (!input) return undefined;
  return {
    spec,
    path: chain.map((command) => command.name).join(' '),
    input,
    globals: globalsFrom(globalValues),
  };
}

/**
 * The commands argv names (`token create` → [token, create]), whatever else it holds: for commander's path,
 * which builds only those and names them in a usage error.
 */
export function namedCommands(
  argv: readonly string[],
  commands: CommandSpec[],
  globalOptions: OptionSpec[],
): CommandSpec[] {
  const { rest } = splitGlobals(argv, shapesOf(globalOptions) ?? []);
  return leadingCommands(
    rest.filter((word) => !looksLikeOption(word)),
    commands,
  );
}

/**
 * Takes the global flags out of argv, wherever they are (commander's program reads its own flags before a
 * subcommand sees the rest): their values, the other words, and whether one was malformed (kept in `rest`).
 */
function splitGlobals(
  argv: readonly string[],
  shapes: OptionShape[],
): { values: OptionValues; rest: string[]; malformed: boolean } {
  const values = defaultValues(shapes);
  const rest: string[] = [];
  let malformed = false;
  for (let index = 0; index < argv.length; index++) {
    const consumed = readOption(shapes, argv, index, values);
    if (typeof consumed === 'number') index = consumed;
    else {
      malformed ||= consumed === false;
      rest.push(argv[index] as string);
    }
  }
  return { values, rest, malformed };
}

/** The commands named by the first words (`token create …` → [token, create]). */
function leadingCommands(words: readonly string[], commands: CommandSpec[]): CommandSpec[] {
  const chain: CommandSpec[] = [];
  let specs: CommandSpec[] | undefined = commands;
  for (const word of words) {
    const spec: CommandSpec | undefined = specs && findCommand(specs, word);
    if (!spec) break;
    chain.push(spec);
    specs = spec.subcommands;
  }
  return chain;
}

function findCommand(specs: CommandSpec[], word: string): CommandSpec | undefined {
  return specs.find((spec) => spec.name === word || spec.aliases?.includes(word));
}

/** `--max-price <usd>` → `maxPrice`, as commander names it. */
export function optionKey(flags: string): string {
  const long = flags.split(/[ ,]+/).find((part) => part.startsWith('--')) ?? '';
  return long.replace(/^--(no-)?/, '').replace(/-([a-z])/g, (_m, letter: string) => letter.toUpperCase());
}

/** The command's own options and arguments, or undefined when commander must judge them. */
function commandInput(spec: CommandSpec, words: string[]): CommandInput | undefined {
  const shapes = shapesOf(spec.options ?? []);
  if (!shapes) return undefined;
  const options = defaultValues(shapes);
  const args: string[] = [];
  for (let index = 0; index < words.length; index++) {
    const word = words[index] as string;
    if (!looksLikeOption(word)) {
      args.push(word);
      continue;
    }
    const consumed = readOption(shapes, words, index, options);
    // Unknown (help, a typo, `--`…) or malformed: commander explains.
    if (typeof consumed !== 'number') return undefined;
    index = consumed;
  }
  return argumentsFit(spec, args) ? { args, options } : undefined;
}

/**
 * Reads the option at `words[index]` into `values` and returns the index of the last word it used;
 * undefined when the word is none of these options, false when it is one but commander would judge it
 * (a missing or dash-led value, a value outside the choices, `--flag=value` for a flag without value).
 */
function readOption(
  shapes: OptionShape[],
  words: readonly string[],
  index: number,
  values: OptionValues,
): number | false | undefined {
  const word = words[index] as string;
  const equals = word.startsWith('--') ? word.indexOf('=') : -1;
  const name = equals > 0 ? word.slice(0, equals) : word;
  const shape = shapes.find((candidate) => candidate.names.includes(name));
  if (!shape) return undefined;
  if (!shape.takesValue) {
    if (equals > 0) return false;
    values[shape.key] = !shape.negate;
    return index;
  }
  const inline = equals > 0 ? word.slice(equals + 1) : undefined;
  let last = inline === undefined ? index + 1 : index;
  const value = inline ?? words[last];
  if (value === undefined || (inline === undefined && looksLikeOption(value))) return false;
  if (!addValue(shape, value, values)) return false;
  // A variadic option written `--config a=1 b=2` takes the words that follow, up to the next option.
  if (shape.variadic && inline === undefined) {
    while (last + 1 < words.length && !looksLikeOption(words[last + 1] as string)) {
      if (!addValue(shape, words[++last] as string, values)) return false;
    }
  }
  return last;
}

function addValue(shape: OptionShape, value: string, values: OptionValues): boolean {
  if (shape.spec.choices && !shape.spec.choices.includes(value)) return false;
  const previous = values[shape.key];
  values[shape.key] = shape.variadic ? [...(Array.isArray(previous) ? previous : []), value] : value;
  return true;
}

/**
 * Whether the arguments match the declared ones (`<required>`, `[optional]`), and do not name one of the
 * command's subcommands (`deploy --prod list` is `deploy list` to commander). Variadic arguments are
 * commander's to read.
 */
function argumentsFit(spec: CommandSpec, args: string[]): boolean {
  const declared = spec.args ?? [];
  if (declared.some((arg) => arg.includes('...'))) return false;
  const required = declared.filter((arg) => arg.startsWith('<')).length;
  if (args.length < required || args.length > declared.length) return false;
  return !(args[0] !== undefined && spec.subcommands && findCommand(spec.subcommands, args[0]));
}

/** The shapes of these options, or undefined when one is of a kind only commander reads (`[optional]`). */
function shapesOf(options: OptionSpec[]): OptionShape[] | undefined {
  const shapes: OptionShape[] = [];
  for (const spec of options) {
    const parts = spec.flags.split(/[ ,]+/);
    const value = parts.find((part) => !part.startsWith('-'));
    if (value?.startsWith('[')) return undefined;
    const names = parts.filter((part) => part.startsWith('-'));
    shapes.push({
      spec,
      names,
      key: optionKey(spec.flags),
      takesValue: value !== undefined,
      variadic: value?.endsWith('...>') ?? false,
      negate: names.some((name) => name.startsWith('--no-')),
    });
  }
  return shapes;
}

function defaultValues(shapes: OptionShape[]): OptionValues {
  const values: OptionValues = {};
  for (const shape of shapes) {
    if (shape.spec.default !== undefined) values[shape.key] = shape.spec.default;
    else if (shape.negate) values[shape.key] = true;
  }
  return values;
}

/** Commander's test: a dash and at least one more character. */
function looksLikeOption(word: string): boolean {
  return word.length > 1 && word.startsWith('-');
}
