/**
 * Marathon's label selectors (`GET /v2/apps?label=`): comma-separated requirements that must all hold, each one
 * of `key` (the label exists), `key==value`, `key!=value` (absent counts as different), `key in (a, b)` and
 * `key notin (a, b)`. A backslash takes the next character literally (`a\,b` is one value).
 *
 * @since 0.1.0
 */

/**
 * One requirement of a selector.
 *
 * @since 0.1.0
 * @category models
 */
export interface LabelRequirement {
  readonly key: string
  readonly op: "exists" | "==" | "!=" | "in" | "notin"
  readonly values: ReadonlyArray<string>
}

/** Splits at top-level occurrences of `separator` (not inside parentheses, not escaped); unescapes nothing. */
const splitTop = (text: string, separator: string): Array<string> => {
  const parts: Array<string> = []
  let depth = 0
  let start = 0
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === "\\") i++
    else if (c === "(") depth++
    else if (c === ")") depth--
    else if (c === separator && depth === 0) {
      parts.push(text.slice(start, i))
      start = i + 1
    }
  }
  parts.push(text.slice(start))
  return parts
}

const literal = (text: string): string => text.trim().replace(/\\(.)/g, "$1")

const requirementOf = (text: string): LabelRequirement | string => {
  const set = /^\s*((?:\\.|[^\s\\])+)\s+(in|notin)\s*\((.*)\)\s*$/.exec(text)
  if (set !== null) {
    const values = splitTop(set[3]!, ",").map(literal)
    if (values.some((v) => v === "")) return `"${text.trim()}": a value of the set is empty`
    return { key: literal(set[1]!), op: set[2] as "in" | "notin", values }
  }
  for (const op of ["==", "!="] as const) {
    const at = text.replace(/\\./g, "__").indexOf(op)
    if (at >= 0) {
      const key = literal(text.slice(0, at))
      if (key === "") return `"${text.trim()}": no label key before ${op}`
      return { key, op, values: [literal(text.slice(at + 2))] }
    }
  }
  const key = literal(text)
  if (key === "" || /[\s()]/.test(text.trim().replace(/\\./g, "__")))
    return `"${text.trim()}" is not a requirement (key, key==value, key!=value, key in (a, b), key notin (a, b))`
  return { key, op: "exists", values: [] }
}

/**
 * Parses a selector; a string names what is wrong.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseLabelSelector = (text: string): ReadonlyArray<LabelRequirement> | string => {
  const requirements: Array<LabelRequirement> = []
  for (const part of splitTop(text, ",")) {
    const requirement = requirementOf(part)
    if (typeof requirement === "string") return requirement
    requirements.push(requirement)
  }
  return requirements
}

/**
 * Whether `labels` meet every requirement.
 *
 * @since 0.1.0
 * @category predicates
 */
export const matchesSelector = (
  labels: Readonly<Record<string, string>>,
  selector: ReadonlyArray<LabelRequirement>
): boolean =>
  selector.every(({ key, op, values }) => {
    const value = Object.hasOwn(labels, key) ? labels[key] : undefined
    if (op === "exists") return value !== undefined
    if (op === "==") return value === values[0]
    if (op === "!=") return value !== values[0]
    if (op === "in") return value !== undefined && values.includes(value)
    return value === undefined || !values.includes(value)
  })
