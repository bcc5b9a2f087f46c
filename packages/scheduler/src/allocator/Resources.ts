/**
 * The resource model: scalars (`cpus`, `mem`, `disk`, `gpus`, any custom scalar), ranges (`ports`) and sets,
 * each unreserved or reserved for a role (statically by the agent, or dynamically by an operator), and
 * optionally revocable. A {@link Resources} value is immutable and canonical (merged, sorted, no empties),
 * so equal amounts compare equal with `equals`.
 *
 * Text form (Mesos' syntax, plus an optional `{flags}` part):
 *
 * ```text
 * cpus:24;mem:4096;disk:4096;ports:[31000-32000];zones:{a,b}
 * cpus(eng):4                 statically reserved for role eng
 * cpus(eng){dynamic}:2        dynamically reserved for role eng
 * cpus{revocable}:8           revocable (offered only to frameworks that opt in)
 * ```
 *
 * @since 0.1.0
 */
import { Result } from "effect"
import { InvalidResources } from "./AllocatorError.js"
import * as Role from "./Role.js"

/**
 * An inclusive range of integers (`[31000, 32000]` is 1,001 ports).
 *
 * @since 0.1.0
 * @category models
 */
export type Range = readonly [begin: number, end: number]

/**
 * The amount of one resource: a scalar (fixed point, three decimals like Mesos), ranges, or a set of names.
 *
 * @since 0.1.0
 * @category models
 */
export type Value =
  | { readonly _tag: "Scalar"; readonly value: number }
  | { readonly _tag: "Ranges"; readonly ranges: ReadonlyArray<Range> }
  | { readonly _tag: "Set"; readonly items: ReadonlyArray<string> }

/**
 * Who a reserved resource belongs to. Static reservations come with the agent's declared resources and can
 * only change with the agent; dynamic ones are made and released with `reserve`/`unreserve`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Reservation {
  readonly role: string
  readonly type: "static" | "dynamic"
}

/**
 * One resource: a name, an amount, its reservation (`undefined` when unreserved) and whether it is revocable.
 *
 * @since 0.1.0
 * @category models
 */
export interface Resource {
  readonly name: string
  readonly value: Value
  readonly reservation: Reservation | undefined
  readonly revocable: boolean
}

/**
 * The JSON form of one resource (Mesos' `Resource` message, trimmed): what `toJSON` writes and `fromJson`
 * reads (`fromJson` also accepts `{ "cpus": 4, "ports": [[31000, 32000]] }`).
 *
 * @since 0.1.0
 * @category models
 */
export interface ResourceJson {
  readonly name: string
  readonly type: "SCALAR" | "RANGES" | "SET"
  readonly scalar?: { readonly value: number }
  readonly ranges?: { readonly range: ReadonlyArray<{ readonly begin: number; readonly end: number }> }
  readonly set?: { readonly item: ReadonlyArray<string> }
  readonly reservation?: Reservation
  readonly revocable?: boolean
}

const namePattern = /^[A-Za-z0-9_.\-/]+$/

/** Scalars are fixed point with three decimals, so sums and differences are exact and deterministic. */
const fixed = (x: number): number => Math.round(x * 1000) / 1000

const keyOf = (r: Resource): string =>
  r.reservation === undefined
    ? r.revocable
      ? `${r.name}\u0001*\u0001r`
      : `${r.name}\u0001*`
    : `${r.name}\u0001${r.reservation.role}\u0001${r.reservation.type === "static" ? "s" : "d"}${r.revocable ? "\u0001r" : ""}`

/** A copy of `r` with another value (one object shape for every resource keeps property access fast). */
const withValue = (r: Resource, value: Value): Resource => ({
  name: r.name,
  value,
  reservation: r.reservation,
  revocable: r.revocable
})

const isEmptyValue = (v: Value): boolean =>
  v._tag === "Scalar" ? v.value <= 0 : v._tag === "Ranges" ? v.ranges.length === 0 : v.items.length === 0

const normalizeRanges = (ranges: ReadonlyArray<Range>): ReadonlyArray<Range> => {
  if (ranges.length <= 1) return ranges
  const sorted = [...ranges].sort((a, b) => a[0] - b[0])
  const out: Array<Range> = []
  let [lo, hi] = sorted[0]!
  for (let i = 1; i < sorted.length; i++) {
    const [b, e] = sorted[i]!
    if (b <= hi + 1) hi = Math.max(hi, e)
    else {
      out.push([lo, hi])
      lo = b
      hi = e
    }
  }
  out.push([lo, hi])
  return out
}

