/**
 * Resources on the wire between frameworks, the master and agents: the allocator's whole resource model
 * (scalars, ranges and sets; reserved per role, statically or dynamically; revocable) as plain JSON, plus the
 * Mesos text form agents are configured with (`cpus:4;mem:4096;cpus(eng):2;licenses:3;ports:[31000-32000]`).
 *
 * ```json
 * { "cpus": 2, "mem": 1024, "ports": [{ "begin": 31000, "end": 31010 }],
 *   "scalars": { "licenses": 3 }, "ranges": { "vlans": [{ "begin": 1, "end": 9 }] }, "sets": { "zones": ["a"] },
 *   "reserved": [{ "role": "eng", "type": "static", "resources": { "cpus": 2, "mem": 1024 } }],
 *   "revocable": { "cpus": 4 } }
 * ```
 *
 * The top level holds unreserved, non-revocable amounts; `reserved` the parts reserved for roles; `revocable`
 * the unreserved revocable part. Arithmetic goes through the allocator's model, so reserved `cpus(eng)` and
 * unreserved `cpus` are different resources (use {@link quantities} for totals by name).
 *
 * @since 0.1.0
 */
import { Result, Schema } from "effect"
import { Resources as Model } from "../allocator/index.js"
import { InvalidRequest } from "./ClusterError.js"

const NonNegative = Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))
const Port = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1), Schema.isLessThanOrEqualTo(65_535))
const Bound = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
const ordered = Schema.makeFilter(
  (range: { readonly begin: number; readonly end: number }) =>
    range.begin <= range.end || `begin ${range.begin} is above end ${range.end}`
)

/**
 * An inclusive range of ports, `begin <= end`.
 *
 * @since 0.1.0
 * @category models
 */
export const PortRange = Schema.Struct({ begin: Port, end: Port }).check(ordered)

/**
 * @since 0.1.0
 * @category models
 */
export type PortRange = typeof PortRange.Type

/**
 * An inclusive range of integers `>= 0` of a custom range resource.
 *
 * @since 0.1.0
 * @category models
 */
export const Range = Schema.Struct({ begin: Bound, end: Bound }).check(ordered)

const amountFields = {
  cpus: Schema.optionalKey(NonNegative),
  mem: Schema.optionalKey(NonNegative),
  disk: Schema.optionalKey(NonNegative),
  gpus: Schema.optionalKey(NonNegative),
  ports: Schema.optionalKey(Schema.Array(PortRange)),
  /** Custom scalars by name (`{ "licenses": 3 }`). */
  scalars: Schema.optionalKey(Schema.Record(Schema.String, NonNegative)),
  /** Custom ranges by name. */
  ranges: Schema.optionalKey(Schema.Record(Schema.String, Schema.Array(Range))),
  /** Sets by name (`{ "zones": ["a", "b"] }`). */
  sets: Schema.optionalKey(Schema.Record(Schema.String, Schema.Array(Schema.String)))
}

/**
 * Amounts of resources of one kind of ownership (all unreserved, or all reserved for one role). Missing
 * scalars are 0.
 *
 * @since 0.1.0
 * @category models
 */
export const Amounts = Schema.Struct(amountFields)

/**
 * @since 0.1.0
 * @category models
 */
export type Amounts = typeof Amounts.Type

/**
 * Resources reserved for a role: `static` ones come with the agent's declared resources, `dynamic` ones are
 * made with `reserve` (default `static` when read).
 *
 * @since 0.1.0
 * @category models
 */
export const ReservedPart = Schema.Struct({
  role: Schema.String,
  type: Schema.optionalKey(Schema.Literals(["static", "dynamic"])),
  revocable: Schema.optionalKey(Schema.Boolean),
  resources: Amounts
})

/**
 * @since 0.1.0
 * @category models
 */
export type ReservedPart = typeof ReservedPart.Type

/**
 * A bundle of resources: unreserved amounts at the top level, `reserved` parts, `revocable` amounts.
 *
 * @since 0.1.0
 * @category models
 */
export const Resources = Schema.Struct({
  ...amountFields,
  reserved: Schema.optionalKey(Schema.Array(ReservedPart)),
  revocable: Schema.optionalKey(Amounts)
})

