/**
 * The service-port table as a pure value: port -> owner over a range. Free ports are assigned lowest first,
 * explicit ones reserved; a port held by another owner or an exhausted range is a typed error.
 *
 * @since 0.1.0
 */
import { Result } from "effect"
import { InvalidLbInput, PortConflict, PortsExhausted } from "./LbError.js"

/**
 * The range ports are assigned from (inclusive).
 *
 * @since 0.1.0
 * @category models
 */
export interface PortRange {
  readonly from: number
  readonly to: number
}

/**
 * The default range, as marathon-lb.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultRange: PortRange = { from: 10_000, to: 10_100 }

/**
 * The table: port -> owner.
 *
 * @since 0.1.0
 * @category models
 */
export interface PortTable {
  readonly range: PortRange
  readonly owners: ReadonlyMap<number, string>
}

const isPort = (n: number): boolean => Number.isInteger(n) && n >= 1 && n <= 65_535

/**
 * An empty table over `range`; fails when the range is not a valid port range.
 *
 * @since 0.1.0
 * @category constructors
 */
export const empty = (range: PortRange = defaultRange): Result.Result<PortTable, InvalidLbInput> =>
  isPort(range.from) && isPort(range.to) && range.from <= range.to
    ? Result.succeed({ range, owners: new Map() })
    : Result.fail(
        new InvalidLbInput({
          field: "range",
          reason: `must be ports 1-65535 with from <= to, got ${range.from}-${range.to}`
        })
      )

const portsOf = (table: PortTable, owner: string): Array<number> =>
  [...table.owners].filter(([, o]) => o === owner).map(([p]) => p)

const withPort = (table: PortTable, port: number, owner: string): PortTable => ({
  range: table.range,
  owners: new Map(table.owners).set(port, owner)
})

/**
 * Gives `owner` a port: the one it already holds in the range, else the lowest free one.
 *
 * @since 0.1.0
 * @category operations
 */
export const assign = (table: PortTable, owner: string): Result.Result<[number, PortTable], PortsExhausted> => {
  const held = portsOf(table, owner).find((p) => p >= table.range.from && p <= table.range.to)
  if (held !== undefined) return Result.succeed([held, table])
  for (let port = table.range.from; port <= table.range.to; port++) {
    if (!table.owners.has(port)) return Result.succeed([port, withPort(table, port, owner)])
  }
  return Result.fail(new PortsExhausted({ from: table.range.from, to: table.range.to, requestedBy: owner }))
}

/**
 * Reserves an explicit port for `owner` (inside or outside the range); a no-op when it already holds it.
 *
 * @since 0.1.0
 * @category operations
 */
export const reserve = (
  table: PortTable,
  port: number,
  owner: string
): Result.Result<PortTable, PortConflict | InvalidLbInput> => {
  if (!isPort(port))
    return Result.fail(
      new InvalidLbInput({ field: "servicePort", reason: `must be an integer in 1-65535, got ${port}` })
    )
  const holder = table.owners.get(port)
  if (holder === owner) return Result.succeed(table)
  if (holder !== undefined) return Result.fail(new PortConflict({ port, heldBy: holder, requestedBy: owner }))
  return Result.succeed(withPort(table, port, owner))
}

/**
 * Frees every port `owner` holds.
 *
 * @since 0.1.0
 * @category operations
 */
export const releaseOwner = (table: PortTable, owner: string): PortTable => ({
  range: table.range,
  owners: new Map([...table.owners].filter(([, o]) => o !== owner))
})

/**
 * Frees one port.
 *
 * @since 0.1.0
 * @category operations
 */
export const release = (table: PortTable, port: number): PortTable => ({
  range: table.range,
  owners: new Map([...table.owners].filter(([p]) => p !== port))
})
