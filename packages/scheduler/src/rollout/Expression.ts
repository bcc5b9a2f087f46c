/**
 * The condition language of `successCondition` and `failureCondition`: a small, safe subset of expr (the
 * language Argo Rollouts evaluates), parsed into a tree and interpreted; no `eval`, no access to prototypes.
 *
 * - values: numbers, strings, `true`/`false`, `nil`, arrays `[1, 2]`, and the variable `result`;
 * - operators: `! not - + * / % ** ^ == != < <= > >= && and || or ?? ?:`, `in`, `not in`, `contains`,
 *   `startsWith`, `endsWith`, indexing `result[0]`,
 *   `result["key"]`, `result.key`, `result?.key` (nil instead of an error), negative indexes from the end;
 * - functions: Argo's `asInt`, `asFloat`, `isNaN`, `isInf`, `isNil`, `default(value, fallback)`, and
 *   `len`, `abs`, `min`, `max`.
 *
 * Types are strict as in expr: comparing a string with a number, or `&&` on a non-bool, is an error (the
 * measurement is then `Error`, not `Failed`). A condition must evaluate to a bool.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { Node } from "./internal/expression/ast.js"
import { EvalFailure, describe, evaluate as evaluateNode } from "./internal/expression/evaluate.js"
import { SyntaxFailure } from "./internal/expression/lexer.js"
import { parse } from "./internal/expression/parser.js"
import { ExpressionError } from "./RolloutError.js"

/** The longest accepted expression, in characters. */
const maxLength = 4096

/**
 * A parsed expression, ready to evaluate many times.
 *
 * @since 0.1.0
 * @category models
 */
export interface Compiled {
  readonly source: string
  /** @internal */
  readonly root: Node
}

/**
 * Parses `source` once; fails with an {@link ExpressionError} naming the position of the bad token.
 *
 * @since 0.1.0
 * @category constructors
 */
export const compile = (source: string): Effect.Effect<Compiled, ExpressionError> =>
  Effect.suspend(() => {
    const result = compileSync(source)
    return result instanceof ExpressionError ? Effect.fail(result) : Effect.succeed(result)
  })

/**
 * {@link compile} without Effect: the compiled expression or the error (returned, not thrown).
 *
 * @since 0.1.0
 * @category constructors
 */
export const compileSync = (source: string): Compiled | ExpressionError => {
  if (source.length > maxLength) {
    return new ExpressionError({
      expression: `${source.slice(0, 60)}...`,
      reason: `longer than ${maxLength} characters`
    })
  }
  try {
    return { source, root: parse(source) }
  } catch (e) {
    if (e instanceof SyntaxFailure)
      return new ExpressionError({ expression: source, reason: e.reason, position: e.pos })
    return new ExpressionError({ expression: source, reason: `cannot parse: ${String(e)}` })
  }
}

/**
 * Evaluates a compiled expression with the given variables (usually `{ result }`); the value or the error.
 *
 * @since 0.1.0
 * @category evaluation
 */
export const evaluateSync = (
  compiled: Compiled,
  variables: Readonly<Record<string, unknown>>
): { readonly value: unknown } | ExpressionError => {
  try {
    return { value: evaluateNode(compiled.root, variables) }
  } catch (e) {
    if (e instanceof EvalFailure) return new ExpressionError({ expression: compiled.source, reason: e.reason })
    if (e instanceof RangeError)
      return new ExpressionError({ expression: compiled.source, reason: "too deeply nested" })
    return new ExpressionError({ expression: compiled.source, reason: String(e) })
  }
}

/**
 * Evaluates a condition: it must produce a bool.
 *
 * @since 0.1.0
 * @category evaluation
 */
export const condition = (compiled: Compiled, result: unknown): boolean | ExpressionError => {
  const out = evaluateSync(compiled, { result })
  if (out instanceof ExpressionError) return out
  return typeof out.value === "boolean"
    ? out.value
    : new ExpressionError({ expression: compiled.source, reason: `expected bool, but got ${describe(out.value)}` })
}
