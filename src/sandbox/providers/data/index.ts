import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ProjectsError } from '../../../protocol/errors.js';
import type { SandboxModule } from '../../context.js';
import {
  createProviderModule,
  freeTerms,
  type ProviderOptions,
  type ProviderRuntime,
  type ResourceRecord,
  type SeedAccount,
  type ServiceDefinition,
} from '../framework/index.js';
import { dataMigrations, type KvStore, kvStore } from './store.js';

/**
 * Provider `data`: a key-value store over HTTP, in a free and a paid recurring tier.
 * `GET|PUT|DELETE <base>/kv/<resource>/<key>`, `GET <base>/kv/<resource>?prefix=` (list) and
 * `GET <base>/kv/<resource>?export=jsonl` (everything, to leave with), with
 * `Authorization: Bearer <KV_REST_API_TOKEN>` — plain HTTP, usable from curl.
 */

export const DATA_SEED_ACCOUNT: SeedAccount = {
  email: 'grace@example.com',
  name: 'Grace Hopper',
  password: 'sandbox-grace-password',
};

interface Tier {
  maxKeys: number;
  maxValueBytes: number;
}

const TIERS = {
  'kv:starter': { maxKeys: 1_000, maxValueBytes: 64 * 1024 },
  'kv:pro': { maxKeys: 100_000, maxValueBytes: 1024 * 1024 },
} as const satisfies Record<string, Tier>;

const PRO_MONTHLY_PRICE = 900;
const MAX_KEY_LENGTH = 512;
const MAX_LISTED_KEYS = 1000;

const KvConfiguration = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/)
    .optional()
    .describe('A label for the store (lower-case letters, digits, dashes)'),
});
type KvConfiguration = z.infer<typeof KvConfiguration>;

const FREE_TERMS = freeTerms();

function kvService(id: keyof typeof TIERS, paid: boolean): ServiceDefinition<KvConfiguration> {
  const tier = TIERS[id];
  return {
    catalog: {
      id,
      name: paid ? 'KV Pro' : 'KV Starter',
      description: `Key-value store over HTTP: up to ${tier.maxKeys} keys, values up to ${tier.maxValueBytes / 1024} KiB.`,
      categories: ['database', 'storage'],
      kind: 'kv_store',
      pricing: paid
        ? {
            type: 'paid',
            billing: 'recurring',
            interval: 'month',
            currency: 'usd',
            amount: PRO_MONTHLY_PRICE,
            refundable: false,
          }
        : { type: 'free' },
      example_configuration: { name: 'cache' },
    },
    configuration: KvConfiguration,
    quote: () =>
      paid
        ? {
            ...FREE_TERMS,
            price: PRO_MONTHLY_PRICE,
            billing: 'recurring',
            interval: 'month',
            refundable: false,
            renewal_price: PRO_MONTHLY_PRICE,
          }
        : FREE_TERMS,
    provision: (_resource, configuration) => ({
      name: configuration.name ?? null,
      max_keys: tier.maxKeys,
      max_value_bytes: tier.maxValueBytes,
    }),
    access: (resource, rt) => ({
      KV_REST_API_URL: `${rt.baseUrl()}kv/${resource.id}`,
      KV_REST_API_TOKEN: rt.issueCredential(resource.id, 'kv', 'kv_'),
    }),
    publicAccess: ['KV_REST_API_URL'],
    update: (resource, configuration) => ({ ...resource.details, name: configuration.name ?? null }),
    teardown: (resource, rt) => kvStore(rt).deleteStore(resource.id),
  };
}

export function createDataProvider(options: ProviderOptions): SandboxModule {
  return createProviderModule(
    {
      name: 'Data',
      services: [kvService('kv:starter', false), kvService('kv:pro', true)],
      seedAccounts: [DATA_SEED_ACCOUNT],
      migrations: dataMigrations,
      routes: registerKvApi,
    },
    options,
  );
}

type KvRequest = FastifyRequest<{
  Params: { resource: string; '*': string };
  Querystring: { prefix?: string; export?: string };
}>;

async function registerKvApi(app: FastifyInstance, rt: ProviderRuntime): Promise<void> {
  // Values are opaque bytes whatever the client calls them (curl -d sends a form type).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  const kv = kvStore(rt);
  app.get('/kv/:resource', async (request: KvRequest, reply: FastifyReply) => {
    const store = authorize(rt, request);
    if (request.query.export === 'jsonl')
      return reply.type('application/x-ndjson').send(exportStore(kv, store));
    const prefix = request.query.prefix ?? '';
    return { keys: kv.keys(store.id, prefix, MAX_LISTED_KEYS) };
  });
  app.get('/kv/:resource/*', async (request: KvRequest, reply: FastifyReply) => {
    const store = authorize(rt, request);
    const row = kv.get(store.id, keyOf(request));
    if (!row) throw new ProjectsError('NOT_FOUND', 'no such key', { httpStatus: 404 });
    return reply.header('content-type', row.content_type).send(row.value);
  });
  app.put('/kv/:resource/*', async (request: KvRequest) => {
    const store = authorize(rt, request);
    const key = keyOf(request);
    const value = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const tier = store.details as { max_keys: number; max_value_bytes: number };
    if (value.length > tier.max_value_bytes) {
      throw new ProjectsError('INVALID_ARGUMENT', `values are limited to ${tier.max_value_bytes} bytes`, {
        httpStatus: 413,
      });
    }
    const contentType = request.headers['content-type'] ?? 'application/octet-stream';
    if (!kv.put(store.id, { key, value, content_type: contentType }, tier.max_keys, rt.now())) {
      throw new ProjectsError('INVALID_ARGUMENT', `this store is limited to ${tier.max_keys} keys`, {
        httpStatus: 507,
      });
    }
    return { key, size: value.length };
  });
  app.delete('/kv/:resource/*', async (request: KvRequest) => {
    const store = authorize(rt, request);
    const key = keyOf(request);
    if (!kv.delete(store.id, key)) throw new ProjectsError('NOT_FOUND', 'no such key', { httpStatus: 404 });
    return { key, deleted: true };
  });
}

/** No lock-in: the whole store as JSON Lines (key, content type, base64 value), e.g. `curl > backup.jsonl`. */
function exportStore(kv: KvStore, store: ResourceRecord): string {
  return kv
    .entries(store.id)
    .map(
      (row) =>
        `${JSON.stringify({ key: row.key, content_type: row.content_type, value_base64: row.value.toString('base64') })}\n`,
    )
    .join('');
}

/** The store behind the bearer credential; it must be the store named in the URL. */
function authorize(rt: ProviderRuntime, request: KvRequest): ResourceRecord {
  const header = request.headers.authorization;
  const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : '';
  const store = token ? rt.verifyCredential(token, 'kv') : undefined;
  if (!store || store.id !== request.params.resource) {
    throw new ProjectsError('AUTH_REQUIRED', 'a valid KV_REST_API_TOKEN for this store is required', {
      httpStatus: 401,
    });
  }
  return store;
}

function keyOf(request: KvRequest): string {
  const key = request.params['*'];
  if (!key || key.length > MAX_KEY_LENGTH) {
    throw new ProjectsError('INVALID_ARGUMENT', `keys are 1 to ${MAX_KEY_LENGTH} characters`, {
      httpStatus: 400,
    });
  }
  return key;
}
