import { z } from 'zod';
import { CaptureRequest, CaptureResponse, ErrorResponse, PROVIDER_ENDPOINTS } from './provider.js';

/**
 * The generated part of docs/provider-protocol.md: every request and answer of the provider protocol as
 * JSON Schema (draft 2020-12), from the same zod schemas the providers, the orchestrator's client and the
 * conformance suite validate with. `npm run docs:provider` rewrites the section between the markers; a
 * test fails when the committed document is stale.
 */
export const GENERATED_BEGIN = '<!-- BEGIN GENERATED SCHEMAS (npm run docs:provider) -->';
export const GENERATED_END = '<!-- END GENERATED SCHEMAS -->';

function providerJsonSchema(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
}

/** Every schema of the section, in order: what the committed document's JSON blocks must equal. */
export function providerSchemaDocuments(): Record<string, unknown>[] {
  return [
    ...PROVIDER_ENDPOINTS.flatMap((endpoint) => [
      ...(endpoint.request ? [endpoint.request] : []),
      endpoint.response,
    ]),
    CaptureRequest,
    CaptureResponse,
    ErrorResponse,
  ].map(providerJsonSchema);
}

function block(title: string, schema: z.ZodType): string {
  return `<details><summary>${title}</summary>\n\n\`\`\`json\n${JSON.stringify(providerJsonSchema(schema), null, 2)}\n\`\`\`\n\n</details>`;
}

export function providerSchemaSection(): string {
  const sections = PROVIDER_ENDPOINTS.map((endpoint) => {
    const parts = [`### \`${endpoint.method} ${endpoint.path}\``, '', `Authorization: ${endpoint.auth}.`, ''];
    if (endpoint.request) parts.push(block('Request body', endpoint.request), '');
    parts.push(block('Answer (2xx)', endpoint.response));
    return parts.join('\n');
  });
  sections.push(
    [
      '### `POST <capture_url>` (provider → orchestrator)',
      '',
      'Authorization: signature with the provider’s secret, header `Projects-Provider: <id>`.',
      '',
      block('Request body', CaptureRequest),
      '',
      block('Answer (2xx)', CaptureResponse),
    ].join('\n'),
    ['### Error body (every non-2xx answer)', '', block('Error', ErrorResponse)].join('\n'),
  );
  return `${GENERATED_BEGIN}\n\n${sections.join('\n\n')}\n\n${GENERATED_END}`;
}

/** Replaces the generated section of a document (the markers must be present). */
export function withSchemaSection(document: string): string {
  const begin = document.indexOf(GENERATED_BEGIN);
  const end = document.indexOf(GENERATED_END);
  if (begin < 0 || end < begin)
    throw new Error('docs/provider-protocol.md lacks the generated-section markers');
  return `${document.slice(0, begin)}${providerSchemaSection()}${document.slice(end + GENERATED_END.length)}`;
}
