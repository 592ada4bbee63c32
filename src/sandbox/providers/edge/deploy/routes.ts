import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import {
  AttachDomainRequest,
  BLOB_BATCH_TYPE,
  CreateDeploymentRequest,
  ManifestRequest,
  PromoteRequest,
  RollbackRequest,
  SHA256_PATTERN,
} from '../../../../protocol/deploy.js';
import { ProjectsError } from '../../../../protocol/errors.js';
import type { BlobStore } from './blobs.js';
import type { EdgeHosting, HostedSite } from './hosting.js';
import type { DeployService } from './service.js';

/** How long a client should wait before asking again about a deployment that is still processing. */
const RETRY_AFTER_SECONDS = 1;

function parse<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const result = schema.safeParse(body ?? {});
  if (!result.success) {
    throw new ProjectsError('INVALID_ARGUMENT', 'the request body is invalid', {
      httpStatus: 400,
      details: {
        issues: result.error.issues
          .slice(0, 20)
          .map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
      },
    });
  }
  return result.data;
}

/** The raw body of an upload, which must come with the upload's own media type. */
function uploadStream(request: FastifyRequest, type: string): Readable {
  const body = request.body as Readable | undefined;
  if (!body || typeof body.pipe !== 'function') {
    throw new ProjectsError('INVALID_ARGUMENT', `send the bytes as ${type}`, { httpStatus: 415 });
  }
  return body;
}

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : undefined;
}

/**
 * The deploy API routes (see src/protocol/deploy.ts), mounted under `<edge base>/deploy`. Every `/v1`
 * route is authorized by the site's deploy token; the CA certificate is public.
 */
export async function registerDeployRoutes(
  app: FastifyInstance,
  parts: { hosting: EdgeHosting; service: DeployService; blobs: BlobStore; caPem(): string },
): Promise<void> {
  const { hosting, service, blobs } = parts;
  const sites = new WeakMap<FastifyRequest, HostedSite>();
  const siteOf = (request: FastifyRequest): HostedSite => sites.get(request)!;

  // Uploads reach the blob store as raw streams: it hashes and writes them as they arrive, never buffering
  // a whole body (the store enforces the size limits).
  const rawStream = (
    _request: FastifyRequest,
    payload: Readable,
    done: (error: null, body: Readable) => void,
  ) => done(null, payload);
  app.addContentTypeParser('application/octet-stream', rawStream);
  app.addContentTypeParser(BLOB_BATCH_TYPE, rawStream);

  app.get('/ca.pem', async (_request, reply) => reply.type('application/x-pem-file').send(parts.caPem()));

  await app.register(
    async (v1) => {
      v1.addHook('onRequest', async (request) => {
        const token = bearer(request);
        const site = token ? hosting.siteForDeployToken(token) : undefined;
        if (!site) {
          throw new ProjectsError('AUTH_REQUIRED', 'a valid deploy token for this site is required', {
            httpStatus: 401,
            next: [{ command: 'projects status', why: 'the site’s deploy token may have been rotated' }],
          });
        }
        sites.set(request, site);
      });

      v1.post('/manifest', async (request) => {
        const { files } = parse(ManifestRequest, request.body);
        return { missing: service.missing(files) };
      });

      v1.put<{ Params: { sha256: string } }>('/blobs/:sha256', async (request, reply) => {
        const { sha256 } = request.params;
        if (!SHA256_PATTERN.test(sha256)) {
          throw new ProjectsError('INVALID_ARGUMENT', 'the blob name must be a lowercase hex SHA-256', {
            httpStatus: 400,
          });
        }
        const length = request.headers['content-length'];
        if (length === undefined) {
          throw new ProjectsError('INVALID_ARGUMENT', 'a blob upload needs a Content-Length', {
            httpStatus: 411,
          });
        }
        await blobs.put(sha256, Number(length), uploadStream(request, 'application/octet-stream'));
        return reply.status(201).send({ sha256 });
      });

      v1.post('/blob-batches', async (request, reply) => {
        const stored = await blobs.putBatch(uploadStream(request, BLOB_BATCH_TYPE));
        return reply.status(201).send({ stored });
      });

      v1.post('/deployments', async (request, reply) => {
        const deployment = service.create(siteOf(request), parse(CreateDeploymentRequest, request.body));
        reply.header('location', `deployments/${deployment.id}`);
        if (deployment.status !== 'processing') return reply.status(201).send(deployment);
        return reply.status(202).header('retry-after', String(RETRY_AFTER_SECONDS)).send(deployment);
      });

      v1.get('/deployments', async (request) => service.list(siteOf(request)));

      v1.get<{ Params: { id: string } }>('/deployments/:id', async (request, reply: FastifyReply) => {
        const deployment = service.view(service.get(siteOf(request), request.params.id));
        if (deployment.status === 'processing') reply.header('retry-after', String(RETRY_AFTER_SECONDS));
        return deployment;
      });

      v1.post<{ Params: { id: string } }>('/deployments/:id/promote', async (request) =>
        service.promote(siteOf(request), request.params.id, parse(PromoteRequest, request.body).grant),
      );

      v1.post('/rollback', async (request) => {
        const body = parse(RollbackRequest, request.body);
        return service.rollback(siteOf(request), body.deployment_id, body.grant);
      });

      v1.get('/domains', async (request) => ({ domains: service.domains(siteOf(request)) }));

      v1.post('/domains', async (request, reply) => {
        const { hostname } = parse(AttachDomainRequest, request.body);
        return reply.status(201).send(await service.attachDomain(siteOf(request), hostname));
      });
    },
    { prefix: '/v1' },
  );
}
