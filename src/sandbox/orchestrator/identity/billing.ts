import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ProjectsError } from '../../../protocol/errors.js';
import type { SandboxContext } from '../../context.js';
import { requireScope } from '../principal.js';
import type { OrchestratorStorage } from '../storage/unit-of-work.js';
import { csrfField, html } from '../web/html.js';
import { auditIdentity } from './audit.js';
import { newId } from './crypto.js';
import { type IdentityStore, identityStore, type PaymentMethod } from './store.js';
import { csrfToken, requireWebSession, sendPage } from './web-session.js';

/**
 * Test cards. The raw number lives only in the memory of the request that adds it: it is validated,
 * reduced to brand + last 4 digits + a `pm_…` id, and dropped. It is never stored, logged or returned.
 */

/** Stripe's "always declines" test card: accepted here, refused when paying (PAYMENT_DECLINED). */
const DECLINING_TEST_CARD = '4000000000000002';

export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let index = 0; index < digits.length; index++) {
    let digit = Number(digits[digits.length - 1 - index]);
    if (index % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

export function cardBrand(digits: string): string | undefined {
  if (/^4/.test(digits)) return 'visa';
  if (/^(5[1-5]|2(2[2-9]|[3-6]\d|7[01]|720))/.test(digits)) return 'mastercard';
  if (/^3[47]/.test(digits)) return 'amex';
  if (/^(6011|65|64[4-9])/.test(digits)) return 'discover';
  return undefined;
}

export interface CardInput {
  number?: string | undefined;
  expiry?: string | undefined;
  cvc?: string | undefined;
}

/** Validates a card form; returns what may be kept, or a message that never contains the number. */
export function tokenizeCard(
  input: CardInput,
  now: number,
): { method: Omit<PaymentMethod, 'id' | 'createdAt'> } | { error: string } {
  const digits = String(input.number ?? '').replace(/[\s-]/g, '');
  if (!/^\d{12,19}$/.test(digits) || !luhnValid(digits)) return { error: 'That card number is not valid.' };
  const brand = cardBrand(digits);
  if (!brand) return { error: 'That card brand is not accepted.' };
  const expiry = /^\s*(\d{1,2})\s*\/\s*(\d{2}|\d{4})\s*$/.exec(String(input.expiry ?? ''));
  const month = Number(expiry?.[1]);
  const year = expiry?.[2]?.length === 2 ? 2000 + Number(expiry[2]) : Number(expiry?.[2]);
  if (!expiry || month < 1 || month > 12) return { error: 'Enter the expiry as MM/YY.' };
  const today = new Date(now);
  if (year < today.getUTCFullYear() || (year === today.getUTCFullYear() && month < today.getUTCMonth() + 1)) {
    return { error: 'That card has expired.' };
  }
  const cvcLength = brand === 'amex' ? 4 : 3;
  if (!new RegExp(`^\\d{${cvcLength}}$`).test(String(input.cvc ?? '').trim())) {
    return { error: `Enter the ${cvcLength}-digit security code.` };
  }
  return {
    method: {
      brand,
      last4: digits.slice(-4),
      expMonth: month,
      expYear: year,
      declines: digits === DECLINING_TEST_CARD,
    },
  };
}

/** The card new purchases are paid with: the most recently added one. */
export async function defaultPaymentMethod(
  storage: OrchestratorStorage,
  userId: string,
): Promise<PaymentMethod | undefined> {
  return (await identityStore(storage).listPaymentMethods(userId))[0];
}

/**
 * The card to pay with. Throws PAYMENT_METHOD_REQUIRED (with the billing page's URL) when there is none,
 * and PAYMENT_DECLINED when it is the declining test card, so the sandbox can rehearse a refused payment.
 */
export async function requirePaymentMethod(
  ctx: Pick<SandboxContext, 'storage' | 'baseUrl'>,
  userId: string,
): Promise<PaymentMethod> {
  const method = await defaultPaymentMethod(ctx.storage, userId);
  const url = `${ctx.baseUrl()}/billing`;
  const next = [{ command: `open ${url}`, why: 'a human adds a card on the billing page' }];
  if (!method) {
    throw new ProjectsError('PAYMENT_METHOD_REQUIRED', 'add a payment method first', {
      httpStatus: 402,
      details: { url },
      next,
    });
  }
  if (method.declines) {
    throw new ProjectsError(
      'PAYMENT_DECLINED',
      `the card ${method.brand} •••• ${method.last4} was declined`,
      {
        httpStatus: 402,
        details: { url, payment_method: method.id },
        next,
      },
    );
  }
  return method;
}

function publicMethod(method: PaymentMethod, isDefault: boolean) {
  return {
    id: method.id,
    brand: method.brand,
    last4: method.last4,
    exp_month: method.expMonth,
    exp_year: method.expYear,
    default: isDefault,
  };
}

/** `/billing` (list and add test cards) and `GET /v1/payment_methods`. */
export function registerBilling(app: FastifyInstance, ctx: SandboxContext, store: IdentityStore): void {
  async function show(
    request: FastifyRequest,
    reply: FastifyReply,
    userId: string,
    notice?: { error?: string; ok?: string },
  ) {
    const methods = await store.listPaymentMethods(userId);
    const list = methods.length
      ? html`<table id="cards"><tr><th>Card</th><th>Expires</th><th></th></tr>${methods.map(
          (method, index) =>
            html`<tr><td>${method.brand} •••• ${method.last4}</td>
              <td>${String(method.expMonth).padStart(2, '0')}/${method.expYear}</td>
              <td>${index === 0 ? 'default' : ''}</td></tr>`,
        )}</table>`
      : html`<p id="no-cards">No payment method yet. Paid purchases need one.</p>`;
    return sendPage(request, reply, {
      title: 'Billing',
      status: notice?.error ? 400 : 200,
      body: html`${notice?.error ? html`<p class="error" role="alert">${notice.error}</p>` : ''}
        ${notice?.ok ? html`<p class="ok" role="status">${notice.ok}</p>` : ''}
        ${list}
        <h2>Add a test card</h2>
        <p class="muted">Sandbox only: use a test number such as 4242 4242 4242 4242. Only the brand and the last
          four digits are kept.</p>
        <form method="post" action="/billing" autocomplete="off">
          ${csrfField(csrfToken(request, reply))}
          <label for="number">Card number</label>
          <input id="number" name="number" inputmode="numeric" autocomplete="cc-number" required>
          <label for="expiry">Expiry (MM/YY)</label>
          <input id="expiry" name="expiry" autocomplete="cc-exp" placeholder="MM/YY" required>
          <label for="cvc">Security code</label>
          <input id="cvc" name="cvc" inputmode="numeric" autocomplete="cc-csc" required>
          <button type="submit" id="add-card">Add card</button>
        </form>`,
    });
  }

  app.get('/billing', async (request, reply) => {
    const session = requireWebSession(request, reply);
    return session ? show(request, reply, session.user.id) : reply;
  });

  app.post<{ Body: CardInput }>('/billing', async (request, reply) => {
    const session = requireWebSession(request, reply);
    if (!session) return reply;
    const now = ctx.now();
    const result = tokenizeCard(request.body ?? {}, now);
    if ('error' in result) return show(request, reply, session.user.id, { error: result.error });
    const method: PaymentMethod = { id: newId('pm_'), createdAt: now, ...result.method };
    await store.insertPaymentMethod(session.user.id, method);
    await auditIdentity(ctx, {
      user: session.user,
      action: 'payment_method.add',
      subject: method.id,
      details: { brand: method.brand, last4: method.last4 },
    });
    return show(request, reply, session.user.id, { ok: `Added ${method.brand} •••• ${method.last4}.` });
  });

  app.get('/v1/payment_methods', async (request) => {
    const principal = requireScope(request, 'read');
    return {
      payment_methods: (await store.listPaymentMethods(principal.userId)).map((m, i) =>
        publicMethod(m, i === 0),
      ),
    };
  });
}
