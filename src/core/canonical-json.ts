import { createHash } from 'node:crypto';
import { ProjectsError } from '../protocol/errors.js';

/**
 * Canonical JSON in the style of RFC 8785 (JCS): object keys sorted by UTF-16 code units, no
 * whitespace, numbers in ECMAScript shortest form, strings escaped as JSON.stringify does.
 * The one serializer behind every hash the product compares — plan hashes, idempotency request
 * fingerprints, audit chain links — so two parties hashing the same value always agree.
 *
 * Deviations kept deliberately small: object properties whose value is `undefined` are omitted (as
 * JSON.stringify does); values JSON cannot represent faithfully (NaN, Infinity, bigint, functions,
 * symbols, `undefined` inside arrays, lone surrogates) are refused rather than silently changed.
 */
export function canonicalJson(value: unknown): string {
  return serialize(value, '$');
}

/** SHA-256 (hex) of the canonical JSON of `value`. */
export function canonicalHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value), 'utf8').digest('hex');
}

function serialize(value: unknown, path: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      return serializeNumber(value, path);
    case 'string':
      return serializeString(value, path);
    case 'object':
      return serializeObject(value, path);
    default:
      throw notRepresentable(path, typeof value);
  }
}

function serializeNumber(value: number, path: string): string {
  if (!Number.isFinite(value)) throw notRepresentable(path, String(value));
  // ECMAScript Number-to-String is exactly the RFC 8785 number form; -0 serializes as 0.
  return JSON.stringify(value);
}

const LONE_SURROGATE = /\p{Surrogate}/u;

function serializeString(value: string, path: string): string {
  if (LONE_SURROGATE.test(value)) throw notRepresentable(path, 'a string with a lone surrogate');
  return JSON.stringify(value);
}

function serializeObject(value: object, path: string): string {
  const withJson = value as { toJSON?: () => unknown };
  if (typeof withJson.toJSON === 'function') return serialize(withJson.toJSON(), path);
  if (Array.isArray(value)) {
    return `[${value.map((item, i) => serializeArrayItem(item, `${path}[${i}]`)).join(',')}]`;
  }
  const record = value as Record<string, unknown>;
  // Default sort compares UTF-16 code units, which is the order RFC 8785 prescribes.
  const keys = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort();
  const members = keys.map(
    (key) => `${serializeString(key, path)}:${serialize(record[key], `${path}.${key}`)}`,
  );
  return `{${members.join(',')}}`;
}

function serializeArrayItem(item: unknown, path: string): string {
  // JSON.stringify would turn it into null, changing the value; refuse instead.
  if (item === undefined) throw notRepresentable(path, 'undefined');
  return serialize(item, path);
}

function notRepresentable(path: string, what: string): ProjectsError {
  return new ProjectsError('INVALID_ARGUMENT', `cannot serialize ${what} at ${path} as canonical JSON`, {
    details: { path },
  });
}
