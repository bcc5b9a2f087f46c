/** The evaluator of the condition language: no `eval`, no prototype access, typed operators (internal). */
import type { Node } from "./ast.js"

/** An evaluation failure (caught at the module boundary). */
export class EvalFailure {
  constructor(readonly reason: string) {}
}

const fail = (reason: string): never => {
  throw new EvalFailure(reason)
}

/** A short description of a value for messages. */
export const describe = (v: unknown): string => {
  if (v === null || v === undefined) return "nil"
  if (typeof v === "number") return `number ${v}`
  if (typeof v === "string") return `string "${v.length > 40 ? `${v.slice(0, 40)}...` : v}"`
  if (typeof v === "boolean") return `bool ${v}`
  if (Array.isArray(v)) return `array (length ${v.length})`
  return "map"
}

const isNil = (v: unknown): v is null | undefined => v === null || v === undefined
const isMap = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v)

const number = (fn: string, v: unknown): number =>
  typeof v === "number" ? v : fail(`${fn}: expected a number, got ${describe(v)}`)

const parseNumber = (fn: string, s: string, integer: boolean): number => {
  const text = s.trim()
  if (integer) {
    if (!/^[+-]?\d+$/.test(text)) fail(`${fn}: cannot parse ${describe(s)} as an integer`)
    return Number.parseInt(text, 10)
  }
  if (/^[+-]?(nan)$/i.test(text)) return NaN
  if (/^[+-]?(inf|infinity)$/i.test(text)) return text.startsWith("-") ? -Infinity : Infinity
  const n = Number(text)
  if (text === "" || Number.isNaN(n)) fail(`${fn}: cannot parse ${describe(s)} as a float`)
  return n
}

const arity = (fn: string, args: ReadonlyArray<unknown>, count: number): void => {
  if (args.length !== count) fail(`${fn}: expected ${count} argument${count === 1 ? "" : "s"}, got ${args.length}`)
}

/** Argo's helper functions plus a few of expr's builtins. */
const functions: Record<string, (args: ReadonlyArray<unknown>) => unknown> = {
  asInt: (args) => {
    arity("asInt", args, 1)
    const v = args[0]
    if (typeof v === "number") return Number.isFinite(v) ? Math.trunc(v) : fail(`asInt: cannot convert ${v}`)
    if (typeof v === "string") return parseNumber("asInt", v, true)
    return fail(`asInt: expected a number or a string, got ${describe(v)}`)
  },
  asFloat: (args) => {
    arity("asFloat", args, 1)
    const v = args[0]
    if (typeof v === "number") return v
    if (typeof v === "string") return parseNumber("asFloat", v, false)
    return fail(`asFloat: expected a number or a string, got ${describe(v)}`)
  },
  isNaN: (args) => {
    arity("isNaN", args, 1)
    return Number.isNaN(number("isNaN", args[0]))
  },
  isInf: (args) => {
    arity("isInf", args, 1)
    const v = number("isInf", args[0])
    return v === Infinity || v === -Infinity
  },
  isNil: (args) => {
    arity("isNil", args, 1)
    return isNil(args[0])
  },
  default: (args) => {
    arity("default", args, 2)
    return isNil(args[0]) ? args[1] : args[0]
  },
  len: (args) => {
    arity("len", args, 1)
    const v = args[0]
    if (typeof v === "string" || Array.isArray(v)) return v.length
    if (isMap(v)) return Object.keys(v).length
    return fail(`len: expected a string, array or map, got ${describe(v)}`)
  },
  abs: (args) => {
    arity("abs", args, 1)
    return Math.abs(number("abs", args[0]))
  },
  min: (args) => {
    const values = args.length === 1 && Array.isArray(args[0]) ? args[0] : args
    if (values.length === 0) return fail("min: no values")
    return Math.min(...values.map((v) => number("min", v)))
  },
  max: (args) => {
    const values = args.length === 1 && Array.isArray(args[0]) ? args[0] : args
    if (values.length === 0) return fail("max: no values")
    return Math.max(...values.map((v) => number("max", v)))
  }
}

/** The names the language knows as functions. */
export const functionNames: ReadonlyArray<string> = Object.keys(functions)

const equal = (a: unknown, b: unknown): boolean => {
  if (isNil(a) || isNil(b)) return isNil(a) && isNil(b)
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => equal(v, b[i]))
  if (isMap(a) && isMap(b)) {
    const keys = Object.keys(a)
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && equal(a[k], b[k]))
  }
  return a === b
}

