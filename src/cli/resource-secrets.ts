import { type CredentialStore, openCredentialStore } from '../credentials/store.js';
import type { Factory } from './factory.js';

/**
 * The credential store, where provisioned resources' credentials live (namespace: the project id). Its
 * choice is announced on stderr once, and every value it holds is registered with the redactor.
 */
export function secretStore(factory: Factory): Promise<CredentialStore> {
  return openCredentialStore({
    env: factory.env,
    paths: factory.paths,
    notice: (line) => factory.output.info(line),
    onSecret: (value) => factory.redactor.register(value),
  });
}
