/**
 * Resources on the wire between frameworks, the master and agents: scalars (`cpus`, `mem` and `disk` in MB,
 * `gpus`) and port ranges, with the Mesos text form agents are configured with
 * (`cpus:4;mem:4096;disk:10000;ports:[31000-32000]`).
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { InvalidRequest } from "./ClusterError.js"

const NonNegative = Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))
const Port = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1), Schema.isLessThanOrEqualTo(65_535))

/**
 * An inclusive range of ports, `begin <= end`.
 *
 * @since 0.1.0
 * @category models
 */
export const PortRange = Schema.Struct({ begin: Port, end: Port }).check(
  Schema.makeFilter((range) => range.begin <= range.end || `begin ${range.begin} is above end ${range.end}`)
)

/**
 * @since 0.1.0
 * @category models
 */
export type PortRange = typeof PortRange.Type

/**
 * A bundle of resources. Missing scalars are 0; `ports` lists disjoint ranges.
 *
 * @since 0.1.0
 * @category models
 */
export const Resources = Schema.Struct({
  cpus: Schema.optionalKey(NonNegative),
  mem: Schema.optionalKey(NonNegative),
  disk: Schema.optionalKey(NonNegative),
  gpus: Schema.optionalKey(NonNegative),
  ports: Schema.optionalKey(Schema.Array(PortRange))
})

/**
 * @since 0.1.0
 * @category models
 */
export type Resources = typeof Resources.Type

/**
 * The scalar resource names.
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

const round = (n: number): number => Math.round(n * 1e6) / 1e6

const normalizeRanges = (ranges: ReadonlyArray<PortRange>): ReadonlyArray<PortRange> => {
  const sorted = [...ranges].sort((a, b) => a.begin - b.begin)
  const out: Array<{ begin: number; end: number }> = []
  for (const range of sorted) {
    const last = out[out.length - 1]
    if (last !== undefined && range.begin <= last.end + 1) last.end = Math.max(last.end, range.end)
    else out.push({ begin: range.begin, end: range.end })
  }
  return out
}

const subtractRanges = (from: ReadonlyArray<PortRange>, take: ReadonlyArray<PortRange>): ReadonlyArray<PortRange> => {
  let rest = normalizeRanges(from)
  for (const cut of take) {
    rest = rest.flatMap((range) => {
      if (cut.end < range.begin || cut.begin > range.end) return [range]
      const parts: Array<PortRange> = []
      if (cut.begin > range.begin) parts.push({ begin: range.begin, end: cut.begin - 1 })
      if (cut.end < range.end) parts.push({ begin: cut.end + 1, end: range.end })
      return parts
    })
  }
  return rest
}

const rangesContain = (outer: ReadonlyArray<PortRange>, inner: ReadonlyArray<PortRange>): boolean =>
  inner.every((range) => outer.some((o) => o.begin <= range.begin && range.end <= o.end))

const build = (scalars: Partial<Record<ScalarName, number>>, ports: ReadonlyArray<PortRange>): Resources => {
  const out: { -readonly [K in keyof Resources]: Resources[K] } = {}
  for (const name of scalarNames) {
    const value = scalars[name]
    if (value !== undefined && value > 0) out[name] = round(value)
  }
  if (ports.length > 0) out.ports = normalizeRanges(ports)
  return out
}

/**
 * The sum of two bundles.
 *
 * @since 0.1.0
 * @category combinators
 */
export const add = (a: Resources, b: Resources): Resources =>
  build(Object.fromEntries(scalarNames.map((name) => [name, (a[name] ?? 0) + (b[name] ?? 0)])), [
    ...(a.ports ?? []),
    ...(b.ports ?? [])
  ])

/**
 * `a` minus `b`, floored at zero (ports: `b`'s ranges cut out of `a`'s).
 *
 * @since 0.1.0
 * @category combinators
 */
export const subtract = (a: Resources, b: Resources): Resources =>
  build(
    Object.fromEntries(scalarNames.map((name) => [name, Math.max(0, (a[name] ?? 0) - (b[name] ?? 0))])),
    subtractRanges(a.ports ?? [], b.ports ?? [])
  )

/**
 * Whether `outer` holds all of `inner` (every scalar at least as large, every port range inside).
 *
 * @since 0.1.0
 * @category predicates
 */
