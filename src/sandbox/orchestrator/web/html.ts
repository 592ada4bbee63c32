/**
 * A tiny server-side HTML toolkit for the orchestrator's pages: a tagged template that escapes every
 * interpolated value unless it is already `Html`, and one shared layout. No framework, no client script.
 */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

type Interpolation = Html | string | number | boolean | null | undefined | readonly Interpolation[];

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}

function render(value: Interpolation): string {
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: Interpolation[]): Html {
  return new Html(
    values.reduce<string>((out, value, index) => out + render(value) + strings[index + 1], strings[0] ?? ''),
  );
}

export interface LayoutOptions {
  title: string;
  /** The signed-in user's email, shown in the header with a sign-out button. */
  signedInAs?: string | undefined;
  /** CSRF token for the header's sign-out form; required when `signedInAs` is set. */
  csrf?: string | undefined;
}

const STYLE = `
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0; color: #1d1d1f; background: #f6f7f9; }
  header { display: flex; justify-content: space-between; align-items: center; padding: .75rem 1.5rem;
    background: #1d1d1f; color: #fff; }
  header a { color: #fff; margin-right: 1rem; text-decoration: none; }
  header form { display: inline; margin: 0; }
  main { max-width: 40rem; margin: 2rem auto; padding: 1.5rem 2rem; background: #fff; border-radius: 8px;
    box-shadow: 0 1px 3px rgba(0,0,0,.12); }
  label { display: block; margin: .75rem 0 .25rem; font-weight: 600; }
  input { font: inherit; padding: .4rem .5rem; width: 100%; box-sizing: border-box; }
  button { font: inherit; padding: .45rem 1rem; margin: 1rem .5rem 0 0; cursor: pointer; }
  .error { color: #b00020; } .ok { color: #0a7d28; } .muted { color: #666; }
  .code { font: 1.6rem monospace; letter-spacing: .15em; }
  table { border-collapse: collapse; width: 100%; } td, th { text-align: left; padding: .3rem .5rem; }
`;

export function layout(options: LayoutOptions, body: Html): Html {
  const account = options.signedInAs
    ? html`<span>${options.signedInAs}
        <form method="post" action="/logout"><input type="hidden" name="csrf" value="${options.csrf}">
        <button type="submit" id="sign-out">Sign out</button></form></span>`
    : html`<a href="/login">Sign in</a>`;
  return html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · Projects sandbox</title><style>${new Html(STYLE)}</style></head>
<body>
<header><nav><a href="/">Projects sandbox</a><a href="/terms">Terms</a><a href="/billing">Billing</a><a href="/approvals">Approvals</a></nav>${account}</header>
<main><h1>${options.title}</h1>${body}</main>
</body>
</html>`;
}

/** The hidden CSRF field every form must carry. */
export function csrfField(token: string): Html {
  return html`<input type="hidden" name="csrf" value="${token}">`;
}