/**
 * @since 0.1.0
 * @category models
 */
export type Resources = typeof Resources.Type

/**
 * The scalar names with their own field (others go in `scalars`).
 *
 * @since 0.1.0
 * @category models
 */
export const scalarNames = ["cpus", "mem", "disk", "gpus"] as const

/**
 * @since 0.1.0
 * @category models
 */
export type ScalarName = (typeof scalarNames)[number]

/**
 * No resources.
 *
 * @since 0.1.0
 * @category constructors
 */
export const empty: Resources = {}

const isScalarName = (name: string): name is ScalarName => (scalarNames as ReadonlyArray<string>).includes(name)

// ---- wire -> model -------------------------------------------------------------------------------------------

const amountEntries = (
  amounts: Amounts,
  path: string,
  reservation: Model.Reservation | undefined,
  revocable: boolean
): ReadonlyArray<readonly [string, Model.Resource]> => {
  const out: Array<readonly [string, Model.Resource]> = []
  const push = (field: string, name: string, value: Model.Value) =>
    out.push([`${path}${field}`, { name, value, reservation, revocable }])
  for (const name of scalarNames) {
    const v = amounts[name]
    if (v !== undefined) push(name, name, { _tag: "Scalar", value: v })
  }
  const toRanges = (list: ReadonlyArray<{ readonly begin: number; readonly end: number }>) =>
    list.map((r) => [r.begin, r.end] as const)
  if (amounts.ports !== undefined) push("ports", "ports", { _tag: "Ranges", ranges: toRanges(amounts.ports) })
  for (const [name, v] of Object.entries(amounts.scalars ?? {}))
    push(`scalars.${name}`, name, { _tag: "Scalar", value: v })
  for (const [name, v] of Object.entries(amounts.ranges ?? {}))
    push(`ranges.${name}`, name, { _tag: "Ranges", ranges: toRanges(v) })
  for (const [name, v] of Object.entries(amounts.sets ?? {})) push(`sets.${name}`, name, { _tag: "Set", items: v })
  return out
}

/**
 * Wire resources as the allocator's model; an invalid name, role or amount is an {@link InvalidRequest}
 * naming the field (`resources.reserved[0].role`, `resources.scalars.licenses`).
 *
 * @since 0.1.0
 * @category conversions
 */
export const toModel = (resources: Resources, field = "resources"): Result.Result<Model.Resources, InvalidRequest> => {
  const entries: Array<readonly [string, Model.Resource]> = [
    ...amountEntries(resources, `${field}.`, undefined, false),
    ...amountEntries(resources.revocable ?? {}, `${field}.revocable.`, undefined, true)
  ]
  for (const [i, part] of (resources.reserved ?? []).entries()) {
    const path = `${field}.reserved[${i}]`
    if (part.role === "*" || part.role === "") {
      return Result.fail(
        new InvalidRequest({ field: `${path}.role`, reason: `"${part.role}" is not a reservation role` })
      )
    }
    const reservation: Model.Reservation = { role: part.role, type: part.type ?? "static" }
    entries.push(...amountEntries(part.resources, `${path}.resources.`, reservation, part.revocable === true))
  }
  let out = Model.Resources.empty
  for (const [path, entry] of entries) {
    const made = Model.make([entry])
    if (Result.isFailure(made)) {
      const reason = made.failure.reason
      const roleIssue = entry.reservation !== undefined && /role/i.test(reason) && !/name/.test(reason)
      return Result.fail(
        new InvalidRequest({ field: roleIssue ? path.replace(/\.resources\..*$/, ".role") : path, reason })
      )
    }
    out = out.add(made.success)
  }
  return Result.succeed(out)
}

/** The model of resources that were decoded already (invalid entries, which decoding rules out, are dropped). */
const model = (resources: Resources): Model.Resources => {
  const made = toModel(resources)
  return Result.isSuccess(made) ? made.success : Model.Resources.empty
}

// ---- model -> wire -------------------------------------------------------------------------------------------

type MutableAmounts = { -readonly [K in keyof Amounts]: Amounts[K] }

