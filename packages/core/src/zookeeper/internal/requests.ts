/**
 * Conversions between this package's ACL and transaction models and the driver's, and a transaction commit
 * that fills the driver's op list directly (its builder turns a `version` of `0` into `-1`).
 *
 * @internal
 */
import type { Acl } from "../Acl.js"
import type { Op, OpResult } from "../Op.js"
import type { Stat } from "../Stat.js"
import {
  CreateModes,
  type Driver,
  type DriverAcl,
  type DriverClient,
  type DriverOp,
  type DriverOpResult,
  type DriverStat
} from "./driver.js"

export type { DriverAcl }

/** ZooKeeper's op codes for the operations a transaction may hold. */
const OpCodes = { create: 1, remove: 2, setData: 5, check: 13, error: -1 } as const

/** Our ACL as driver ACL objects (`world:anyone` with all permissions when absent or empty). */
export const toDriverAcl = (driver: Driver, acl: Acl | undefined): ReadonlyArray<DriverAcl> =>
  (acl === undefined || acl.length === 0 ? [{ perms: 31, scheme: "world", id: "anyone" }] : acl).map(
    (entry) => new driver.ACL(entry.perms, new driver.Id(entry.scheme, entry.id))
  )

/** The driver's ACL objects as our model. */
export const fromDriverAcl = (acl: ReadonlyArray<DriverAcl> | undefined): Acl =>
  (acl ?? []).map((entry) => ({ perms: entry.permission, scheme: entry.id.scheme, id: entry.id.id }))

const toDriverOp = (driver: Driver, op: Op, toBuffer: (data: Uint8Array | string) => Buffer): DriverOp => {
  switch (op._tag) {
    case "create":
      return {
        type: OpCodes.create,
        path: op.path,
        data: op.data === undefined ? undefined : toBuffer(op.data),
        acls: toDriverAcl(driver, op.acl),
        mode: CreateModes[op.mode ?? "persistent"]
      }
    case "remove":
      return { type: OpCodes.remove, path: op.path, version: op.version ?? -1 }
    case "setData":
      return { type: OpCodes.setData, path: op.path, data: toBuffer(op.data), version: op.version ?? -1 }
    case "check":
      return { type: OpCodes.check, path: op.path, version: op.version }
  }
}

/**
 * Commits `ops` as one transaction. `callback` gets the driver's error (with the ZooKeeper code of the
 * first failing operation) and that operation's index, or the results.
 */
export const multiRequest = (
  driver: Driver,
  client: DriverClient,
  ops: ReadonlyArray<Op>,
  toBuffer: (data: Uint8Array | string) => Buffer,
  callback: (error: unknown, results: ReadonlyArray<DriverOpResult>, failedIndex: number) => void
): void => {
  const transaction = client.transaction()
  for (const op of ops) transaction.ops.push(toDriverOp(driver, op, toBuffer))
  transaction.commit((error, results) => {
    if (error === null || error === undefined) {
      callback(null, results, -1)
      return
    }
    // the first error that is not "rolled back because another op failed" (RUNTIME_INCONSISTENCY, -2)
    const list = results ?? []
    let index = list.findIndex((result) => result.type === OpCodes.error && result.err !== 0 && result.err !== -2)
    if (index < 0) index = list.findIndex((result) => result.type === OpCodes.error && result.err !== 0)
    const code = index >= 0 ? list[index]?.err : undefined
    callback(code === undefined ? error : driver.Exception.create(code), [], index)
  })
}

/** The driver's results as our model. */
export const opResults = (
  ops: ReadonlyArray<Op>,
  results: ReadonlyArray<DriverOpResult>,
  toStat: (raw: DriverStat) => Stat
): ReadonlyArray<OpResult> =>
  ops.map((op, i): OpResult => {
    const result = results[i]
    if (op._tag === "create") return { _tag: "create", path: result?.path ?? op.path }
    if (op._tag === "setData" && result?.stat !== undefined) return { _tag: "setData", stat: toStat(result.stat) }
    return { _tag: op._tag === "check" ? "check" : "remove" }
  })
