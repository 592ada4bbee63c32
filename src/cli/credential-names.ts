/**
 * Credentials as the CLI lists them: by env-var name, the public ones (a site id, an API URL) as
 * `NAME=value`. Only values the provider marked public and that do not look like a credential are ever in
 * `shown` (see `publicValues`); secret values are never printed.
 */
export function credentialLines(names: readonly string[], shown: Readonly<Record<string, string>>): string[] {
  return names.map((name) => (Object.hasOwn(shown, name) ? `${name}=${shown[name]}` : name));
}
