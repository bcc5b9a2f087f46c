/**
 * Role names. A role is a path of components separated by `/` (`eng/web`): fairness is decided among
 * siblings first, and a parent's weight, quota and reservations cover its whole subtree. `*` is the default
 * role of unreserved resources and may only stand alone.
 *
 * @since 0.1.0
 */
import { Result } from "effect"
import { InvalidRole } from "./AllocatorError.js"

/**
 * The role of unreserved resources (and the default role of a framework that names none).
 *
 * @since 0.1.0
 * @category constants
 */
export const any = "*"

const isInvalidChar = (c: number): boolean =>
  c <= 0x20 || c === 0x7f || c === 0x5c || c === 0xa0 || c === 0x2028 || c === 0x2029

const hasInvalidChar = (s: string): boolean => {
  for (let i = 0; i < s.length; i++) if (isInvalidChar(s.charCodeAt(i)) || /\s/.test(s[i]!)) return true
  return false
}

/**
 * Checks a role name (Mesos' rules): not empty; no component that is empty, `.`, `..` or starts with `-`;
 * no whitespace, control characters or backslashes; `*` only as the whole name.
 *
 * @since 0.1.0
 * @category validation
 */
export const validate = (role: string): Result.Result<string, InvalidRole> => {
  const fail = (reason: string) => Result.fail(new InvalidRole({ role, reason }))
  if (role === any) return Result.succeed(role)
  if (role === "") return fail("a role name cannot be empty")
  if (hasInvalidChar(role)) return fail("a role name cannot contain whitespace, control characters or '\\'")
  for (const component of role.split("/")) {
    if (component === "") return fail("a role path cannot have an empty component (leading, trailing or '//')")
    if (component === "." || component === "..") return fail(`a role path cannot have a '${component}' component`)
    if (component.startsWith("-")) return fail("a role path component cannot start with '-'")
    if (component === any) return fail("'*' cannot be part of a role path")
  }
  return Result.succeed(role)
}

/**
 * The role's ancestors, nearest first: `ancestors("a/b/c")` is `["a/b", "a"]`.
 *
 * @since 0.1.0
 * @category utils
 */
export const ancestors = (role: string): ReadonlyArray<string> => {
  const out: Array<string> = []
  let i = role.lastIndexOf("/")
  while (i > 0) {
    out.push(role.slice(0, i))
    i = role.lastIndexOf("/", i - 1)
  }
  return out
}

/**
 * Whether `role` is `ancestor` or lies below it (`isWithin("eng/web", "eng")` is true).
 *
 * @since 0.1.0
 * @category utils
 */
export const isWithin = (role: string, ancestor: string): boolean =>
  role === ancestor || (role.length > ancestor.length && role.startsWith(ancestor) && role[ancestor.length] === "/")
