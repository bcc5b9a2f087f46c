/** Tokens of the condition language (internal). */

export type Token =
  | { readonly kind: "num"; readonly value: number; readonly pos: number }
  | { readonly kind: "str"; readonly value: string; readonly pos: number }
  | { readonly kind: "id"; readonly value: string; readonly pos: number }
  | { readonly kind: "op"; readonly value: string; readonly pos: number }
  | { readonly kind: "end"; readonly value: ""; readonly pos: number }

/** A lexing or parsing failure at `pos` (caught at the module boundary). */
export class SyntaxFailure {
  constructor(
    readonly reason: string,
    readonly pos: number
  ) {}
}

const operators = [
  "?.",
  "??",
  "**",
  "==",
  "!=",
  "<=",
  ">=",
  "&&",
  "||",
  "+",
  "-",
  "*",
  "/",
  "%",
  "^",
  "<",
  ">",
  "!",
  "(",
  ")",
  "[",
  "]",
  ".",
  ",",
  "?",
  ":"
]
const escapes: Record<string, string> = { n: "\n", t: "\t", r: "\r", "\\": "\\", '"': '"', "'": "'" }

/** Splits `source` into tokens, ending with an `end` token. */
export const tokenize = (source: string): Array<Token> => {
  const tokens: Array<Token> = []
  let i = 0
  while (i < source.length) {
    const ch = source[i]!
    if (ch === " " || ch === "\t" || ch === "\n" || ch === "\r") {
      i++
      continue
    }
    if (/[0-9]/.test(ch) || (ch === "." && /[0-9]/.test(source[i + 1] ?? ""))) {
      const match = /^(?:\d+(?:_\d+)*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/.exec(source.slice(i))!
      tokens.push({ kind: "num", value: Number(match[0].replaceAll("_", "")), pos: i })
      i += match[0].length
      continue
    }
    if (/[A-Za-z_$]/.test(ch)) {
      const match = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(source.slice(i))!
      tokens.push({ kind: "id", value: match[0], pos: i })
      i += match[0].length
      continue
    }
    if (ch === '"' || ch === "'") {
      const start = i
      let value = ""
      i++
      while (i < source.length && source[i] !== ch) {
        if (source[i] === "\\") {
          const next = source[i + 1]
          const escaped = next === undefined ? undefined : escapes[next]
          if (escaped === undefined) throw new SyntaxFailure(`unknown escape \\${next ?? ""}`, i)
          value += escaped
          i += 2
        } else value += source[i++]
      }
      if (i >= source.length) throw new SyntaxFailure("unterminated string", start)
      i++
      tokens.push({ kind: "str", value, pos: start })
      continue
    }
    const op = operators.find((o) => source.startsWith(o, i))
    if (op === undefined) throw new SyntaxFailure(`unexpected character "${ch}"`, i)
    // `?.` followed by a digit is a ternary and a number (`a ?.5 : 1`).
    if (op === "?." && /[0-9]/.test(source[i + 2] ?? "")) {
      tokens.push({ kind: "op", value: "?", pos: i })
      i++
      continue
    }
    tokens.push({ kind: "op", value: op, pos: i })
    i += op.length
  }
  tokens.push({ kind: "end", value: "", pos: source.length })
  return tokens
}
