import type { CatalogService } from '../../../protocol/orchestrator.js';
import { orchestratorApi } from '../../api.js';
import type { CommandInput } from '../../command.js';
import type { Factory } from '../../factory.js';
import type { CommandResult } from '../../output.js';
import { describePricing } from '../../pricing.js';
import { resolveService } from '../../service-ref.js';
import type { Style } from '../../style.js';

/** `projects catalog show provider/service`: one service with its plans and configuration schema. */
export async function runCatalogShow(ref: string, factory: Factory): Promise<CommandResult<CatalogService>> {
  const service = await resolveService(orchestratorApi(factory, { anonymous: true }), ref);
  return {
    data: service,
    human: (style) => describeService(service, style),
    next: [{ command: provisionExample(service), why: 'provision it' }],
  };
}

function describeService(service: CatalogService, style: Style): string {
  const lines = [
    `${style.bold(service.ref)}  ${service.name}`,
    service.description,
    '',
    `price:       ${describePricing(service.pricing)}`,
    `kind:        ${service.kind}`,
    `categories:  ${service.categories.join(', ')}`,
  ];
  if (service.requires?.length) lines.push(`requires:    ${service.requires.join(', ')}`);
  for (const plan of service.plans ?? []) {
    lines.push(`plan ${plan.id}: ${describePricing(plan.pricing)} — ${plan.description}`);
  }
  lines.push('', 'configuration:', ...describeSchema(service.configuration_schema));
  return lines.join('\n');
}

/** One line per configuration property: name, type, required, constraints, description. */
function describeSchema(schema: Record<string, unknown>): string[] {
  const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  const entries = Object.entries(properties);
  if (entries.length === 0) return ['  (none)'];
  const width = Math.max(...entries.map(([key]) => key.length));
  return entries.map(([key, property]) => {
    const facts = [
      Array.isArray(property.type) ? property.type.join('|') : String(property.type ?? 'any'),
      required.has(key) ? 'required' : 'optional',
      Array.isArray(property.enum) ? `one of ${property.enum.join(', ')}` : '',
      property.default === undefined ? '' : `default ${JSON.stringify(property.default)}`,
    ].filter(Boolean);
    const description = typeof property.description === 'string' ? ` — ${property.description}` : '';
    return `  ${key.padEnd(width)}  ${facts.join(', ')}${description}`;
  });
}

function provisionExample(service: CatalogService): string {
  const properties = (service.configuration_schema.properties ?? {}) as Record<string, unknown>;
  const named = 'name' in properties || 'domain' in properties;
  return `projects provision ${service.ref}${named ? ' --name <name>' : ''}`;
}

export function run(factory: Factory, { args }: CommandInput): Promise<CommandResult> {
  return runCatalogShow(args[0] ?? '', factory);
}