const subtractRanges = (a: ReadonlyArray<Range>, b: ReadonlyArray<Range>): ReadonlyArray<Range> => {
  const out: Array<Range> = []
  let j = 0
  for (const [begin, end] of a) {
    let lo = begin
    while (j < b.length && b[j]![1] < lo) j++
    let k = j
    while (lo <= end && k < b.length && b[k]![0] <= end) {
      const [bb, be] = b[k]!
      if (bb > lo) out.push([lo, bb - 1])
      lo = Math.max(lo, be + 1)
      k++
    }
    if (lo <= end) out.push([lo, end])
  }
  return out
}

const containsRanges = (a: ReadonlyArray<Range>, b: ReadonlyArray<Range>): boolean => {
  let i = 0
  for (const [begin, end] of b) {
    while (i < a.length && a[i]![1] < begin) i++
    const r = a[i]
    if (r === undefined || r[0] > begin || r[1] < end) return false
  }
  return true
}

const mergeSets = (a: ReadonlyArray<string>, b: ReadonlyArray<string>): ReadonlyArray<string> =>
  [...new Set([...a, ...b])].sort()

const combine = (a: Value, b: Value, sign: 1 | -1): Value => {
  if (a._tag === "Scalar" && b._tag === "Scalar") return { _tag: "Scalar", value: fixed(a.value + sign * b.value) }
  if (a._tag === "Ranges" && b._tag === "Ranges")
    return {
      _tag: "Ranges",
      ranges: sign === 1 ? normalizeRanges([...a.ranges, ...b.ranges]) : subtractRanges(a.ranges, b.ranges)
    }
  if (a._tag === "Set" && b._tag === "Set") {
    if (sign === 1) return { _tag: "Set", items: mergeSets(a.items, b.items) }
    const drop = new Set(b.items)
    return { _tag: "Set", items: a.items.filter((x) => !drop.has(x)) }
  }
  // Type clashes are rejected when values are built, so they cannot meet here; keep `a` unchanged.
  return a
}

const containsValue = (a: Value, b: Value): boolean => {
  if (a._tag === "Scalar" && b._tag === "Scalar") return a.value >= b.value
  if (a._tag === "Ranges" && b._tag === "Ranges") return containsRanges(a.ranges, b.ranges)
  if (a._tag === "Set" && b._tag === "Set") {
    const have = new Set(a.items)
    return b.items.every((x) => have.has(x))
  }
  return false
}

const valueText = (v: Value): string =>
  v._tag === "Scalar"
    ? String(v.value)
    : v._tag === "Ranges"
      ? `[${v.ranges.map(([b, e]) => `${b}-${e}`).join(",")}]`
      : `{${v.items.join(",")}}`

/**
 * The keys of a merge result after adding `key` at index `at`: `undefined` while they are `own`'s so far (the
 * usual case, so no array is built), else the array being built.
 */
const nextKeys = (
  keys: Array<string> | undefined,
  own: ReadonlyArray<string>,
  at: number,
  key: string
): Array<string> | undefined => {
  if (keys !== undefined) {
    keys.push(key)
    return keys
  }
  if (own[at] === key) return undefined
  const out = own.slice(0, at)
  out.push(key)
  return out
}

/**
 * An immutable bag of resources. Build one with {@link parse}, {@link fromJson}, {@link scalars} or
 * {@link make}; combine with `add`, `subtract` and `contains`.
 *
 * **Gotchas**: `subtract` saturates (it never goes below zero); check `contains` first when taking more than
 * is there must be an error. Resources with different reservations or revocability are different
 * resources: `cpus(eng):1` is not contained in `cpus:4`.
 *
 * @since 0.1.0
 * @category models
 */
export class Resources {
  /** The canonical entries: one per name, reservation and revocability, sorted, none empty. */
  readonly entries: ReadonlyArray<Resource>
  private readonly keys: ReadonlyArray<string>

  private constructor(entries: ReadonlyArray<Resource>, keys: ReadonlyArray<string>) {
    this.entries = entries
    this.keys = keys
  }