const put = (into: MutableAmounts, entry: Model.Resource): void => {
  const v = entry.value
  if (v._tag === "Scalar") {
    if (isScalarName(entry.name)) into[entry.name] = v.value
    else into.scalars = { ...into.scalars, [entry.name]: v.value }
  } else if (v._tag === "Ranges") {
    const ranges = v.ranges.map(([begin, end]) => ({ begin, end }))
    if (entry.name === "ports") into.ports = ranges
    else into.ranges = { ...into.ranges, [entry.name]: ranges }
  } else into.sets = { ...into.sets, [entry.name]: v.items }
}

/**
 * The allocator's resources as wire resources (nothing dropped: `toModel(fromModel(r))` equals `r`).
 *
 * @since 0.1.0
 * @category conversions
 */
export const fromModel = (resources: Model.Resources): Resources => {
  const top: MutableAmounts = {}
  let revocable: MutableAmounts | undefined
  const parts = new Map<
    string,
    { role: string; type: "static" | "dynamic"; revocable: boolean; amounts: MutableAmounts }
  >()
  for (const entry of resources.entries) {
    if (entry.reservation !== undefined) {
      const key = `${entry.reservation.role}\u0001${entry.reservation.type}\u0001${entry.revocable}`
      let part = parts.get(key)
      if (part === undefined) {
        part = { ...entry.reservation, revocable: entry.revocable, amounts: {} }
        parts.set(key, part)
      }
      put(part.amounts, entry)
    } else if (entry.revocable) {
      revocable ??= {}
      put(revocable, entry)
    } else put(top, entry)
  }
  return {
    ...top,
    ...(parts.size === 0
      ? {}
      : {
          reserved: [...parts.values()].map((p) => ({
            role: p.role,
            type: p.type,
            ...(p.revocable ? { revocable: true } : {}),
            resources: p.amounts
          }))
        }),
    ...(revocable === undefined ? {} : { revocable })
  }
}

// ---- arithmetic ----------------------------------------------------------------------------------------------

/**
 * The sum of two bundles.
 *
 * @since 0.1.0
 * @category combinators
 */
export const add = (a: Resources, b: Resources): Resources => fromModel(model(a).add(model(b)))

/**
 * `a` minus `b`, floored at zero (ranges: `b`'s cut out of `a`'s); reserved parts only from the same reservation.
 *
 * @since 0.1.0
 * @category combinators
 */
export const subtract = (a: Resources, b: Resources): Resources => fromModel(model(a).subtract(model(b)))

/**
 * Whether `outer` holds all of `inner` (same reservations and revocability, every amount at least as large).
 *
 * @since 0.1.0
 * @category predicates
 */
export const contains = (outer: Resources, inner: Resources): boolean => model(outer).contains(model(inner))

const label = (r: Model.Resource): string =>
  `${r.name}${r.reservation === undefined ? "" : `(${r.reservation.role})`}${r.revocable ? "{revocable}" : ""}`

/**
 * Why `pool` cannot give `wanted` (`cpus 2 asked, 0.5 available`, `ports 109-111 not available`), given
 * `have`, the entries of the pool that could serve it.
 *
 * @since 0.1.0
 * @category predicates
 */
export const describeShortfall = (wanted: Model.Resource, have: ReadonlyArray<Model.Resource>): string => {
  const v = wanted.value
  if (v._tag === "Scalar") {
    let sum = 0
    for (const h of have) if (h.value._tag === "Scalar") sum += h.value.value
    return `${label(wanted)} ${v.value} asked, ${Math.round(sum * 1000) / 1000} available`
  }
  if (v._tag === "Ranges") return `${label(wanted)} ${v.ranges.map(([b, e]) => `${b}-${e}`).join(",")} not available`
  return `${label(wanted)} {${v.items.join(",")}} not available`
}

/**
 * The first resource of `inner` that `outer` lacks, as a sentence, or `undefined`.
 *
 * @since 0.1.0
 * @category predicates
 */
export const shortfall = (outer: Resources, inner: Resources): string | undefined => {
  const have = model(outer)
  for (const entry of model(inner).entries) {
    const one = Model.Resources.unsafeFrom([entry])
    if (!have.contains(one)) {
      const same = have.entries.filter(
        (h) =>
          h.name === entry.name &&
          h.revocable === entry.revocable &&
          h.reservation?.role === entry.reservation?.role &&
          h.reservation?.type === entry.reservation?.type
      )
      return describeShortfall(entry, same)
    }
  }
  return undefined
}

