/** Decoding request bodies into typed values, with an `InvalidRequest` that names the offending field. */
import { Cause, Effect, Schema, SchemaIssue } from "effect"
import { InvalidRequest } from "../ClusterError.js"

const standard = SchemaIssue.makeFormatterStandardSchemaV1()

const formatPath = (prefix: string, path: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }>): string =>
  path.reduce<string>((out, part) => {
    const key = typeof part === "object" ? part.key : part
    return typeof key === "number" ? `${out}[${key}]` : out === "" ? String(key) : `${out}.${String(key)}`
  }, prefix)

/** Decodes `input`; the error's `field` is `prefix` plus the path of the first issue. */
export const decode =
  <S extends Schema.Top & { readonly DecodingServices: never }>(schema: S, prefix = "body") =>
  (input: unknown): Effect.Effect<S["Type"], InvalidRequest> => {
    const exit = Schema.decodeUnknownExit(schema)(input, { onExcessProperty: "error" })
    if (exit._tag === "Success") return Effect.succeed(exit.value)
    const error = Cause.findErrorOption(exit.cause)
    if (error._tag === "None")
      return Effect.fail(new InvalidRequest({ field: prefix, reason: Cause.pretty(exit.cause) }))
    const issue = standard(error.value.issue).issues[0]
    return Effect.fail(
      new InvalidRequest({
        field: formatPath(prefix, issue?.path ?? []),
        reason: issue?.message ?? error.value.message
      })
    )
  }
