/**
 * Reading a Marathon constraint `[field, operator, value?]` into what each operator needs.
 *
 * @internal
 */
import type { Constraint } from "../../model/AppDefinition.js"

/** A constraint whose value was checked against its operator's syntax. */
export type Parsed =
  | { readonly op: "UNIQUE"; readonly field: string }
  | { readonly op: "CLUSTER"; readonly field: string; readonly value: string | undefined }
  | { readonly op: "GROUP_BY"; readonly field: string; readonly groups: number }
  | { readonly op: "LIKE" | "UNLIKE"; readonly field: string; readonly regex: RegExp; readonly source: string }
  | { readonly op: "MAX_PER"; readonly field: string; readonly max: number }

/** Why a constraint's value does not fit its operator (the value is element 2 of the tuple). */
export interface SyntaxProblem {
  readonly reason: string
}

const positiveInt = /^[1-9][0-9]{0,8}$/

/**
 * Checks a constraint's value against its operator: UNIQUE takes none; CLUSTER an optional exact value;
 * GROUP_BY an optional positive integer (how many distinct values to expect); LIKE / UNLIKE a regular expression
 * matched against the whole field value; MAX_PER a positive integer. An empty value counts as no value.
 */
export const parseConstraint = (constraint: Constraint): Parsed | SyntaxProblem => {
  const [field, op] = constraint
  const raw = constraint[2]
  const value = raw === undefined || raw === "" ? undefined : raw
  switch (op) {
    case "UNIQUE":
      return value === undefined
        ? { op, field }
        : { reason: `UNIQUE takes no value (got ${JSON.stringify(value)}): write [${JSON.stringify(field)}, "UNIQUE"]` }
    case "CLUSTER":
      return { op, field, value }
    case "GROUP_BY":
      if (value === undefined) return { op, field, groups: 0 }
      return positiveInt.test(value)
        ? { op, field, groups: Number(value) }
        : {
            reason: `GROUP_BY takes an optional positive integer (how many distinct values to expect), got ${JSON.stringify(value)}`
          }
    case "MAX_PER":
      if (value === undefined)
        return { reason: 'MAX_PER needs a value: the most tasks per distinct field value, e.g. "2"' }
      return positiveInt.test(value)
        ? { op, field, max: Number(value) }
        : { reason: `MAX_PER takes a positive integer, got ${JSON.stringify(value)}` }
    case "LIKE":
    case "UNLIKE": {
      if (value === undefined) return { reason: `${op} needs a regular expression as value (".*" matches anything)` }
      try {
        return { op, field, regex: new RegExp(`^(?:${value})$`), source: value }
      } catch (error) {
        return {
          reason: `${op} value ${JSON.stringify(value)} is not a valid regular expression: ${String((error as Error).message)}`
        }
      }
    }
  }
}

/** Whether {@link parseConstraint} refused the constraint. */
export const isProblem = (parsed: Parsed | SyntaxProblem): parsed is SyntaxProblem => "reason" in parsed
