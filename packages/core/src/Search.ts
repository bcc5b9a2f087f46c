/**
 * Search over nodes: a small query language shared by the API (`GET /api/v1/query/search?q=`), the view
 * filters and the UI. Parse once with {@link compile}, then test many nodes with {@link matches} (rendered
 * nodes) or {@link matchesNode} (report nodes). Pure, no I/O, no Node.js imports.
 *
 * Syntax (terms separated by spaces are AND-ed):
 *
 * | form                          | matches                                                                     |
 * |-------------------------------|-----------------------------------------------------------------------------|
 * | `web`                         | case-insensitive substring of the label, minor label, id, any latest field value, any label key or value, any set value (IPs, ports...) |
 * | `"web server"`                | the same with spaces (`\"` escapes a quote)                                 |
 * | `key:value`                   | substring of the value of `key`: a latest field, a label, a set, a parents topology (`hosts:node-1`); `key:"with spaces"`; on a node without `key` the whole term is free text, so `nginx:1.25` finds the image |
 * | `key:*`                       | the node has `key`                                                          |
 * | `key=value` / `key!=value`    | exact (case-insensitive) value; `!=` also matches nodes without `key`       |
 * | `cpu > 50%`, `memory>=200MB`  | numeric comparison of a metric (latest sample; a group's sum) or of a numeric field (`pid<100`, `port=80`) |
 * | `a OR b`                      | either side; AND binds tighter; `OR` must be upper case                     |
 * | `( ... )`                     | grouping                                                                    |
 *
 * Reserved keys: `label` (the display label, e.g. `label:nginx`), `id` and `topology` match those properties
 * as well as a field or label of that name. `mem` is an alias of `memory`.
 *
 * Comparison operators: `>`, `>=`, `<`, `<=`, `=`, `!=`. Units (case-insensitive): `%` (a plain number,
 * for percent metrics), `B`, `KB`/`MB`/`GB`/`TB` (powers of 1000), `KiB`/`MiB`/`GiB`/`TiB` (powers of
 * 1024); no unit means the plain number. `!=` is the negation of `=`: it also matches nodes without the
 * metric. Quote text that contains spaces, `:`, `=`, `<`, `>`, `(` or `)`. An empty query matches every node.
 *
 * @since 0.1.0
 */
import { Result, Schema } from "effect"
import { compilePredicate, type Predicate } from "./internal/search/match.js"
import { parseQuery } from "./internal/search/parse.js"
import type { Node } from "./Report.js"
import type { RenderedNode } from "./views/View.js"

/**
 * A comparison operator.
 *
 * @since 0.1.0
 * @category models
 */
export type CompareOp = ">" | ">=" | "<" | "<=" | "=" | "!="

/**
 * The parsed form of a query. Text values are lower-cased; comparison values are in base units (bytes,
 * percent) with the unit as written kept in `unit`.
 *
 * @since 0.1.0
 * @category models
 */
export type Query =
  | { readonly _tag: "All" }
  | { readonly _tag: "Text"; readonly text: string }
  | { readonly _tag: "Field"; readonly key: string; readonly value: string; readonly text: string }
  | { readonly _tag: "Equals"; readonly key: string; readonly value: string; readonly negate: boolean }
  | {
      readonly _tag: "Compare"
      readonly key: string
      readonly op: CompareOp
      readonly value: number
      readonly unit: string
    }
  | { readonly _tag: "And"; readonly terms: ReadonlyArray<Query> }
  | { readonly _tag: "Or"; readonly terms: ReadonlyArray<Query> }

/**
 * A query string that does not parse: `position` is the offset (0-based) of the offending character.
 *
 * @since 0.1.0
 * @category errors
 */
export class SearchSyntaxError extends Schema.TaggedError<SearchSyntaxError>()("SearchSyntaxError", {
  query: Schema.String,
  position: Schema.Int,
  message: Schema.String
}) {}

/**
 * A query compiled for matching: keep it and test many nodes with it.
 *
 * @since 0.1.0
 * @category models
 */
export interface CompiledQuery {
  /** The query string it was compiled from. */
  readonly source: string
  readonly query: Query
  /** @internal */
  readonly predicate: Predicate
}

/**
 * Parses a query string into its AST.
 *
 * **Example**
 * ```ts
 * Search.parse("web cpu > 50%")
 * // Result.succeed({ _tag: "And", terms: [{ _tag: "Text", text: "web" },
 * //   { _tag: "Compare", key: "cpu", op: ">", value: 50, unit: "%" }] })
 * ```
 *
 * @since 0.1.0
 * @category parsing
 */
export const parse = (input: string): Result.Result<Query, SearchSyntaxError> => {
  const parsed = parseQuery(input)
  return parsed.ok
    ? Result.succeed(parsed.query)
    : Result.fail(
        new SearchSyntaxError({ query: input, position: parsed.failure.position, message: parsed.failure.message })
      )
}

/**
 * Compiles an already parsed query.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromQuery = (query: Query, source = ""): CompiledQuery => ({
  source,
  query,
  predicate: compilePredicate(query)
})

/**
 * Parses and compiles a query string. In Effect code, lift the result with `Effect.fromResult`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const compile = (input: string): Result.Result<CompiledQuery, SearchSyntaxError> =>
  Result.map(parse(input), (query) => fromQuery(query, input))

/**
 * A query that matches every node.
 *
 * @since 0.1.0
 * @category constructors
 */
export const all: CompiledQuery = fromQuery({ _tag: "All" })

/**
 * Whether a rendered node matches (label, minor label, id, labels, metrics, parents).
 *
 * @since 0.1.0
 * @category matching
 */
export const matches = (query: CompiledQuery, node: RenderedNode): boolean =>
  query.predicate({ rendered: node, nodes: [] })

/**
 * Whether a report node matches (id, latest fields, labels, sets, metrics, parents).
 *
 * @since 0.1.0
 * @category matching
 */
export const matchesNode = (query: CompiledQuery, node: Node): boolean =>
  query.predicate({ rendered: undefined, nodes: [node] })

/**
 * Whether a rendered node matches when each term may also be satisfied by one of the report nodes it stands
 * for (`members`): what view filters use, so `docker_image_tag:1.25` finds a container by a field that only
 * the report node carries, while `cpu > 50%` still reads a group's summed metric.
 *
 * @since 0.1.0
 * @category matching
 */
export const matchesWithMembers = (query: CompiledQuery, node: RenderedNode, members: ReadonlyArray<Node>): boolean =>
  query.predicate({ rendered: node, nodes: members })
