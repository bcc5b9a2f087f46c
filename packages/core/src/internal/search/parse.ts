/**
 * The search query parser: a small lexer and a recursive-descent parser producing the `Search.Query` AST.
 * Failures carry the offset of the offending character so the UI can point at it.
 *
 * @since 0.1.0
 */
import type { CompareOp, Query } from "../../Search.js"

/**
 * A parse failure: where and why.
 *
 * @since 0.1.0
 * @category internal
 */
export interface ParseFailure {
  readonly position: number
  readonly message: string
}

type Token =
  | { readonly kind: "word"; readonly text: string; readonly pos: number; readonly end: number }
  | { readonly kind: "string"; readonly text: string; readonly pos: number; readonly end: number }
  | { readonly kind: "op"; readonly text: CompareOp; readonly pos: number; readonly end: number }
  | { readonly kind: "lparen" | "rparen"; readonly text: string; readonly pos: number; readonly end: number }

class Failure {
  constructor(readonly failure: ParseFailure) {}
}

const fail = (position: number, message: string): never => {
  throw new Failure({ position, message })
}

const isSpace = (c: string): boolean => c === " " || c === "\t" || c === "\n" || c === "\r"

const opAt = (input: string, i: number): CompareOp | undefined => {
  const c = input[i]
  const next = input[i + 1]
  if (c === ">" || c === "<") return next === "=" ? (`${c}=` as CompareOp) : c
  if (c === "=") return "="
  if (c === "!" && next === "=") return "!="
  return undefined
}

const lex = (input: string): Array<Token> => {
  const tokens: Array<Token> = []
  let i = 0
  while (i < input.length) {
    const c = input[i]!
    if (isSpace(c)) {
      i++
      continue
    }
    if (c === "(" || c === ")") {
      tokens.push({ kind: c === "(" ? "lparen" : "rparen", text: c, pos: i, end: i + 1 })
      i++
      continue
    }
    if (c === '"') {
      let text = ""
      let j = i + 1
      while (j < input.length && input[j] !== '"') {
        if (input[j] === "\\" && j + 1 < input.length) j++
        text += input[j]
        j++
      }
      if (j >= input.length) fail(i, "unterminated quoted phrase")
      tokens.push({ kind: "string", text, pos: i, end: j + 1 })
      i = j + 1
      continue
    }
    const op = opAt(input, i)
    if (op !== undefined) {
      tokens.push({ kind: "op", text: op, pos: i, end: i + op.length })
      i += op.length
      continue
    }
    let j = i
    let field = false
    while (j < input.length) {
      const d = input[j]!
      if (isSpace(d) || d === '"' || d === "(" || d === ")") break
      if (!field && opAt(input, j) !== undefined) break
      if (d === ":") field = true
      j++
    }
    tokens.push({ kind: "word", text: input.slice(i, j), pos: i, end: j })
    i = j
  }
  return tokens
}

const keyPattern = /^[A-Za-z_][\w.\-/]*$/
const ipv6Like = /^[0-9a-f]*:[0-9a-f:.%]*$/i
const numberPattern = /^(\d+(?:\.\d*)?|\.\d+)(.*)$/

const units: Readonly<Record<string, number>> = {
  "": 1,
  "%": 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4
}

/**
 * The units a metric comparison accepts, as written in errors and docs.
 *
 * @since 0.1.0
 * @category internal
 */
export const unitNames = "%, B, KB, MB, GB, TB, KiB, MiB, GiB, TiB"

class Parser {
  private i = 0
  constructor(
    private readonly input: string,
    private readonly tokens: ReadonlyArray<Token>
  ) {}

  private peek(): Token | undefined {
    return this.tokens[this.i]
  }

  private isOr(token: Token | undefined): boolean {
    return token?.kind === "word" && token.text === "OR"
  }

  query(): Query {
    if (this.tokens.length === 0) return { _tag: "All" }
    const query = this.or()
    const rest = this.peek()
    if (rest !== undefined) fail(rest.pos, `unexpected '${rest.text}'`)
    return query
  }