/**
 * Whether the bundle holds nothing.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isEmpty = (resources: Resources): boolean => model(resources).isEmpty()

/**
 * Scalar totals by name over every reservation and revocability (`{ cpus: 4, mem: 1024, licenses: 3 }`).
 *
 * @since 0.1.0
 * @category getters
 */
export const quantities = (resources: Resources): Readonly<Record<string, number>> => model(resources).quantities()

/**
 * The ports of the bundle (reserved ones included), one by one (for assigning host ports to a task).
 *
 * @since 0.1.0
 * @category getters
 */
export const portList = (resources: Resources): ReadonlyArray<number> =>
  model(resources).entries.flatMap((entry) =>
    entry.name === "ports" && entry.value._tag === "Ranges"
      ? entry.value.ranges.flatMap(([begin, end]) => Array.from({ length: end - begin + 1 }, (_, i) => begin + i))
      : []
  )

/**
 * Port numbers as ranges (consecutive ports merged).
 *
 * @since 0.1.0
 * @category constructors
 */
export const portsToRanges = (ports: ReadonlyArray<number>): ReadonlyArray<PortRange> =>
  fromModel(model({ ports: ports.map((port) => ({ begin: port, end: port })) })).ports ?? []

/**
 * Renders the Mesos text form, e.g. `cpus:4;cpus(eng):2;licenses:3;ports:[31000-32000]`.
 *
 * @since 0.1.0
 * @category formatting
 */
export const format = (resources: Resources): string => {
  const entries = model(resources).entries
  const rank = (r: Model.Resource) => {
    const known = r.name === "ports" ? scalarNames.length : scalarNames.indexOf(r.name as ScalarName)
    return known < 0 ? scalarNames.length + 1 : known
  }
  const sorted = [...entries].sort((a, b) => rank(a) - rank(b))
  return sorted.map((r) => Model.Resources.unsafeFrom([r]).toString()).join(";")
}

/**
 * Parses the Mesos text form (`cpus:4;mem:4096;cpus(eng):2;licenses:3;zones:{a,b};ports:[31000-32000]`,
 * `{dynamic}` and `{revocable}` flags as in the allocator); a negative or non-numeric value, a bad range or
 * role is an {@link InvalidRequest} naming the resource (`resources.cpus`).
 *
 * @since 0.1.0
 * @category parsers
 */
export const parse = (text: string, field = "resources"): Resources | InvalidRequest => {
  let out = Model.Resources.empty
  for (const part of text.split(";").map((s) => s.trim())) {
    if (part === "") continue
    const colon = part.indexOf(":")
    if (colon < 0) return new InvalidRequest({ field, reason: `"${part}" is not name:value` })
    const name = /^[^:({]*/.exec(part)![0].trim()
    const value = part.slice(colon + 1).trim()
    if (name === "ports" && !value.startsWith("[")) {
      return new InvalidRequest({ field: `${field}.ports`, reason: `expects [begin-end,...], got "${value}"` })
    }
    if (/^-?[\d.]/.test(value) || value === "") {
      const n = Number(value)
      if (value === "" || !Number.isFinite(n) || n < 0)
        return new InvalidRequest({ field: `${field}.${name}`, reason: `expects a number >= 0, got "${value}"` })
    } else if (!value.startsWith("[") && !value.startsWith("{")) {
      return new InvalidRequest({
        field: `${field}.${name}`,
        reason: `expects a number, [begin-end,...] or {a,b}, got "${value}"`
      })
    }
    const parsed = Model.parse(part)
    if (Result.isFailure(parsed))
      return new InvalidRequest({ field: `${field}.${name}`, reason: parsed.failure.reason })
    if (
      name === "ports" &&
      parsed.success.entries.some(
        (e) => e.value._tag === "Ranges" && e.value.ranges.some(([b, e2]) => b < 1 || e2 > 65_535)
      )
    ) {
      return new InvalidRequest({ field: `${field}.ports`, reason: `ports must lie in 1-65535, got "${value}"` })
    }
    out = out.add(parsed.success)
  }
  return fromModel(out)
}