  /** @internal Builds from entries that are already valid; merges duplicates and drops empties. */
  static unsafeFrom(resources: Iterable<Resource>): Resources {
    const byKey = new Map<string, Resource>()
    for (const r of resources) {
      const key = keyOf(r)
      const prev = byKey.get(key)
      const value: Value =
        r.value._tag === "Ranges"
          ? { _tag: "Ranges", ranges: normalizeRanges(r.value.ranges) }
          : r.value._tag === "Set"
            ? { _tag: "Set", items: mergeSets(r.value.items, []) }
            : { _tag: "Scalar", value: fixed(r.value.value) }
      byKey.set(key, withValue(r, prev === undefined ? value : combine(prev.value, value, 1)))
    }
    const keys = [...byKey.keys()].filter((k) => !isEmptyValue(byKey.get(k)!.value)).sort()
    return new Resources(
      keys.map((k) => byKey.get(k)!),
      keys
    )
  }

  /** No resources. */
  static readonly empty: Resources = new Resources([], [])

  /** Whether there is nothing in it. */
  isEmpty(): boolean {
    return this.entries.length === 0
  }

  /** The sum of both. */
  add(that: Resources): Resources {
    if (that.entries.length === 0) return this
    if (this.entries.length === 0) return that
    return this.merge(that, 1)
  }

  /** What is left after taking `that` away; amounts that would go below zero become zero (and vanish). */
  subtract(that: Resources): Resources {
    if (that.entries.length === 0 || this.entries.length === 0) return this
    return this.merge(that, -1)
  }

  private merge(that: Resources, sign: 1 | -1): Resources {
    const entries: Array<Resource> = []
    // the result's keys are usually this bag's own: share that array instead of building another one
    let keys: Array<string> | undefined
    const own = this.keys
    const a = this.entries
    const b = that.entries
    let i = 0
    let j = 0
    while (i < a.length || j < b.length) {
      const ka = own[i]
      const kb = that.keys[j]
      if (kb === undefined || (ka !== undefined && ka < kb)) {
        entries.push(a[i]!)
        keys = nextKeys(keys, own, entries.length - 1, ka!)
        i++
      } else if (ka === undefined || kb < ka) {
        if (sign === 1) {
          entries.push(b[j]!)
          keys = nextKeys(keys, own, entries.length - 1, kb)
        }
        j++
      } else {
        const value = combine(a[i]!.value, b[j]!.value, sign)
        if (!isEmptyValue(value)) {
          entries.push(withValue(a[i]!, value))
          keys = nextKeys(keys, own, entries.length - 1, ka)
        }
        i++
        j++
      }
    }
    return new Resources(entries, keys ?? (entries.length === own.length ? own : own.slice(0, entries.length)))
  }

  /** Whether every resource of `that` is here in at least that amount (same reservation and revocability). */
  contains(that: Resources): boolean {
    const a = this.entries
    let i = 0
    for (let j = 0; j < that.entries.length; j++) {
      const kb = that.keys[j]!
      while (i < a.length && this.keys[i]! < kb) i++
      if (i === a.length || this.keys[i] !== kb || !containsValue(a[i]!.value, that.entries[j]!.value)) return false
    }
    return true
  }

  /** Whether both hold exactly the same resources. */
  equals(that: Resources): boolean {
    return this === that || (this.entries.length === that.entries.length && this.contains(that) && that.contains(this))
  }

  /** The total amount of scalar `name` over every reservation and revocability (0 when absent). */
  scalar(name: string): number {
    let sum = 0
    for (const r of this.entries) if (r.name === name && r.value._tag === "Scalar") sum += r.value.value
    return fixed(sum)
  }

  /** Scalar totals by name, ignoring reservations and revocability (`{ cpus: 4, mem: 1024 }`). */
  quantities(): Readonly<Record<string, number>> {
    const out: Record<string, number> = {}
    for (const r of this.entries) if (r.value._tag === "Scalar") out[r.name] = fixed((out[r.name] ?? 0) + r.value.value)
    return out
  }

  /** The resources that pass `predicate`. */
  filter(predicate: (resource: Resource) => boolean): Resources {
    const entries: Array<Resource> = []
    const keys: Array<string> = []
    for (let i = 0; i < this.entries.length; i++) {
      if (predicate(this.entries[i]!)) {
        entries.push(this.entries[i]!)
        keys.push(this.keys[i]!)
      }
    }
    return entries.length === this.entries.length ? this : new Resources(entries, keys)
  }

  /** The unreserved resources. */
  unreserved(): Resources {
    return this.filter((r) => r.reservation === undefined)
  }