  private or(): Query {
    const terms = [this.and()]
    while (this.isOr(this.peek())) {
      const or = this.tokens[this.i++]!
      const next = this.peek()
      if (next === undefined || next.kind === "rparen" || this.isOr(next)) fail(or.pos, "expected a term after OR")
      terms.push(this.and())
    }
    return terms.length === 1 ? terms[0]! : { _tag: "Or", terms }
  }

  private and(): Query {
    const terms: Array<Query> = []
    for (let token = this.peek(); token !== undefined; token = this.peek()) {
      if (token.kind === "rparen" || this.isOr(token)) break
      terms.push(this.term())
    }
    if (terms.length === 0) {
      const token = this.peek()
      if (token === undefined) return fail(this.input.length, "expected a term")
      return fail(token.pos, this.isOr(token) ? "expected a term before OR" : `unexpected '${token.text}'`)
    }
    return terms.length === 1 ? terms[0]! : { _tag: "And", terms }
  }

  private term(): Query {
    const token = this.tokens[this.i++]!
    switch (token.kind) {
      case "lparen": {
        if (this.peek()?.kind === "rparen") fail(token.pos, "empty parentheses")
        if (this.peek() === undefined) fail(token.pos, "missing ')'")
        const inner = this.or()
        if (this.peek()?.kind !== "rparen") fail(token.pos, "missing ')'")
        this.i++
        return inner
      }
      case "rparen":
        return fail(token.pos, "unexpected ')'")
      case "op":
        return fail(token.pos, `expected a field or metric name before '${token.text}'`)
      case "string":
        return token.text === "" ? { _tag: "All" } : { _tag: "Text", text: token.text.toLowerCase() }
      case "word": {
        const next = this.peek()
        if (next?.kind === "op") return this.comparison(token, next)
        return this.wordTerm(token)
      }
    }
  }

  private comparison(key: Token, op: Token & { kind: "op" }): Query {
    if (!keyPattern.test(key.text)) fail(key.pos, `expected a field or metric name before '${op.text}'`)
    this.i++
    const value = this.peek()
    if (value === undefined || value.kind === "op" || value.kind === "lparen" || value.kind === "rparen") {
      return fail(value?.pos ?? this.input.length, `expected a value after '${op.text}'`)
    }
    if (value.kind === "word" && this.isOr(value)) fail(value.pos, `expected a value after '${op.text}'`)
    this.i++
    const equality = op.text === "=" || op.text === "!="
    if (value.kind === "word") {
      const number = numberPattern.exec(value.text)
      if (number !== null) {
        const unit = number[2]!
        const scale = units[unit.toLowerCase()]
        if (scale === undefined) {
          return fail(value.pos + number[1]!.length, `unknown unit '${unit}' (use ${unitNames})`)
        }
        return { _tag: "Compare", key: key.text, op: op.text, value: Number(number[1]) * scale, unit }
      }
    }
    if (!equality) return fail(value.pos, `expected a number after '${op.text}'`)
    return { _tag: "Equals", key: key.text, value: value.text.toLowerCase(), negate: op.text === "!=" }
  }

  private wordTerm(token: Token): Query {
    const colon = token.text.indexOf(":")
    if (colon > 0) {
      const key = token.text.slice(0, colon)
      if (keyPattern.test(key) && !ipv6Like.test(token.text)) {
        const value = token.text.slice(colon + 1)
        if (value !== "") return { _tag: "Field", key, value: value.toLowerCase(), text: token.text.toLowerCase() }
        const next = this.peek()
        if (next?.kind === "string") {
          this.i++
          const phrase = next.text.toLowerCase()
          return { _tag: "Field", key, value: phrase, text: `${key.toLowerCase()}:${phrase}` }
        }
        return fail(token.end, `expected a value after '${key}:'`)
      }
    }
    return { _tag: "Text", text: token.text.toLowerCase() }
  }
}

/**
 * Parses a query string into its AST, or describes the first syntax error.
 *
 * @since 0.1.0
 * @category internal
 */
export const parseQuery = (
  input: string
): { readonly ok: true; readonly query: Query } | { readonly ok: false; readonly failure: ParseFailure } => {
  try {
    return { ok: true, query: new Parser(input, lex(input)).query() }
  } catch (error) {
    if (error instanceof Failure) return { ok: false, failure: error.failure }
    throw error
  }
}
