import type { OrchestratorApi } from '../client/orchestrator.js';
import { ProjectsError } from '../protocol/errors.js';
import type { CatalogService } from '../protocol/orchestrator.js';

export interface ServiceRef {
  provider: string;
  /** The service id (`registrar:domain`) or a short form of it (`registrar`, `kv`). */
  service: string;
}

/** `provider/service[:type]` → its parts; anything else is a usage error that says what is expected. */
export function parseServiceRef(text: string): ServiceRef {
  const match = /^([a-z0-9][a-z0-9-]*)\/([a-z0-9][a-z0-9:_-]*)$/.exec(text.trim().toLowerCase());
  if (!match) {
    throw new ProjectsError(
      'INVALID_ARGUMENT',
      `expected provider/service (e.g. edge/registrar:domain), got '${text}'`,
      {
        details: { service: text },
        next: [{ command: 'projects catalog', why: 'list the services and their references' }],
      },
    );
  }
  return { provider: match[1]!, service: match[2]! };
}

/**
 * The catalog entry `ref` names: the exact id, or the one service whose id starts with `<short>:` or whose
 * kind is `<short>` (`data/kv` → `data/kv:store`). Ambiguous or unknown references list the candidates.
 */
export function pickService(services: readonly CatalogService[], ref: ServiceRef): CatalogService {
  const own = services.filter((service) => service.provider === ref.provider);
  const exact = own.find((service) => service.id === ref.service);
  if (exact) return exact;
  const candidates = own.filter(
    (service) => service.id.startsWith(`${ref.service}:`) || service.kind === ref.service,
  );
  if (candidates.length === 1) return candidates[0]!;
  const wanted = `${ref.provider}/${ref.service}`;
  const listed = (candidates.length ? candidates : own).map((service) => service.ref);
  throw new ProjectsError(
    candidates.length ? 'INVALID_ARGUMENT' : 'NOT_FOUND',
    candidates.length
      ? `'${wanted}' could be ${listed.join(' or ')}; name one`
      : own.length
        ? `provider '${ref.provider}' has no service '${ref.service}'`
        : `no provider '${ref.provider}' in the catalog`,
    {
      details: { service: wanted, candidates: listed },
      next: [{ command: `projects catalog --provider ${ref.provider}`, why: 'see what it offers' }],
    },
  );
}

/** Looks the service up in the orchestrator's aggregated catalog. */
export async function resolveService(api: OrchestratorApi, text: string): Promise<CatalogService> {
  const ref = parseServiceRef(text);
  const catalog = await api.catalog({ provider: ref.provider });
  const down = catalog.providers.find((provider) => provider.id === ref.provider && provider.status !== 'ok');
  if (down) {
    throw new ProjectsError(
      'PROVIDER_UNAVAILABLE',
      `provider '${ref.provider}' is unavailable: ${down.error?.message ?? 'no answer'}`,
      {
        details: { provider: ref.provider },
      },
    );
  }
  return pickService(catalog.services, ref);
}