export const contains = (outer: Resources, inner: Resources): boolean =>
  scalarNames.every((name) => (inner[name] ?? 0) <= (outer[name] ?? 0) + 1e-9) &&
  rangesContain(normalizeRanges(outer.ports ?? []), inner.ports ?? [])

/**
 * The first scalar or port range of `inner` that `outer` lacks, as a sentence, or `undefined`.
 *
 * @since 0.1.0
 * @category predicates
 */
export const shortfall = (outer: Resources, inner: Resources): string | undefined => {
  for (const name of scalarNames) {
    const want = inner[name] ?? 0
    const have = outer[name] ?? 0
    if (want > have + 1e-9) return `${name} ${want} asked, ${have} available`
  }
  const outerPorts = normalizeRanges(outer.ports ?? [])
  for (const range of inner.ports ?? []) {
    if (!rangesContain(outerPorts, [range])) return `ports ${range.begin}-${range.end} not available`
  }
  return undefined
}

/**
 * Whether the bundle holds nothing.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isEmpty = (resources: Resources): boolean =>
  scalarNames.every((name) => (resources[name] ?? 0) === 0) && (resources.ports ?? []).length === 0

/**
 * The ports of the bundle, one by one (for assigning host ports to a task).
 *
 * @since 0.1.0
 * @category getters
 */
export const portList = (resources: Resources): ReadonlyArray<number> =>
  (resources.ports ?? []).flatMap((range) =>
    Array.from({ length: range.end - range.begin + 1 }, (_, i) => range.begin + i)
  )

/**
 * Port numbers as ranges (consecutive ports merged).
 *
 * @since 0.1.0
 * @category constructors
 */
export const portsToRanges = (ports: ReadonlyArray<number>): ReadonlyArray<PortRange> =>
  normalizeRanges(ports.map((port) => ({ begin: port, end: port })))

/**
 * Renders the Mesos text form, e.g. `cpus:4;mem:4096;ports:[31000-32000]`.
 *
 * @since 0.1.0
 * @category formatting
 */
export const format = (resources: Resources): string =>
  [
    ...scalarNames.flatMap((name) => (resources[name] === undefined ? [] : [`${name}:${resources[name]}`])),
    ...((resources.ports ?? []).length === 0
      ? []
      : [`ports:[${(resources.ports ?? []).map((r) => `${r.begin}-${r.end}`).join(",")}]`])
  ].join(";")

/**
 * Parses the Mesos text form (`cpus:4;mem:4096;disk:10000;gpus:1;ports:[31000-32000,33000-33010]`); an unknown
 * name, a negative or non-numeric value or a bad range is an {@link InvalidRequest} naming it.
 *
 * @since 0.1.0
 * @category parsers
 */
export const parse = (text: string, field = "resources"): Resources | InvalidRequest => {
  const scalars: Partial<Record<ScalarName, number>> = {}
  const ports: Array<PortRange> = []
  for (const part of text.split(";").map((s) => s.trim())) {
    if (part === "") continue
    const colon = part.indexOf(":")
    if (colon < 0) return new InvalidRequest({ field, reason: `"${part}" is not name:value` })
    const name = part.slice(0, colon).trim()
    const value = part.slice(colon + 1).trim()
    if (name === "ports") {
      const m = /^\[(.*)\]$/.exec(value)
      if (m === null)
        return new InvalidRequest({ field: `${field}.ports`, reason: `expects [begin-end,...], got "${value}"` })
      for (const item of m[1]!.split(",").map((s) => s.trim())) {
        const r = /^(\d+)-(\d+)$/.exec(item)
        const begin = Number(r?.[1])
        const end = Number(r?.[2])
        if (r === null || begin < 1 || end > 65_535 || begin > end) {
          return new InvalidRequest({ field: `${field}.ports`, reason: `bad range "${item}"` })
        }
        ports.push({ begin, end })
      }
      continue
    }
    if (!(scalarNames as ReadonlyArray<string>).includes(name)) {
      return new InvalidRequest({
        field: `${field}.${name}`,
        reason: `unknown resource (known: ${scalarNames.join(", ")}, ports)`
      })
    }
    const n = Number(value)
    if (value === "" || !Number.isFinite(n) || n < 0) {
      return new InvalidRequest({ field: `${field}.${name}`, reason: `expects a number >= 0, got "${value}"` })
    }
    scalars[name as ScalarName] = n
  }
  return build(scalars, ports)
}
