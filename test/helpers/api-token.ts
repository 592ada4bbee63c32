import { type CreateApiTokenRequest, CreatedApiToken } from '../../src/protocol/oauth.js';

interface Answer {
  status: number;
  body: { error?: { code: string; details?: Record<string, unknown> } };
}

async function post(url: string, bearer: string, body: unknown): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Answer['body'] };
}

/**
 * A scoped API token, created the way `projects token create` does it at a terminal: the request gets
 * APPROVAL_REQUIRED, the human's login approves that approval with the token's name typed, the request runs
 * again. For tests that need a token and are not about its gate.
 */
export async function createApprovedToken(
  baseUrl: string,
  humanToken: string,
  request: CreateApiTokenRequest,
): Promise<CreatedApiToken> {
  const asked = await post(`${baseUrl}/v1/tokens`, humanToken, request);
  if (asked.body.error?.code !== 'APPROVAL_REQUIRED') {
    throw new Error(`expected APPROVAL_REQUIRED, got ${asked.status} ${JSON.stringify(asked.body)}`);
  }
  const approvalId = String(asked.body.error.details?.approval_id);
  const decided = await post(`${baseUrl}/v1/approvals/${approvalId}/approve`, humanToken, {
    confirmation: request.name,
  });
  if (decided.status !== 200) throw new Error(`approval refused: ${JSON.stringify(decided.body)}`);
  const created = await post(`${baseUrl}/v1/tokens`, humanToken, request);
  if (created.status !== 201) throw new Error(`token not created: ${JSON.stringify(created.body)}`);
  return CreatedApiToken.parse(created.body);
}
