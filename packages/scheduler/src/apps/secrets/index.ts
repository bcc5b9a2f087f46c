/**
 * Secrets of apps: resolving `env` secret references and `secretFiles` from files, the scheduler's
 * environment and Kubernetes Secret JSON, and redacting their values from every text that leaves the process.
 *
 * @since 0.1.0
 */
export { KubernetesSecret, maxSecretBytes, secretValue } from "./KubernetesSecret.js"
export {
  fromValues,
  make as makeRedactor,
  minLength,
  type Redaction,
  Redactor,
  replacement
} from "./Redactor.js"
export { type ResolvedSecrets, type ResolveOptions, resolveSecrets } from "./resolveSecrets.js"
export { SecretError } from "./SecretError.js"
