/** Decoding untrusted JSON with a Schema into one line per problem, naming the field (internal). */
import { Schema } from "effect"

const formatPath = (path: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }>): string => {
  let out = ""
  for (const segment of path) {
    const key = typeof segment === "object" ? segment.key : segment
    out += typeof key === "number" ? `[${key}]` : out === "" ? String(key) : `.${String(key)}`
  }
  return out === "" ? "request" : out
}

/** A validator for `schema`: the decoded value, or every problem as `metrics[0].control: Expected array`. */
export const validator = <S extends Schema.Top & Schema.ConstraintDecoder<unknown>>(schema: S) => {
  const standard = Schema.toStandardSchemaV1(schema, { parseOptions: { errors: "all" } })
  return (value: unknown): { readonly value: S["Type"] } | { readonly errors: Array<string> } => {
    const result = standard["~standard"].validate(value)
    if (result instanceof Promise) return { errors: ["request: cannot be validated synchronously"] }
    if (result.issues === undefined) return { value: result.value }
    return { errors: result.issues.map((issue) => `${formatPath(issue.path ?? [])}: ${issue.message}`) }
  }
}
