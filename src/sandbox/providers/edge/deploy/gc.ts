import type { BlobStore } from './blobs.js';
import type { DeployService } from './service.js';
import type { DeployStore } from './store.js';

/**
 * Garbage collection of the serving side, run once the sandbox listens and whenever the provisioning side
 * removes a site. What it keeps:
 *
 * - every deployment of a live site: the provider keeps all of them (no retention limit), since each
 *   keeps its preview URL and may be a rollback target (`POST rollback {deployment_id}`);
 * - every blob such a deployment names;
 * - for UPLOAD_GRACE_MS (blobs.ts), every blob an upload stored or a manifest answer counted as stored,
 *   even if no deployment names it yet: the client may still create its deployment from it.
 *
 * What goes: everything of a removed site (deployments, alias, domains, workers), then the blobs nothing
 * above keeps — whole packs when none of their blobs is kept, packs at least half dead rewritten with the
 * kept ones — and pack files no index row names (a crash between a pack's rename and its row).
 */
export function collectGarbage(parts: {
  service: DeployService;
  store: DeployStore;
  blobs: BlobStore;
  log(line: string): void;
  /** The sites known to be removed since the last pass; without it every site held is checked. */
  removed?: ReadonlySet<string>;
}): void {
  const sites = parts.removed ? purgeEach(parts.service, parts.removed) : parts.service.purgeRemovedSites();
  const collected = parts.blobs.collect(parts.store.referencedBlobs());
  const orphans = parts.blobs.sweepOrphans();
  if (sites + collected.blobs + orphans + collected.packsCompacted === 0) return;
  parts.log(
    `deploy gc: ${sites} removed site(s) purged, ${collected.blobs} blob(s) / ${collected.bytes} bytes collected, ` +
      `${collected.packsDeleted} pack(s) deleted, ${collected.packsCompacted} compacted, ${orphans} orphan(s) removed`,
  );
}

function purgeEach(service: DeployService, removed: ReadonlySet<string>): number {
  for (const siteId of removed) service.purgeSite(siteId);
  return removed.size;
}
