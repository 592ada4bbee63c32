import { Ajv2020 } from 'ajv/dist/2020.js';
import { ProjectsError } from '../../../protocol/errors.js';
import type { CatalogService } from '../../../protocol/orchestrator.js';

/**
 * Validates a provision's configuration against the service's JSON Schema (draft 2020-12) before any
 * provider is asked: a typo fails here, with the offending fields, and costs nothing.
 */
const ajv = new Ajv2020({ allErrors: true, strict: false });
const compiled = new WeakMap<object, ReturnType<typeof ajv.compile>>();

export function validateConfiguration(service: CatalogService, configuration: Record<string, unknown>): void {
  const schema = service.configuration_schema;
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  if (validate(configuration)) return;
  const issues = (validate.errors ?? []).map((error) => ({
    path: error.instancePath || '/',
    message: error.message ?? 'invalid',
  }));
  throw new ProjectsError(
    'INVALID_ARGUMENT',
    `configuration does not match ${service.ref}: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`,
    {
      httpStatus: 400,
      details: { service: service.ref, issues },
      next: [{ command: `projects catalog show ${service.ref}`, why: 'see the configuration schema' }],
    },
  );
}
