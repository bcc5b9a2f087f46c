import { describe, expect, it } from "@effect/vitest"
import { Expression, ExpressionError } from "@orchestrator/scheduler/rollout"

const run = (source: string, result: unknown): unknown => {
  const compiled = Expression.compileSync(source)
  if (compiled instanceof ExpressionError) return compiled
  const out = Expression.evaluateSync(compiled, { result })
  return out instanceof ExpressionError ? out : out.value
}

describe("Expression", () => {
  it.each([
    ["result[0] >= 0.95", [0.97], true],
    ["result[0] >= 0.95", [0.9], false],
    ["result >= 0.95 && result < 1", 0.99, true],
    ["result > 1 || result < 0 or result == 0.5", 0.5, true],
    ["not (result > 1)", 2, false],
    ["!isNaN(result[0]) && result[0] < 0.1", [NaN], false],
    ["isNaN(result[0])", [NaN], true],
    ["isInf(result)", -Infinity, true],
    ["isNil(result)", null, true],
    ["default(result, 0) == 0", null, true],
    ["default(result, 0) == 3", 3, true],
    ["asInt(result) == 42", "42", true],
    ["asFloat(result) > 0.5", "0.75", true],
    ["asFloat(result)", "NaN", NaN],
    ["asInt(result) + 1", 4.9, 5],
    ["result.data.ok == true", { data: { ok: true } }, true],
    ['result["data"]["ok"]', { data: { ok: false } }, false],
    ["result?.missing?.deep", { data: 1 }, null],
    ["result.missing", { data: 1 }, null],
    ["result[-1]", [1, 2, 3], 3],
    ["len(result) == 0 || result[0] < 0.1", [], true],
    ["2 ** 3 ** 2", null, 512],
    ["2 ^ 3 * 2", null, 16],
    ["-result + 10 % 4 * 2", 1, 3],
    ["7 / 2", null, 3.5],
    ['"a" + "b" == "ab"', null, true],
    ['result in ["x", "y"]', "y", true],
    ['"k" in result', { k: 1 }, true],
    ["result not in [1, 2]", 3, true],
    ["not (result in [1, 2])", 2, false],
    ['result contains "ok"', "all ok", true],
    ['result startsWith "a" && result endsWith "z"', "abcz", true],
    ["result > 1 ? 'big' : 'small'", 2, "big"],
    ["result ?? 5", null, 5],
    ["[1, 2] == [1, 2]", null, true],
    ["max(result) - min(1, 2)", [3, 9, 4], 8],
    ["abs(-2.5) == 2.5", null, true],
    ["1_000 == 1000 && 1e3 == 1000 && .5 == 0.5", null, true]
  ])("%s with result %j is %j", (source, result, expected) => {
    expect(run(source, result)).toEqual(expected)
  })

  it.each([
    ["result[0] >= 0.95", [], "index out of range: 0 (length 0)"],
    ["result > 1", "2", 'cannot compare string "2" > number 1'],
    ["result && true", 1, "&& needs a bool, got number 1"],
    ["asInt(result)", "4.5", 'asInt: cannot parse string "4.5" as an integer'],
    ["asFloat(result)", "abc", 'asFloat: cannot parse string "abc" as a float'],
    ["isNaN(result)", "x", 'isNaN: expected a number, got string "x"'],
    ["unknownFn(1)", null, 'unknown function "unknownFn"'],
    ["other > 1", null, 'unknown name "other"'],
    ["result.constructor", [], 'array index must be an integer, got string "constructor"'],
    ["result.a.b", { a: null }, 'cannot read string "b" of nil'],
    ["1 % 0", null, "modulo by zero"],
    ["result contains 1", "x", 'contains needs two strings, got string "x" and number 1']
  ])("%s with result %j is an error: %s", (source, result, reason) => {
    const out = run(source, result)
    expect(out).toBeInstanceOf(ExpressionError)
    expect((out as ExpressionError).reason).toBe(reason)
  })

  it("does not reach prototypes of maps", () => {
    expect(run("result.constructor", {})).toBe(null)
    expect(run('result["__proto__"]', {})).toBe(null)
  })

  it.each([
    ["result >= ", "unexpected end of expression", 10],
    ["result[0 >= 1", 'expected "]"', 13],
    ["result @ 1", 'unexpected character "@"', 7],
    ["'open", "unterminated string", 0],
    ["(1))", 'unexpected ")"', 3],
    ["result.", "expected a field name", 7]
  ])("reports a syntax error in %s", (source, reason, position) => {
    const compiled = Expression.compileSync(source)
    expect(compiled).toBeInstanceOf(ExpressionError)
    expect(compiled).toMatchObject({ reason, position, expression: source })
  })

  it("rejects too deep nesting and too long input without crashing", () => {
    expect(Expression.compileSync(`${"(".repeat(200)}1${")".repeat(200)}`)).toBeInstanceOf(ExpressionError)
    expect(Expression.compileSync("1 + ".repeat(2000))).toBeInstanceOf(ExpressionError)
  })

  it("requires a condition to be a bool", () => {
    const compiled = Expression.compileSync("result[0]") as Expression.Compiled
    const out = Expression.condition(compiled, [1])
    expect(out).toBeInstanceOf(ExpressionError)
    expect((out as ExpressionError).reason).toBe("expected bool, but got number 1")
  })
})
