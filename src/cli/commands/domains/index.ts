import type { DomainAttachment } from '../../../protocol/deploy.js';
import { ProjectsError } from '../../../protocol/errors.js';
import type { CommandModule } from '../../command.js';
import type { Factory } from '../../factory.js';
import type { CommandResult } from '../../output.js';
import { checkSiteName, siteTarget } from '../deploy/site.js';

/**
 * `projects domains attach <domain>`: the provider writes the DNS records in the domain's zone (which the
 * project bought there) and issues a certificate; the domain then serves the site's production deployment.
 */
export async function runDomainsAttach(
  hostname: string,
  site: string | undefined,
  factory: Factory,
): Promise<CommandResult<DomainAttachment>> {
  if (!hostname) throw new ProjectsError('INVALID_ARGUMENT', 'name the domain to attach');
  const target = await siteTarget(factory, factory.requireProject());
  await checkSiteName(target, site);
  const attached = await target.client.attachDomain(hostname);
  factory.output.info(
    attached.records.map((record) => `${record.name}  ${record.type}  ${record.value}`).join('\n'),
  );
  return { data: attached, human: () => attached.https_url };
}

export const attach: CommandModule = {
  run: (factory, input) =>
    runDomainsAttach(
      input.args[0] ?? '',
      typeof input.options.site === 'string' ? input.options.site : undefined,
      factory,
    ),
};