const compare = (op: string, a: unknown, b: unknown): boolean => {
  if (!((typeof a === "number" && typeof b === "number") || (typeof a === "string" && typeof b === "string"))) {
    return fail(`cannot compare ${describe(a)} ${op} ${describe(b)}`)
  }
  switch (op) {
    case "<":
      return a < b
    case "<=":
      return a <= b
    case ">":
      return a > b
    default:
      return a >= b
  }
}

const arithmetic = (op: string, a: unknown, b: unknown): unknown => {
  if (op === "+" && typeof a === "string" && typeof b === "string") return a + b
  if (typeof a !== "number" || typeof b !== "number")
    return fail(`cannot apply ${op} to ${describe(a)} and ${describe(b)}`)
  switch (op) {
    case "+":
      return a + b
    case "-":
      return a - b
    case "*":
      return a * b
    case "/":
      return a / b
    case "%":
      return b === 0 ? fail("modulo by zero") : a % b
    default:
      return a ** b
  }
}

const bool = (what: string, v: unknown): boolean =>
  typeof v === "boolean" ? v : fail(`${what} needs a bool, got ${describe(v)}`)

const index = (obj: unknown, key: unknown, optional: boolean): unknown => {
  if (isNil(obj)) return optional ? null : fail(`cannot read ${describe(key)} of nil`)
  if (Array.isArray(obj) || typeof obj === "string") {
    if (typeof key !== "number" || !Number.isInteger(key))
      return fail(`array index must be an integer, got ${describe(key)}`)
    const i = key < 0 ? obj.length + key : key
    if (i < 0 || i >= obj.length) return fail(`index out of range: ${key} (length ${obj.length})`)
    return obj[i]
  }
  if (isMap(obj)) {
    if (typeof key !== "string") return fail(`map key must be a string, got ${describe(key)}`)
    return Object.hasOwn(obj, key) ? obj[key] : null
  }
  return fail(`cannot read ${describe(key)} of ${describe(obj)}`)
}

const membership = (l: unknown, r: unknown): boolean => {
  if (Array.isArray(r)) return r.some((v) => equal(v, l))
  if (isMap(r))
    return typeof l === "string" ? Object.hasOwn(r, l) : fail(`map key must be a string, got ${describe(l)}`)
  return fail(`"in" needs an array or a map, got ${describe(r)}`)
}

/** Evaluates `node` with the variables of `env`; throws `EvalFailure` (caught by the caller). */
export const evaluate = (node: Node, env: Readonly<Record<string, unknown>>): unknown => {
  switch (node.k) {
    case "lit":
      return node.v
    case "id":
      return Object.hasOwn(env, node.name) ? env[node.name] : fail(`unknown name "${node.name}"`)
    case "arr":
      return node.items.map((item) => evaluate(item, env))
    case "unary": {
      const v = evaluate(node.arg, env)
      if (node.op === "!") return !bool("!", v)
      const n = typeof v === "number" ? v : fail(`cannot apply unary ${node.op} to ${describe(v)}`)
      return node.op === "-" ? -n : n
    }
    case "cond":
      return bool("?:", evaluate(node.test, env)) ? evaluate(node.then, env) : evaluate(node.else, env)
    case "index":
      return index(evaluate(node.obj, env), evaluate(node.key, env), node.optional)
    case "call": {
      const fn = functions[node.name]
      if (fn === undefined) return fail(`unknown function "${node.name}"`)
      return fn(node.args.map((arg) => evaluate(arg, env)))
    }
    case "bin": {
      const { op } = node
      if (op === "&&") return bool("&&", evaluate(node.l, env)) && bool("&&", evaluate(node.r, env))
      if (op === "||") return bool("||", evaluate(node.l, env)) || bool("||", evaluate(node.r, env))
      if (op === "??") {
        const l = evaluate(node.l, env)
        return isNil(l) ? evaluate(node.r, env) : l
      }
      const l = evaluate(node.l, env)
      const r = evaluate(node.r, env)
      switch (op) {
        case "==":
          return equal(l, r)
        case "!=":
          return !equal(l, r)
        case "<":
        case "<=":
        case ">":
        case ">=":
          return compare(op, l, r)
        case "not in":
          return !membership(l, r)
        case "contains":
        case "startsWith":
        case "endsWith":
          if (typeof l !== "string" || typeof r !== "string") {
            return fail(`${op} needs two strings, got ${describe(l)} and ${describe(r)}`)
          }
          return op === "contains" ? l.includes(r) : op === "startsWith" ? l.startsWith(r) : l.endsWith(r)
        case "in":
          return membership(l, r)
        default:
          return arithmetic(op, l, r)
      }
    }
  }
}