  /** The resources reserved for `role` exactly, or for any role when `role` is omitted. */
  reserved(role?: string): Resources {
    return this.filter((r) => r.reservation !== undefined && (role === undefined || r.reservation.role === role))
  }

  /** The revocable resources. */
  revocable(): Resources {
    return this.filter((r) => r.revocable)
  }

  /** The resources that are not revocable. */
  nonRevocable(): Resources {
    return this.filter((r) => !r.revocable)
  }

  /** The same amounts, reserved for `role` (`*` makes them unreserved). */
  reserveFor(role: string, type: Reservation["type"] = "dynamic"): Resources {
    return Resources.unsafeFrom(
      this.entries.map((r) => ({ ...r, reservation: role === Role.any ? undefined : { role, type } }))
    )
  }

  /** The same amounts, unreserved. */
  toUnreserved(): Resources {
    return Resources.unsafeFrom(this.entries.map((r) => ({ ...r, reservation: undefined })))
  }

  /** The same amounts, marked revocable. */
  toRevocable(): Resources {
    return Resources.unsafeFrom(this.entries.map((r) => ({ ...r, revocable: true })))
  }

  /** The text form (`cpus(eng){dynamic}:2;mem:1024;ports:[31000-32000]`), readable by {@link parse}. */
  toString(): string {
    return this.entries
      .map((r) => {
        const role = r.reservation === undefined ? "" : `(${r.reservation.role})`
        const flags = [...(r.reservation?.type === "dynamic" ? ["dynamic"] : []), ...(r.revocable ? ["revocable"] : [])]
        return `${r.name}${role}${flags.length === 0 ? "" : `{${flags.join(",")}}`}:${valueText(r.value)}`
      })
      .join(";")
  }

  /** The JSON form (Mesos' `Resource` messages), readable by {@link fromJson}. */
  toJSON(): ReadonlyArray<ResourceJson> {
    return this.entries.map((r) => {
      const base = {
        name: r.name,
        ...(r.reservation === undefined ? {} : { reservation: r.reservation }),
        ...(r.revocable ? { revocable: true } : {})
      }
      const v = r.value
      return v._tag === "Scalar"
        ? { ...base, type: "SCALAR", scalar: { value: v.value } }
        : v._tag === "Ranges"
          ? { ...base, type: "RANGES", ranges: { range: v.ranges.map(([begin, end]) => ({ begin, end })) } }
          : { ...base, type: "SET", set: { item: v.items } }
    })
  }
}

const invalid = (input: string, reason: string) => Result.fail(new InvalidResources({ input, reason }))

const checkValue = (input: string, value: Value): Result.Result<Value, InvalidResources> => {
  if (value._tag === "Scalar") {
    if (!Number.isFinite(value.value)) return invalid(input, "a scalar must be a finite number")
    if (value.value < 0) return invalid(input, `a scalar cannot be negative (${value.value})`)
    return Result.succeed(value)
  }
  if (value._tag === "Ranges") {
    for (const [b, e] of value.ranges) {
      if (!Number.isSafeInteger(b) || !Number.isSafeInteger(e)) return invalid(input, "range bounds must be integers")
      if (b < 0) return invalid(input, `a range cannot start below zero (${b})`)
      if (b > e) return invalid(input, `a range cannot end before it begins (${b}-${e})`)
    }
    return Result.succeed(value)
  }
  for (const item of value.items)
    if (item === "" || /[\s,{}]/.test(item)) return invalid(input, `invalid set item ${JSON.stringify(item)}`)
  return Result.succeed(value)
}

const checkResource = (input: string, r: Resource): Result.Result<Resource, InvalidResources> => {
  if (!namePattern.test(r.name))
    return invalid(input, `invalid resource name ${JSON.stringify(r.name)} (letters, digits, '_', '.', '-', '/')`)
  if (r.reservation !== undefined) {
    const role = Role.validate(r.reservation.role)
    if (Result.isFailure(role)) return invalid(input, role.failure.message)
    if (r.reservation.role === Role.any) return invalid(input, "'*' is not a reservation role")
  }
  return Result.map(checkValue(input, r.value), (value) => ({ ...r, value }))
}

