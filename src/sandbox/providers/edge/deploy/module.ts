import { join } from 'node:path';
import type { SandboxContext, SandboxModule } from '../../../context.js';
import { startDnsServer } from '../../../dns/server.js';
import { CertificateAuthority } from '../../../tls/ca.js';
import { startHttpsListener } from '../../../tls/https.js';
import { HostRouter, hostnameOf } from '../serve/router.js';
import { WorkerPool } from '../serve/worker-pool.js';
import { BlobStore, UPLOAD_GRACE_MS } from './blobs.js';
import { collectGarbage } from './gc.js';
import type { EdgeHosting } from './hosting.js';
import { registerDeployRoutes } from './routes.js';
import { DeployService } from './service.js';
import { DEPLOY_MIGRATIONS, DEPLOYMENT_ENV, type DeployStore, openDeployStores } from './store.js';

/** How long after a site's removal its collection pass runs: removals meanwhile share the pass. */
const REMOVAL_PASS_DELAY_MS = 200;

export interface EdgeDeployOptions {
  /** The edge provider's signing secret, shared with the orchestrator: verifies publish grants; seals workers' env. */
  publishSecret: string;
  /** UDP port of the authoritative DNS server; 0 (default) picks one, published as endpoint `dns`. */
  dnsPort?: number;
  /** TCP port of the HTTPS listener for custom domains; 0 (default) picks one, published as `https`. */
  httpsPort?: number;
}

interface Parts {
  service: DeployService;
  router: HostRouter;
  blobs: BlobStore;
  ca: CertificateAuthority;
  pool: WorkerPool;
  store: DeployStore;
}

/**
 * The serving side of the `edge` provider as a sandbox module: the deploy API under
 * `/providers/edge/deploy`, Host-header routing of `*.localhost` and attached domains at the root of the
 * sandbox server, and — once it listens — the authoritative DNS server and the HTTPS listener.
 * `hosting` is the provisioning side's view of sites, deploy tokens and zones.
 */
export function createEdgeDeployModule(hosting: EdgeHosting, options: EdgeDeployOptions): SandboxModule {
  let parts: Promise<Parts> | undefined;
  let httpsPort: number | undefined;

  async function build(ctx: SandboxContext): Promise<Parts> {
    const root = join(ctx.dataDir, 'edge-serving');
    const { deployments: store, packs } = openDeployStores(ctx);
    const blobs = new BlobStore({ root: join(root, 'blobs'), packs, now: ctx.now });
    const pool = new WorkerPool({ runtimeDir: join(root, 'runtime'), log: ctx.log });
    const ca = await CertificateAuthority.open(join(root, 'ca'), ctx.now);
    const service = new DeployService({
      store,
      blobs,
      pool,
      ca,
      hosting,
      publishSecret: options.publishSecret,
      sitesDir: join(root, 'sites'),
      baseUrl: ctx.baseUrl,
      httpsPort: () => httpsPort,
      now: ctx.now,
      log: ctx.log,
    });
    const router = new HostRouter({ store, blobs, hosting, service, pool, log: ctx.log });
    // Deployments interrupted by a restart finish now.
    for (const id of store.processingIds()) service.schedule(id);
    return { service, router, blobs, ca, pool, store };
  }

  /**
   * One collection pass (of the `removed` sites only, when given); a failure is logged, and the next pass
   * (at the latest at the next start, which checks every site) retries.
   */
  const collect = (
    ctx: SandboxContext,
    { service, store, blobs }: Parts,
    removed?: ReadonlySet<string>,
  ): void => {
    try {
      collectGarbage({ service, store, blobs, log: ctx.log, removed });
    } catch (error) {
      ctx.log(`deploy gc: ${(error as Error).message}`);
    }
  };

  const partsFor = (ctx: SandboxContext): Promise<Parts> => {
    parts ??= build(ctx);
    return parts;
  };

  return {
    name: 'provider:edge:deploy',
    prefix: '/providers/edge/deploy',
    migrations: DEPLOY_MIGRATIONS,
    sealedColumns: [DEPLOYMENT_ENV],
    async register(app, ctx) {
      const { service, blobs, ca } = await partsFor(ctx);
      await registerDeployRoutes(app, { hosting, service, blobs, caPem: () => ca.pem });
    },
    async registerRoot(app, ctx) {
      const { router } = await partsFor(ctx);
      app.addHook('onRequest', async (request, reply) => {
        if (!router.claims(hostnameOf(request.headers.host))) return;
        reply.hijack();
        await router.handle(request.raw, reply.raw, false);
        return reply;
      });
    },
    async onListen(ctx) {
      const built = await partsFor(ctx);
      const { router, store, pool } = built;
      // A removal (or a failed payment's teardown) is answered first: its sites are purged by one pass shortly
      // after, which a burst of removals shares (a pass reads every pack row, so one per removal would add up).
      let removed: Set<string> | undefined;
      let removal: NodeJS.Timeout | undefined;
      hosting.onSiteRemoved((siteId) => {
        if (!removed) {
          const sites = new Set<string>();
          removed = sites;
          removal = setTimeout(() => {
            removed = undefined;
            collect(ctx, built, sites);
          }, REMOVAL_PASS_DELAY_MS).unref();
        }
        removed.add(siteId);
      });
      // Uploads never used by a deployment go once their grace period is over, removals or not.
      const timer = setInterval(() => collect(ctx, built), UPLOAD_GRACE_MS).unref();
      const dns = await startDnsServer(hosting, { port: options.dnsPort ?? 0, log: ctx.log });
      const https = await startHttpsListener({
        port: options.httpsPort ?? 0,
        certificateFor: (servername) => store.domain(servername),
        handler: (req, res) => {
          router.handle(req, res, true).catch((error: Error) => {
            ctx.log(`https: ${error.message}`);
            res.destroy();
          });
        },
      });
      httpsPort = https.port;
      ctx.endpoints.set('dns', `127.0.0.1:${dns.port}`);
      ctx.endpoints.set('https', `127.0.0.1:${https.port}`);
      ctx.endpoints.set('edge-ca', join(ctx.dataDir, 'edge-serving', 'ca', 'ca.pem'));
      // Now that every module is registered the provisioning side answers which sites are live. The first
      // pass (sites removed while down, expired uploads) runs once the listeners are up, not before them.
      const first = setImmediate(() => collect(ctx, built)).unref();
      return async () => {
        clearImmediate(first);
        clearInterval(timer);
        clearTimeout(removal);
        await https.close();
        await dns.close();
        await pool.close();
      };
    },
  };
}
