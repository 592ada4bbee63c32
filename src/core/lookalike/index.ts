export { characterSkeleton, skeleton } from './confusables.js';
export { type CorpusPair, type CorpusScore, isFlagged, scoreCorpus } from './corpus.js';
export { damerauLevenshtein } from './distance.js';
export {
  compareIntent,
  type DomainDisplay,
  findLookalikes,
  type IntentCheck,
  type IntentReason,
  type IntentReasonKind,
  type LookalikeKind,
  type LookalikeMatch,
  lookalikeError,
  maxEditDistance,
} from './intent.js';
export { MAX_DOMAIN_LENGTH, MAX_LABEL_LENGTH, type NormalizedDomain, normalizeDomain } from './normalize.js';
export { isMixedScript, scriptsOf } from './scripts.js';
