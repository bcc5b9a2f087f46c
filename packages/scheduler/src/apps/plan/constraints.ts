/**
 * Placement constraints with Marathon's semantics (`mesosphere.mesos.Constraints`): whether a task may go on an
 * agent given where the app's other tasks already are, and whether `instances` tasks can ever be placed on a
 * set of agents.
 *
 * The field `hostname` (or `@hostname`) reads the agent's hostname; any other field reads the agent attribute
 * of that name. An agent without the attribute matches no operator except `UNLIKE` (as in Marathon). Values
 * compare as exact strings; LIKE / UNLIKE regular expressions must match the whole value.
 *
 * @since 0.1.0
 */
import type { AppDefinition, Constraint } from "../model/AppDefinition.js"
import { isProblem, type Parsed, parseConstraint } from "./internal/parseConstraint.js"

/**
 * An agent as constraints see it: its hostname and attributes. A placed task is described by the slot of the
 * agent it runs on.
 *
 * @since 0.1.0
 * @category models
 */
export interface AgentSlot {
  readonly agentId: string
  readonly hostname: string
  readonly attributes: Readonly<Record<string, string>>
}

/**
 * The verdict of {@link placementFor}: allowed, or refused with the reason (naming the constraint and agent).
 *
 * @since 0.1.0
 * @category models
 */
export type Placement = { readonly ok: true } | { readonly ok: false; readonly reason: string }

const fieldValue = (field: string, slot: AgentSlot): string | undefined =>
  field === "hostname" || field === "@hostname"
    ? slot.hostname
    : Object.hasOwn(slot.attributes, field)
      ? slot.attributes[field]
      : undefined

const show = (constraint: Constraint): string => JSON.stringify(constraint)

const countBy = (field: string, placed: ReadonlyArray<AgentSlot>): Map<string, number> => {
  const counts = new Map<string, number>()
  for (const slot of placed) {
    const value = fieldValue(field, slot)
    if (value !== undefined) counts.set(value, (counts.get(value) ?? 0) + 1)
  }
  return counts
}

/** Why `value` (the candidate's field value) breaks `c` given the placed tasks, or undefined when it does not. */
const refusal = (c: Parsed, value: string, placed: ReadonlyArray<AgentSlot>): string | undefined => {
  switch (c.op) {
    case "UNIQUE":
      return placed.some((p) => fieldValue(c.field, p) === value)
        ? `${c.field}=${value} already runs a task of the app`
        : undefined
    case "CLUSTER": {
      const wanted = c.value ?? placed.map((p) => fieldValue(c.field, p)).find((v) => v !== undefined)
      return wanted === undefined || wanted === value
        ? undefined
        : `${c.field}=${value}, the app's tasks run on ${c.field}=${wanted}`
    }
    case "GROUP_BY": {
      const counts = countBy(c.field, placed)
      const here = counts.get(value)
      if (here === undefined) return undefined
      if (counts.size < c.groups)
        return `${c.field}=${value} already has a task and only ${counts.size} of the ${c.groups} expected values are used`
      const least = Math.min(...counts.values())
      return here === least ? undefined : `${c.field}=${value} has ${here} tasks, another value has only ${least}`
    }
    case "MAX_PER": {
      const here = countBy(c.field, placed).get(value) ?? 0
      return here < c.max ? undefined : `${c.field}=${value} already has ${here} tasks (MAX_PER ${c.max})`
    }
    case "LIKE":
      return c.regex.test(value) ? undefined : `${c.field}=${value} does not match /${c.source}/`
    case "UNLIKE":
      return c.regex.test(value) ? `${c.field}=${value} matches /${c.source}/` : undefined
  }
}

/**
 * Whether a task of an app may be placed on `candidate`, given the agents its other tasks run on (`placed`,
 * one entry per task). Operators, as Marathon:
 * - `UNIQUE`: no placed task has the candidate's value.
 * - `CLUSTER value`: the candidate's value is `value`; without value: the value of the placed tasks (anything
 *   for the first task).
 * - `GROUP_BY n`: a value no task uses yet is always accepted; a used value only once at least `n` distinct
 *   values are used and it holds the fewest tasks (so tasks spread evenly; Marathon 1.x's rule).
 * - `LIKE re` / `UNLIKE re`: the value matches / does not match `re` (the whole value).
 * - `MAX_PER n`: fewer than `n` placed tasks have the candidate's value.
 *
 * **Gotchas**: placed tasks on agents without the field are ignored by CLUSTER and GROUP_BY (Marathon would
 * count them as a group of their own, which could block the app forever). GROUP_BY follows Marathon 1.x; since
 * 1.10 Marathon lets a value run ahead of the others by counting against the app's target instances, which
 * this function is not given. Only `hostname` / `@hostname` are special fields (`@region` / `@zone` read
 * attributes of those literal names). A syntactically bad constraint refuses every agent (validate apps with
 * `validateApp` first).
 *
 * @since 0.1.0
 * @category constraints
 */
