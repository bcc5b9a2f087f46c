/** A precedence-climbing parser for the condition language (internal). */
import type { Node } from "./ast.js"
import { SyntaxFailure, type Token, tokenize } from "./lexer.js"

const maxDepth = 64

/** Binary operators by precedence, lowest first; `**` and `^` are right-associative. */
const levels: ReadonlyArray<ReadonlyArray<string>> = [
  ["??"],
  ["||", "or"],
  ["&&", "and"],
  ["==", "!="],
  ["<", "<=", ">", ">=", "in", "not in", "contains", "startsWith", "endsWith"],
  ["+", "-"],
  ["*", "/", "%"],
  ["**", "^"]
]

/** Parses `source`; throws `SyntaxFailure` (caught by the caller). */
export const parse = (source: string): Node => {
  const tokens = tokenize(source)
  let at = 0
  let depth = 0
  const peek = (): Token => tokens[at]!
  const isOp = (value: string): boolean => {
    const t = peek()
    return (t.kind === "op" || t.kind === "id") && t.value === value
  }
  const expect = (value: string): void => {
    if (!isOp(value)) throw new SyntaxFailure(`expected "${value}"`, peek().pos)
    at++
  }
  const nested = <A>(f: () => A): A => {
    if (++depth > maxDepth) throw new SyntaxFailure(`nesting deeper than ${maxDepth}`, peek().pos)
    try {
      return f()
    } finally {
      depth--
    }
  }

  const expression = (): Node =>
    nested(() => {
      const test = binary(0)
      if (!isOp("?")) return test
      at++
      const then = expression()
      expect(":")
      return { k: "cond", test, then, else: expression() }
    })

  const binary = (level: number): Node => {
    if (level >= levels.length) return unary()
    const ops = levels[level]!
    let left = binary(level + 1)
    for (;;) {
      const t = peek()
      const next = tokens[at + 1]
      if (
        t.kind === "id" &&
        t.value === "not" &&
        next?.kind === "id" &&
        next.value === "in" &&
        ops.includes("not in")
      ) {
        at += 2
        left = { k: "bin", op: "not in", l: left, r: binary(level + 1) }
        continue
      }
      if (!((t.kind === "op" || t.kind === "id") && ops.includes(t.value))) return left
      at++
      const op = t.value === "or" ? "||" : t.value === "and" ? "&&" : t.value === "^" ? "**" : t.value
      if (op === "**") return { k: "bin", op, l: left, r: binary(level) }
      left = { k: "bin", op, l: left, r: binary(level + 1) }
    }
  }

  const unary = (): Node => {
    if (isOp("!") || isOp("not") || isOp("-") || isOp("+")) {
      const op = peek().value === "not" ? "!" : String(peek().value)
      at++
      return nested(() => ({ k: "unary", op, arg: unary() }))
    }
    return postfix(primary())
  }

  const postfix = (base: Node): Node => {
    let node = base
    for (;;) {
      if (isOp(".") || isOp("?.")) {
        const optional = peek().value === "?."
        at++
        if (isOp("[")) {
          at++
          const key = expression()
          expect("]")
          node = { k: "index", obj: node, key, optional }
          continue
        }
        const t = peek()
        if (t.kind !== "id") throw new SyntaxFailure("expected a field name", t.pos)
        at++
        node = { k: "index", obj: node, key: { k: "lit", v: t.value }, optional }
      } else if (isOp("[")) {
        at++
        const key = expression()
        expect("]")
        node = { k: "index", obj: node, key, optional: false }
      } else return node
    }
  }

  const primary = (): Node => {
    const t = peek()
    if (t.kind === "num" || t.kind === "str") {
      at++
      return { k: "lit", v: t.value }
    }
    if (t.kind === "id") {
      at++
      if (t.value === "true") return { k: "lit", v: true }
      if (t.value === "false") return { k: "lit", v: false }
      if (t.value === "nil" || t.value === "null") return { k: "lit", v: null }
      if (t.value === "NaN") return { k: "lit", v: NaN }
      if (isOp("(")) {
        at++
        const args: Array<Node> = []
        if (!isOp(")")) {
          args.push(expression())
          while (isOp(",")) {
            at++
            args.push(expression())
          }
        }
        expect(")")
        return { k: "call", name: t.value, args, pos: t.pos }
      }
      return { k: "id", name: t.value, pos: t.pos }
    }
    if (isOp("(")) {
      at++
      const inner = expression()
      expect(")")
      return inner
    }
    if (isOp("[")) {
      at++
      const items: Array<Node> = []
      if (!isOp("]")) {
        items.push(expression())
        while (isOp(",")) {
          at++
          items.push(expression())
        }
      }
      expect("]")
      return { k: "arr", items }
    }
    throw new SyntaxFailure(t.kind === "end" ? "unexpected end of expression" : `unexpected "${t.value}"`, t.pos)
  }

  const root = expression()
  const rest = peek()
  if (rest.kind !== "end") throw new SyntaxFailure(`unexpected "${rest.value}"`, rest.pos)
  return root
}
