import { ProjectsError } from '../protocol/errors.js';

/**
 * The subset of JSON Schema (draft 2020-12) that services use for their `configuration_schema`: objects
 * with typed properties, `required`, `additionalProperties: false`, `enum`/`const`, string length and
 * pattern, numeric bounds, arrays of items. The CLI checks a configuration with it before anything is sent,
 * so a typo costs nothing and names the offending field; the orchestrator checks again (it must not trust
 * the CLI). Keywords outside the subset are ignored here, never guessed at.
 */
export type JsonSchema = Record<string, unknown>;

export interface SchemaIssue {
  /** JSON pointer of the offending value, `/` for the root. */
  path: string;
  message: string;
}

/** `--config key=value` pairs as given on the command line (a later key wins). */
export function parseConfigPairs(pairs: readonly string[]): Record<string, string> {
  const config: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) {
      throw new ProjectsError('INVALID_ARGUMENT', `--config expects key=value, got '${pair}'`, {
        details: { config: pair },
      });
    }
    config[pair.slice(0, at).trim()] = pair.slice(at + 1);
  }
  return config;
}

/**
 * Turns command-line strings into the types the schema asks for (`size=3` → 3, `tls=true` → true,
 * `tags=a,b` → ["a","b"], a JSON object or array as written). A value that does not convert is left as the
 * string, so validation reports it against the schema's type rather than a parse error.
 */
export function coerceConfig(schema: JsonSchema, raw: Record<string, string>): Record<string, unknown> {
  const properties = propertiesOf(schema);
  const config: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) config[key] = coerceValue(properties[key], value);
  return config;
}

function coerceValue(schema: JsonSchema | undefined, value: string): unknown {
  const types = typesOf(schema);
  if (types.includes('string') || types.length === 0) return value;
  if ((types.includes('integer') || types.includes('number')) && /^-?\d+(\.\d+)?$/.test(value)) {
    return Number(value);
  }
  if (types.includes('boolean') && (value === 'true' || value === 'false')) return value === 'true';
  if (types.includes('null') && value === 'null') return null;
  if (types.includes('object') || types.includes('array')) {
    try {
      return JSON.parse(value);
    } catch {
      if (types.includes('array')) return value === '' ? [] : value.split(',').map((item) => item.trim());
    }
  }
  return value;
}

/**
 * Where `--name` goes in a configuration: the schema's `name` or `domain` property, unless the
 * configuration already sets it. The CLI and the orchestrator share this rule; the name asked is what the
 * exact-intent check (S1) compares the provider's offer with.
 */
export function withName(
  schema: JsonSchema,
  config: Record<string, unknown>,
  name: string | undefined,
): Record<string, unknown> {
  if (name === undefined) return config;
  const key = ['name', 'domain'].find((candidate) => candidate in propertiesOf(schema));
  if (!key || key in config) return config;
  return { ...config, [key]: name };
}

/** Every way `value` breaks `schema` (empty when it conforms). */
export function validateAgainstSchema(schema: JsonSchema, value: unknown, path = ''): SchemaIssue[] {
  const at = path || '/';
  const types = typesOf(schema);
  if (types.length > 0 && !types.some((type) => hasType(value, type))) {
    return [{ path: at, message: `must be ${types.join(' or ')}` }];
  }
  const issues: SchemaIssue[] = [];
  if ('const' in schema && !sameValue(schema.const, value)) {
    issues.push({ path: at, message: `must be ${JSON.stringify(schema.const)}` });
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((option) => sameValue(option, value))) {
    issues.push({
      path: at,
      message: `must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}`,
    });
  }
  if (typeof value === 'string') issues.push(...stringIssues(schema, value, at));
  if (typeof value === 'number') issues.push(...numberIssues(schema, value, at));
  if (Array.isArray(value)) issues.push(...arrayIssues(schema, value, path));
  else if (isObject(value)) issues.push(...objectIssues(schema, value, path));
  return issues;
}

function stringIssues(schema: JsonSchema, value: string, at: string): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  if (typeof schema.minLength === 'number' && [...value].length < schema.minLength) {
    issues.push({ path: at, message: `must be at least ${schema.minLength} characters` });
  }
  if (typeof schema.maxLength === 'number' && [...value].length > schema.maxLength) {
    issues.push({ path: at, message: `must be at most ${schema.maxLength} characters` });
  }
  if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) {
    issues.push({ path: at, message: `must match ${schema.pattern}` });
  }
  return issues;
}

function numberIssues(schema: JsonSchema, value: number, at: string): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  if (typeof schema.minimum === 'number' && value < schema.minimum) {
    issues.push({ path: at, message: `must be >= ${schema.minimum}` });
  }
  if (typeof schema.maximum === 'number' && value > schema.maximum) {
    issues.push({ path: at, message: `must be <= ${schema.maximum}` });
  }
  if (typeof schema.exclusiveMinimum === 'number' && value <= schema.exclusiveMinimum) {
    issues.push({ path: at, message: `must be > ${schema.exclusiveMinimum}` });
  }
  if (typeof schema.exclusiveMaximum === 'number' && value >= schema.exclusiveMaximum) {
    issues.push({ path: at, message: `must be < ${schema.exclusiveMaximum}` });
  }
  return issues;
}

function arrayIssues(schema: JsonSchema, value: unknown[], path: string): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  const at = path || '/';
  if (typeof schema.minItems === 'number' && value.length < schema.minItems) {
    issues.push({ path: at, message: `must have at least ${schema.minItems} items` });
  }
  if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) {
    issues.push({ path: at, message: `must have at most ${schema.maxItems} items` });
  }
  if (isObject(schema.items)) {
    const items = schema.items;
    value.forEach((item, index) => {
      issues.push(...validateAgainstSchema(items, item, `${path}/${index}`));
    });
  }
  return issues;
}

function objectIssues(schema: JsonSchema, value: Record<string, unknown>, path: string): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  const properties = propertiesOf(schema);
  for (const key of Array.isArray(schema.required) ? (schema.required as string[]) : []) {
    if (!(key in value)) issues.push({ path: `${path}/${key}`, message: 'is required' });
  }
  for (const [key, item] of Object.entries(value)) {
    const property = properties[key];
    if (property) issues.push(...validateAgainstSchema(property, item, `${path}/${key}`));
    else if (schema.additionalProperties === false) {
      const known = Object.keys(properties);
      const hint = known.length ? ` (known: ${known.join(', ')})` : '';
      issues.push({ path: `${path}/${key}`, message: `is not a known setting${hint}` });
    } else if (isObject(schema.additionalProperties)) {
      issues.push(...validateAgainstSchema(schema.additionalProperties, item, `${path}/${key}`));
    }
  }
  return issues;
}

function propertiesOf(schema: JsonSchema): Record<string, JsonSchema> {
  return isObject(schema.properties) ? (schema.properties as Record<string, JsonSchema>) : {};
}

function typesOf(schema: JsonSchema | undefined): string[] {
  const type = schema?.type;
  if (typeof type === 'string') return [type];
  return Array.isArray(type) ? type.filter((t): t is string => typeof t === 'string') : [];
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'null':
      return value === null;
    case 'array':
      return Array.isArray(value);
    case 'object':
      return isObject(value);
    default:
      return true;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
