import { z } from 'zod';

/**
 * The CLI ↔ provider deploy API (DESIGN.md §2 surface 4), authorized by the site's deploy token
 * (`Authorization: Bearer <token>`). Base: `<provider base>/deploy/v1/`.
 *
 * 1. `POST manifest` {files} → {missing}: the hashes the provider does not hold yet.
 * 2. `PUT blobs/<sha256>` (raw body, verified against the hash) for each missing hash, or many small
 *    ones at once with `POST blob-batches` (BLOB_BATCH_TYPE).
 * 3. `POST deployments` {files, runtime, message, env} → 202 a deployment `dpl_…` in `processing`
 *    (a preview, with its own URL); `GET deployments/<id>` answers `Retry-After` while processing.
 * 4. `GET deployments`, `POST deployments/<id>/promote` (with a publish grant from the orchestrator: the
 *    deploy token alone never reaches production), `POST rollback` (instant, nothing uploaded).
 * 5. `POST domains` {hostname} attaches a custom domain (DNS records + a certificate), `GET domains`.
 */

export const SHA256_PATTERN = /^[0-9a-f]{64}$/;
export const DEPLOYMENT_ID_PATTERN = /^dpl_[0-9a-z]{12}$/;
export const MAX_FILES = 50_000;
export const MAX_FILE_BYTES = 64 * 1024 * 1024;

export const Sha256 = z.string().regex(SHA256_PATTERN, 'a lowercase hex SHA-256');

/**
 * Media type of `POST blob-batches`, which uploads many small blobs in one request: one JSON line
 * `[{"sha256":…,"size":…},…]`, then the blobs' bytes back to back in that order. The provider verifies
 * each blob as it streams in and stores the batch all or nothing (CONTENT_MISMATCH on a wrong hash).
 */
export const BLOB_BATCH_TYPE = 'application/x-projects-blob-batch';
export const MAX_BATCH_BYTES = 32 * 1024 * 1024;

export const BlobBatchIndex = z
  .array(z.object({ sha256: Sha256, size: z.number().int().min(0) }))
  .max(10_000);

/**
 * What makes a deployment path invalid: an empty, `.` or `..` segment (so also a leading or trailing slash),
 * a backslash or a NUL. One regular expression, because every file of every manifest is checked.
 */
const INVALID_PATH = /(?:^|\/)\.{0,2}(?:\/|$)|[\\\0]/;

/** A relative POSIX path inside the deployment, without `.`/`..` segments or a leading slash. */
export const DeployPath = z
  .string()
  .min(1)
  .max(1024)
  .refine((path) => !INVALID_PATH.test(path), 'a relative path without empty, "." or ".." segments');

export const ManifestFile = z.object({
  path: DeployPath,
  sha256: Sha256,
  size: z.number().int().min(0).max(MAX_FILE_BYTES),
});
export type ManifestFile = z.infer<typeof ManifestFile>;

export const Manifest = z
  .array(ManifestFile)
  .max(MAX_FILES)
  .refine((files) => new Set(files.map((file) => file.path)).size === files.length, 'duplicate paths');

export const ManifestRequest = z.object({ files: Manifest });
export type ManifestRequest = z.infer<typeof ManifestRequest>;

export const ManifestResponse = z.object({ missing: z.array(Sha256) });
export type ManifestResponse = z.infer<typeof ManifestResponse>;

/** `static` serves files; `worker` runs `main` (an ES module exporting `fetch(request, env)`). */
export const Runtime = z.discriminatedUnion('type', [
  z.object({ type: z.literal('static') }),
  z.object({ type: z.literal('worker'), main: DeployPath }),
]);
export type Runtime = z.infer<typeof Runtime>;

/** Environment variable names a worker sees in `env` (values are never echoed back). */
export const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/);

export const CreateDeploymentRequest = z.object({
  files: Manifest,
  runtime: Runtime.default({ type: 'static' }),
  message: z.string().max(500).optional(),
  env: z.record(EnvName, z.string().max(32 * 1024)).default({}),
});
export type CreateDeploymentRequest = z.input<typeof CreateDeploymentRequest>;
export type CreateDeploymentInput = z.output<typeof CreateDeploymentRequest>;

export const DeploymentStatus = z.enum(['processing', 'ready', 'failed']);
export type DeploymentStatus = z.infer<typeof DeploymentStatus>;

export const Deployment = z.object({
  id: z.string().regex(DEPLOYMENT_ID_PATTERN),
  site: z.string(),
  status: DeploymentStatus,
  runtime: Runtime,
  message: z.string().nullable(),
  file_count: z.number().int(),
  total_bytes: z.number().int(),
  /** The deployment's own preview URL. */
  url: z.string(),
  /** True while the site's production alias points at this deployment. */
  production: z.boolean(),
  env_names: z.array(z.string()),
  error: z.string().nullable(),
  created_at: z.string(),
});
export type Deployment = z.infer<typeof Deployment>;

export const DeploymentList = z.object({
  site: z.string(),
  production_url: z.string(),
  production: z.string().nullable(),
  deployments: z.array(Deployment),
});
export type DeploymentList = z.infer<typeof DeploymentList>;

/** Promote and rollback answer the site's new production state. */
export const AliasResponse = z.object({
  site: z.string(),
  production: Deployment,
  previous: z.string().nullable(),
  production_url: z.string(),
});
export type AliasResponse = z.infer<typeof AliasResponse>;

/** A publish grant from the orchestrator (src/protocol/publish-grant.ts); required to change production. */
export const PromoteRequest = z.object({ grant: z.string().max(2048) });
export type PromoteRequest = z.infer<typeof PromoteRequest>;

/**
 * Rolling back to a deployment that has been in production before needs no grant (it was authorized
 * then); any other target needs one, like a promotion.
 */
export const RollbackRequest = z.object({
  deployment_id: z.string().regex(DEPLOYMENT_ID_PATTERN).optional(),
  grant: z.string().max(2048).optional(),
});
export type RollbackRequest = z.infer<typeof RollbackRequest>;

export const Hostname = z
  .string()
  .max(253)
  .transform((name) => name.toLowerCase().replace(/\.$/, ''))
  .refine(
    (name) =>
      name.split('.').length >= 2 &&
      name.split('.').every((label) => /^(?!-)[a-z0-9-]{1,63}(?<!-)$/.test(label)),
    'a fully qualified ASCII host name (use the punycode form for IDNs)',
  );

export const AttachDomainRequest = z.object({ hostname: Hostname });
export type AttachDomainRequest = z.input<typeof AttachDomainRequest>;

export const DnsRecordView = z.object({
  name: z.string(),
  type: z.enum(['A', 'AAAA', 'CNAME', 'TXT']),
  value: z.string(),
  ttl: z.number().int(),
});

export const DomainAttachment = z.object({
  hostname: z.string(),
  site: z.string(),
  records: z.array(DnsRecordView),
  certificate: z.object({
    serial: z.string(),
    sha256_fingerprint: z.string(),
    not_before: z.string(),
    not_after: z.string(),
  }),
  /** `https://<hostname>:<port>/` on the provider's loopback HTTPS listener. */
  https_url: z.string(),
  created_at: z.string(),
});
export type DomainAttachment = z.infer<typeof DomainAttachment>;

export const DomainList = z.object({ domains: z.array(DomainAttachment) });
export type DomainList = z.infer<typeof DomainList>;