/**
 * Builds resources from entries, validating each (names, roles, non-negative finite scalars, integer ranges)
 * and merging equal ones.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (resources: Iterable<Resource>): Result.Result<Resources, InvalidResources> => {
  const out: Array<Resource> = []
  for (const r of resources) {
    const checked = checkResource(`${r.name}`, r)
    if (Result.isFailure(checked)) return Result.fail(checked.failure)
    out.push(checked.success)
  }
  return Result.succeed(Resources.unsafeFrom(out))
}

/**
 * Unreserved scalars from a record: `scalars({ cpus: 4, mem: 1024 })`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const scalars = (amounts: Readonly<Record<string, number>>): Result.Result<Resources, InvalidResources> =>
  make(
    Object.entries(amounts).map(([name, value]) => ({
      name,
      value: { _tag: "Scalar", value },
      reservation: undefined,
      revocable: false
    }))
  )

const parseValue = (input: string, text: string): Result.Result<Value, InvalidResources> => {
  if (text.startsWith("[")) {
    if (!text.endsWith("]")) return invalid(input, "a range list must end with ']'")
    const body = text.slice(1, -1).trim()
    const ranges: Array<Range> = []
    for (const part of body === "" ? [] : body.split(",")) {
      const m = /^\s*(-?\d+)\s*-\s*(-?\d+)\s*$/.exec(part)
      if (m === null) return invalid(input, `a range must read 'begin-end', got ${JSON.stringify(part.trim())}`)
      ranges.push([Number(m[1]), Number(m[2])])
    }
    return checkValue(input, { _tag: "Ranges", ranges })
  }
  if (text.startsWith("{")) {
    if (!text.endsWith("}")) return invalid(input, "a set must end with '}'")
    const body = text.slice(1, -1).trim()
    return checkValue(input, { _tag: "Set", items: body === "" ? [] : body.split(",").map((s) => s.trim()) })
  }
  if (!/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return invalid(input, `not a number: ${JSON.stringify(text)}`)
  return checkValue(input, { _tag: "Scalar", value: Number(text) })
}

const resourcePattern = /^([^(){}:]+?)\s*(?:\(\s*([^()]*?)\s*\))?\s*(?:\{\s*([^{}]*?)\s*\})?\s*:\s*(.+)$/

/**
 * Reads the text form: `;`-separated `name[(role)][{flags}]:value` where value is a number, `[b-e,...]` or
 * `{a,b}`; flags are `dynamic` (a dynamic reservation) and `revocable`. Repeated names add up.
 *
 * @example
 * ```ts
 * import { Resources } from "@orchestrator/scheduler/allocator"
 *
 * const agent = Resources.parse("cpus:24;mem:4096;disk:4096;ports:[31000-32000]")
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const parse = (text: string): Result.Result<Resources, InvalidResources> => {
  const out: Array<Resource> = []
  for (const raw of text.split(";")) {
    const part = raw.trim()
    if (part === "") continue
    const m = resourcePattern.exec(part)
    if (m === null) return invalid(part, "expected 'name:value', 'name(role):value' or 'name{flags}:value'")
    const [, name, role, flagText, valueText] = m
    const flags = flagText === undefined || flagText === "" ? [] : flagText.split(",").map((f) => f.trim())
    const unknown = flags.find((f) => f !== "dynamic" && f !== "revocable")
    if (unknown !== undefined) return invalid(part, `unknown flag ${JSON.stringify(unknown)} (dynamic, revocable)`)
    const reservedRole = role === undefined || role === "" || role === Role.any ? undefined : role
    if (flags.includes("dynamic") && reservedRole === undefined)
      return invalid(part, "a dynamic reservation needs a role: name(role){dynamic}:value")
    const value = parseValue(part, valueText!.trim())
    if (Result.isFailure(value)) return Result.fail(value.failure)
    const checked = checkResource(part, {
      name: name!.trim(),
      value: value.success,
      reservation:
        reservedRole === undefined
          ? undefined
          : { role: reservedRole, type: flags.includes("dynamic") ? "dynamic" : "static" },
      revocable: flags.includes("revocable")
    })
    if (Result.isFailure(checked)) return Result.fail(checked.failure)
    out.push(checked.success)
  }
  return Result.succeed(Resources.unsafeFrom(out))
}

const isRecord = (u: unknown): u is Readonly<Record<string, unknown>> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

const jsonRanges = (path: string, u: unknown): Result.Result<Value, InvalidResources> => {
  const list = isRecord(u) ? u.range : u
  if (!Array.isArray(list)) return invalid(path, "ranges must be [[begin, end], ...] or { range: [{ begin, end }] }")
  const ranges: Array<Range> = []
  for (const [i, r] of list.entries()) {
    const pair = Array.isArray(r) ? r : isRecord(r) ? [r.begin, r.end] : []
    if (pair.length !== 2 || typeof pair[0] !== "number" || typeof pair[1] !== "number")
      return invalid(`${path}[${i}]`, "a range must be [begin, end] or { begin, end } with numbers")
    ranges.push([pair[0], pair[1]])
  }
  return checkValue(path, { _tag: "Ranges", ranges })
}

const jsonSet = (path: string, u: unknown): Result.Result<Value, InvalidResources> => {
  const list = isRecord(u) ? u.item : u
  if (!Array.isArray(list) || !list.every((x) => typeof x === "string"))
    return invalid(path, "a set must be an array of strings or { item: [...] }")
  return checkValue(path, { _tag: "Set", items: list })
}

const jsonResource = (path: string, u: unknown): Result.Result<Resource, InvalidResources> => {
  if (!isRecord(u)) return invalid(path, "a resource must be an object with name and scalar, ranges or set")
  if (typeof u.name !== "string") return invalid(`${path}.name`, "name must be a string")
  let value: Result.Result<Value, InvalidResources>
  if (u.scalar !== undefined) {
    const v = isRecord(u.scalar) ? u.scalar.value : u.scalar
    value =
      typeof v === "number"
        ? checkValue(`${path}.scalar`, { _tag: "Scalar", value: v })
        : invalid(`${path}.scalar`, "scalar must be a number or { value: number }")
  } else if (u.ranges !== undefined) value = jsonRanges(`${path}.ranges`, u.ranges)
  else if (u.set !== undefined) value = jsonSet(`${path}.set`, u.set)
  else return invalid(path, "a resource needs one of scalar, ranges or set")
  if (Result.isFailure(value)) return Result.fail(value.failure)
  let reservation: Reservation | undefined
  const rawRole = isRecord(u.reservation) ? u.reservation.role : u.role
  if (rawRole !== undefined && rawRole !== Role.any) {
    if (typeof rawRole !== "string") return invalid(`${path}.reservation.role`, "role must be a string")
    const type = isRecord(u.reservation) ? (u.reservation.type ?? "static") : "static"
    if (type !== "static" && type !== "dynamic")
      return invalid(`${path}.reservation.type`, "reservation type must be 'static' or 'dynamic'")
    reservation = { role: rawRole, type }
  }
  if (u.revocable !== undefined && typeof u.revocable !== "boolean" && !isRecord(u.revocable))
    return invalid(`${path}.revocable`, "revocable must be a boolean")
  return checkResource(path, {
    name: u.name,
    value: value.success,
    reservation,
    revocable: u.revocable === true || isRecord(u.revocable)
  })
}

/**
 * Reads JSON: an array of Mesos-style resources (`[{ "name": "cpus", "type": "SCALAR", "scalar": { "value": 4 } }]`,
 * as `toJSON` writes) or a record of unreserved amounts (`{ "cpus": 4, "ports": [[31000, 32000]], "zones": ["a"] }`,
 * a string value is read as the text form of that one value, e.g. `"[31000-32000]"`). Errors name the JSON path.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromJson = (json: unknown): Result.Result<Resources, InvalidResources> => {
  const out: Array<Resource> = []
  if (Array.isArray(json)) {
    for (const [i, item] of json.entries()) {
      const r = jsonResource(`$[${i}]`, item)
      if (Result.isFailure(r)) return Result.fail(r.failure)
      out.push(r.success)
    }
    return Result.succeed(Resources.unsafeFrom(out))
  }
  if (!isRecord(json)) return invalid("$", "expected an array of resources or a record of amounts")
  for (const [name, raw] of Object.entries(json)) {
    const path = `$.${name}`
    const value =
      typeof raw === "number"
        ? checkValue(path, { _tag: "Scalar", value: raw })
        : typeof raw === "string"
          ? parseValue(path, raw.trim())
          : Array.isArray(raw) && raw.every((x) => typeof x === "string")
            ? jsonSet(path, raw)
            : jsonRanges(path, raw)
    if (Result.isFailure(value)) return Result.fail(value.failure)
    const r = checkResource(path, { name, value: value.success, reservation: undefined, revocable: false })
    if (Result.isFailure(r)) return Result.fail(r.failure)
    out.push(r.success)
  }
  return Result.succeed(Resources.unsafeFrom(out))
}
