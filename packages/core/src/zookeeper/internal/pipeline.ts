/**
 * Raw pipelined reads: many requests in flight on one connection, driven by the driver's callbacks with no
 * fiber per request. Reading a 100k-node tree issues 200k+ requests; a fiber and a timer per request cost
 * more than the requests themselves.
 *
 * @internal
 */
import type { Acl } from "../Acl.js"
import type { Stat } from "../Stat.js"
import { corked, type DriverAcl, type DriverClient, type DriverStat } from "./driver.js"

/** One node as `readMany` returns it. */
export interface ReadNode {
  readonly path: string
  readonly data: Uint8Array
  readonly stat: Stat
  readonly acl: Acl | undefined
  readonly children: ReadonlyArray<string> | undefined
  /**
   * With `watch: true`: register a listener called once when the node's data changes or it is deleted
   * (or the session is replaced), and one for its children.
   */
  readonly onDataChange?: (listener: () => void) => void
  readonly onChildrenChange?: (listener: () => void) => void
}

/** A one-shot watch: the watcher to hand the driver and the registration for listeners. */
export interface WatchSlot {
  readonly watcher: () => void
  readonly onChange: (listener: () => void) => void
  /** Forget the watch (the read that would have set it failed). */
  readonly cancel: () => void
}

/** What to read per node. */
export interface ReadManyOptions {
  /** Requests in flight (default 1,000). */
  readonly inFlight?: number
  /** Read the ACL too (default true). */
  readonly acl?: boolean
  /** Read child names: only when `numChildren > 0` (default), or never. */
  readonly children?: "ifAny" | "never"
  /** Leave a data watch and a child watch on every node read (child names are then always read). */
  readonly watch?: boolean
}

interface Hooks {
  readonly toStat: (raw: DriverStat) => Stat
  readonly toBytes: (data: Buffer | null | undefined) => Uint8Array
  readonly fromAcl: (acl: ReadonlyArray<DriverAcl> | undefined) => Acl
  /** Called on every answer (the session tracker's liveness). */
  readonly heard: () => void
  /** Makes a one-shot watch slot (also fired when the session is replaced). */
  readonly slot: () => WatchSlot
}

/**
 * Reads `paths` with up to `inFlight` requests outstanding; calls `done` once with the nodes (`undefined`
 * where a node does not exist) or with the first error and the path it was about.
 */
export const readMany = (
  client: DriverClient,
  paths: ReadonlyArray<string>,
  options: ReadManyOptions,
  hooks: Hooks,
  done: (error: unknown, path: string, results: ReadonlyArray<ReadNode | undefined>) => void
): (() => void) => {
  const inFlight = Math.max(1, Math.floor((options.inFlight ?? 1_000) / (options.acl === false ? 1 : 2)))
  const results: Array<ReadNode | undefined> = new Array(paths.length)
  let next = 0
  let finished = 0
  let failed = false
  const fail = (error: unknown, path: string): void => {
    if (failed) return
    failed = true
    done(error, path, [])
  }
  const isMissing = (error: unknown): boolean =>
    typeof error === "object" && error !== null && "getName" in error && typeof error.getName === "function"
      ? error.getName() === "NO_NODE"
      : false
  // refills once per burst of answers (after the driver handled a whole socket chunk), corked: one writev
  let refill = false
  const complete = (): void => {
    finished++
    if (finished === paths.length) done(null, "", results)
    else if (!refill) {
      refill = true
      queueMicrotask(() => {
        refill = false
        start()
      })
    }
  }
  const readOne = (index: number): void => {
    const path = paths[index] as string
    let pending = 2
    let data: { data: Uint8Array; stat: Stat } | undefined
    let acl: Acl | undefined
    let missing = false
    const dataSlot = options.watch === true ? hooks.slot() : undefined
    const settle = (): void => {
      if (--pending > 0 || failed) return
      if (missing || data === undefined) {
        dataSlot?.cancel()
        results[index] = undefined
        complete()
        return
      }
      const node = data
      const watchFields = dataSlot === undefined ? {} : { onDataChange: dataSlot.onChange }
      if (options.watch !== true && (options.children === "never" || node.stat.numChildren === 0)) {
        results[index] = {
          path,
          data: node.data,
          stat: node.stat,
          acl,
          children: options.children === "never" ? undefined : []
        }
        complete()
        return
      }
      const childSlot = options.watch === true ? hooks.slot() : undefined
      client.getChildren(path, childSlot?.watcher, (error, children) => {
        if (failed) return
        if (error) {
          childSlot?.cancel()
          if (isMissing(error)) {
            results[index] = undefined
            complete()
          } else fail(error, path)
          return
        }
        hooks.heard()
        results[index] = {
          path,
          data: node.data,
          stat: node.stat,
          acl,
          children: [...children].sort(),
          ...watchFields,
          ...(childSlot === undefined ? {} : { onChildrenChange: childSlot.onChange })
        }
        complete()
      })
    }
    const received = (error: unknown, onValue: () => void): void => {
      if (failed) return
      if (error && !isMissing(error)) {
        fail(error, path)
        return
      }
      if (error) missing = true
      else {
        hooks.heard()
        onValue()
      }
      settle()
    }
    client.getData(path, dataSlot?.watcher, (error, bytes, stat) =>
      received(error, () => {
        data = { data: hooks.toBytes(bytes), stat: hooks.toStat(stat) }
      })
    )
    if (options.acl === false) pending--
    else
      client.getACL(path, (error, raw) =>
        received(error, () => {
          acl = hooks.fromAcl(raw)
        })
      )
  }
  const start = (): void => {
    if (failed || next >= paths.length || next - finished >= inFlight) return
    corked(client, () => {
      while (!failed && next < paths.length && next - finished < inFlight) readOne(next++)
    })
  }
  if (paths.length === 0) done(null, "", results)
  else {
    try {
      start()
    } catch (cause) {
      fail(cause, paths[next] ?? "")
    }
  }
  return () => {
    failed = true
  }
}