export const placementFor = (
  constraints: ReadonlyArray<Constraint>,
  candidate: AgentSlot,
  placed: ReadonlyArray<AgentSlot>
): Placement => {
  for (const constraint of constraints) {
    const parsed = parseConstraint(constraint)
    if (isProblem(parsed)) return { ok: false, reason: `constraint ${show(constraint)} is invalid: ${parsed.reason}` }
    const value = fieldValue(parsed.field, candidate)
    const reason =
      value === undefined
        ? parsed.op === "UNLIKE"
          ? undefined
          : `agent ${candidate.agentId} has no attribute ${JSON.stringify(parsed.field)}`
        : refusal(parsed, value, placed)
    if (reason !== undefined)
      return { ok: false, reason: `constraint ${show(constraint)} refuses agent ${candidate.agentId}: ${reason}` }
  }
  return { ok: true }
}

/** A filter every agent must pass whatever else is placed: the field exists, LIKE / UNLIKE / CLUSTER value hold. */
const staticPass = (c: Parsed, slot: AgentSlot): boolean => {
  const value = fieldValue(c.field, slot)
  if (value === undefined) return c.op === "UNLIKE"
  switch (c.op) {
    case "LIKE":
      return c.regex.test(value)
    case "UNLIKE":
      return !c.regex.test(value)
    case "CLUSTER":
      return c.value === undefined || c.value === value
    default:
      return true
  }
}

const distinct = (field: string, agents: ReadonlyArray<AgentSlot>): ReadonlyArray<string> =>
  [...new Set(agents.map((a) => fieldValue(field, a)).filter((v): v is string => v !== undefined))].sort()

const list = (values: ReadonlyArray<string>): string =>
  values.length === 0 ? "none" : values.length <= 8 ? values.join(", ") : `${values.slice(0, 8).join(", ")}, ...`

/** The most tasks a counting constraint lets these agents hold, with the reason, or undefined for no limit. */
const bound = (
  c: Parsed,
  agents: ReadonlyArray<AgentSlot>
): { readonly max: number; readonly why: string } | undefined => {
  const values = distinct(c.field, agents)
  const seen = `${values.length} distinct ${c.field} value(s): ${list(values)}`
  switch (c.op) {
    case "UNIQUE":
      return { max: values.length, why: seen }
    case "MAX_PER":
      return { max: values.length * c.max, why: `${c.max} per value, ${seen}` }
    case "GROUP_BY":
      return values.length < c.groups
        ? { max: values.length, why: `it waits for ${c.groups} distinct values, ${seen}` }
        : undefined
    default:
      return undefined
  }
}

interface Check {
  readonly constraint: Constraint
  readonly parsed: Parsed
}

const impossibleOn = (
  checks: ReadonlyArray<Check>,
  agents: ReadonlyArray<AgentSlot>,
  instances: number
): string | undefined => {
  for (const { constraint, parsed } of checks) {
    if (!agents.some((a) => staticPass(parsed, a))) {
      const values = distinct(parsed.field, agents)
      return `constraint ${show(constraint)} matches no agent (${parsed.field} values: ${list(values)})`
    }
  }
  const eligible = agents.filter((a) => checks.every((c) => staticPass(c.parsed, a)))
  if (eligible.length === 0) return `no agent satisfies ${checks.map((c) => show(c.constraint)).join(" and ")} together`
  const open = checks.find((c) => c.parsed.op === "CLUSTER" && c.parsed.value === undefined)
  if (open !== undefined) {
    const reasons: Array<string> = []
    for (const value of distinct(open.parsed.field, eligible)) {
      const pinned = checks.map((c) =>
        c === open ? { constraint: c.constraint, parsed: { op: "CLUSTER" as const, field: c.parsed.field, value } } : c
      )
      const reason = impossibleOn(pinned, eligible, instances)
      if (reason === undefined) return undefined
      reasons.push(`${open.parsed.field}=${value}: ${reason}`)
    }
    return `constraint ${show(open.constraint)} keeps all tasks on one ${open.parsed.field} value, and none fits: ${reasons.join("; ")}`
  }
  for (const { constraint, parsed } of checks) {
    const limit = bound(parsed, eligible)
    if (limit !== undefined && limit.max < instances)
      return `constraint ${show(constraint)} allows at most ${limit.max} task(s) on the eligible agents (${limit.why}), ${instances} wanted`
  }
  return undefined
}

/**
 * Why `app.instances` tasks can never all be placed on `agents` under the app's constraints, or undefined when
 * they might be. Detected: a constraint no agent passes (a LIKE matching nothing, a CLUSTER value no agent
 * has, a missing attribute), constraints that pass on disjoint agents only, UNIQUE with fewer distinct values
 * than instances, MAX_PER n with fewer than instances / n values, GROUP_BY n with fewer than n values (it
 * never places more than one task per value then), and CLUSTER without value when no single value can hold
 * every task under the other constraints.
 *
 * **When to use**: before deploying (refuse with a clear error) and when an app waits for offers (report why).
 * **Gotchas**: resources are not considered, only constraints; two counting constraints that are only
 * jointly impossible (UNIQUE on two different fields) may go undetected, and the task then waits for offers.
 *
 * @since 0.1.0
 * @category constraints
 */
export const impossibleConstraint = (
  app: Pick<AppDefinition, "instances" | "constraints">,
  agents: ReadonlyArray<AgentSlot>
): string | undefined => {
  if (app.instances <= 0 || app.constraints.length === 0) return undefined
  const checks: Array<Check> = []
  for (const constraint of app.constraints) {
    const parsed = parseConstraint(constraint)
    if (isProblem(parsed)) return `constraint ${show(constraint)} is invalid: ${parsed.reason}`
    checks.push({ constraint, parsed })
  }
  return impossibleOn(checks, agents, app.instances)
}
