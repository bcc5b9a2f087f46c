/**
 * Kubernetes `Secret` objects as JSON (what `kubectl get secret NAME -o json` prints): `data` holds each
 * value base64-encoded (RFC 4648 standard alphabet, padded), `stringData` (write-only in the API, but valid
 * in manifests) holds plain text and wins over `data` for the same key, as the API server merges them.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * The largest Secret Kubernetes stores (`MaxSecretSize`, 1 MiB); larger files are refused unread.
 *
 * @since 0.1.0
 * @category constants
 */
export const maxSecretBytes = 1024 * 1024

/**
 * The parts of a Secret object this reads (other fields, such as `metadata.managedFields`, are ignored).
 *
 * @since 0.1.0
 * @category models
 */
export const KubernetesSecret = Schema.Struct({
  apiVersion: Schema.optionalKey(Schema.String),
  kind: Schema.Literal("Secret"),
  metadata: Schema.optionalKey(
    Schema.Struct({ name: Schema.optionalKey(Schema.String), namespace: Schema.optionalKey(Schema.String) })
  ),
  type: Schema.optionalKey(Schema.String),
  data: Schema.optionalKey(Schema.NullOr(Schema.Record(Schema.String, Schema.String))),
  stringData: Schema.optionalKey(Schema.NullOr(Schema.Record(Schema.String, Schema.String)))
})

/**
 * @since 0.1.0
 * @category models
 */
export type KubernetesSecret = typeof KubernetesSecret.Type

const base64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

const isSecret = Schema.is(KubernetesSecret)

/**
 * Reads one key of a Secret object from its JSON text: the value's bytes, or why not. Reasons never quote
 * the file's content (a JSON parser's message would), only key names and structure.
 *
 * @since 0.1.0
 * @category parsing
 */
export const secretValue = (
  text: string,
  key: string
): { readonly _tag: "Value"; readonly bytes: Uint8Array } | { readonly _tag: "Invalid"; readonly reason: string } => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return { _tag: "Invalid", reason: "the file is not valid JSON (expects a Kubernetes Secret object)" }
  }
  if (!isSecret(json)) {
    const kind =
      typeof json === "object" && json !== null && "kind" in json && typeof json.kind === "string"
        ? `kind ${JSON.stringify(json.kind)}`
        : "no kind"
    return {
      _tag: "Invalid",
      reason: `the file is not a Kubernetes Secret object (${kind}; expects kind "Secret" with string maps data and/or stringData)`
    }
  }
  const plain = json.stringData?.[key]
  if (plain !== undefined) return { _tag: "Value", bytes: new TextEncoder().encode(plain) }
  const encoded = json.data?.[key]
  if (encoded === undefined) {
    const keys = [...new Set([...Object.keys(json.data ?? {}), ...Object.keys(json.stringData ?? {})])].sort()
    const name = json.metadata?.name === undefined ? "the Secret" : `Secret ${JSON.stringify(json.metadata.name)}`
    return { _tag: "Invalid", reason: `${name} has no key ${JSON.stringify(key)} (keys: ${keys.join(", ") || "none"})` }
  }
  if (!base64.test(encoded)) return { _tag: "Invalid", reason: `data.${key} is not base64 (RFC 4648, padded)` }
  return { _tag: "Value", bytes: new Uint8Array(Buffer.from(encoded, "base64")) }
}
