/**
 * The app store in ZooKeeper. Layout under `root` (JSON nodes, names URI-encoded):
 * `apps/<app id>` (the current {@link StoredApp}), `versions/<app id>/<version>` (the history, bounded),
 * `groups/<group id>` (a {@link StoredGroup}; added later: a store without it reads as no group records),
 * `deployments/<id>`, `tasks/<task id>` (task -> app bindings), `failures/<app id>` (launch failures; added
 * later, read as none when absent), `framework-id`, `event-seq`.
 * Every {@link StoreChange} is one `multi` transaction.
 *
 * @since 0.1.0
 */
import { Op, type ZooKeeperClient, type ZooKeeperError } from "@orchestrator/core/zookeeper"
import { Effect, Option, Schema } from "effect"
import { childrenOrEmpty, text, textOrNone } from "../../cluster/internal/zkReads.js"
import { AppDefinition } from "../model/AppDefinition.js"
import { StoreError } from "../scheduler/AppsError.js"
import type { AppStore, AppStoreOptions } from "./AppStore.js"
import { StoredApp, StoredDeployment, StoredFailures, StoredGroup, TaskBinding } from "./StoredState.js"

const enc = encodeURIComponent
const decodeApp = Schema.decodeUnknownOption(Schema.fromJsonString(StoredApp))
const decodeGroup = Schema.decodeUnknownOption(Schema.fromJsonString(StoredGroup))
const decodeDeployment = Schema.decodeUnknownOption(Schema.fromJsonString(StoredDeployment))
const decodeBinding = Schema.decodeUnknownOption(Schema.fromJsonString(TaskBinding))
const decodeFailures = Schema.decodeUnknownOption(Schema.fromJsonString(StoredFailures))
const decodeDefinition = Schema.decodeUnknownOption(Schema.fromJsonString(AppDefinition))

const storeError =
  (operation: string) =>
  (error: ZooKeeperError): StoreError =>
    new StoreError({ operation, reason: error.message })

/**
 * Builds the store on a ZooKeeper client.
 *
 * @since 0.1.0
 * @category constructors
 */
export const zooKeeperStore = (
  zk: ZooKeeperClient["Service"],
  options: AppStoreOptions & { readonly root: string }
): AppStore["Service"] => {
  const root = options.root.replace(/\/+$/, "")
  const maxVersions = options.maxVersions ?? 20
  const dirs = ["apps", "versions", "groups", "deployments", "tasks", "failures"].map((d) => `${root}/${d}`)
  let prepared = false
  const prepare = Effect.suspend(() =>
    prepared
      ? Effect.void
      : Effect.forEach(dirs, (d) => zk.mkdirp(d), { discard: true }).pipe(
          Effect.tap(() =>
            Effect.sync(() => {
              prepared = true
            })
          )
        )
  )
  const children = (path: string) => childrenOrEmpty(zk, path)
  const read = (path: string) => textOrNone(zk, path)
  const exists = (path: string) => Effect.map(zk.exists(path), Option.isSome)
  /** Reads every child of `dir` and decodes it, skipping (with a warning) what does not decode. */
  const readAll = <A>(dir: string, decode: (json: string) => Option.Option<A>) =>
    Effect.gen(function* () {
      const names = yield* children(dir)
      const nodes = yield* zk.readMany(
        names.map((n) => `${dir}/${n}`),
        { acl: false, children: "never" }
      )
      const out: Array<A> = []
      for (const [i, node] of nodes.entries()) {
        if (node?.data === undefined) continue
        const decoded = decode(text(node.data))
        if (Option.isSome(decoded)) out.push(decoded.value)
        else yield* Effect.logWarning(`app store: skipping ${dir}/${names[i]}: it does not decode`)
      }
      return out
    })
  const upsert = (path: string, data: string) =>
    Effect.map(exists(path), (found) => (found ? Op.setData(path, data) : Op.create(path, data)))

  /** The ops that put `put` (JSON nodes named by `key`) into `dir` and remove the nodes named in `remove`. */
  const entryOps = <A>(
    dir: string,
    put: ReadonlyArray<A> = [],
    key: (a: A) => string,
    remove: ReadonlyArray<string> = []
  ) =>
    Effect.gen(function* () {
      const ops: Array<Op.Op> = []
      for (const a of put) ops.push(yield* upsert(`${root}/${dir}/${enc(key(a))}`, JSON.stringify(a)))
      for (const id of remove)
        if (yield* exists(`${root}/${dir}/${enc(id)}`)) ops.push(Op.remove(`${root}/${dir}/${enc(id)}`))
      return ops
    })

  const load = Effect.gen(function* () {
    yield* prepare
    const frameworkId = Option.getOrUndefined(yield* read(`${root}/framework-id`))
    const seq = Number(Option.getOrElse(yield* read(`${root}/event-seq`), () => "0"))
    return {
      frameworkId: frameworkId === "" ? undefined : frameworkId,
      eventSeq: Number.isFinite(seq) ? seq : 0,
      apps: yield* readAll(`${root}/apps`, decodeApp),
      groups: yield* readAll(`${root}/groups`, decodeGroup),
      deployments: yield* readAll(`${root}/deployments`, decodeDeployment),
      tasks: yield* readAll(`${root}/tasks`, decodeBinding),
      failures: yield* readAll(`${root}/failures`, decodeFailures)
    }
  })

  const commit = Effect.fn("AppStore.commit")(
    function* (change: Parameters<AppStore["Service"]["commit"]>[0]) {
      yield* prepare
      const ops: Array<Op.Op> = []
      for (const stored of change.putApps ?? []) {
        const id = enc(stored.app.id)
        ops.push(yield* upsert(`${root}/apps/${id}`, JSON.stringify(stored)))
        const vdir = `${root}/versions/${id}`
        const history = (yield* exists(vdir)) ? [...(yield* children(vdir))].sort() : undefined
        if (history === undefined) ops.push(Op.create(vdir))
        const version = enc(stored.app.version ?? "")
        const kept = (history ?? []).filter((v) => v !== version)
        for (const old of kept.slice(0, Math.max(0, kept.length + 1 - maxVersions)))
          ops.push(Op.remove(`${vdir}/${old}`))
        ops.push(
          kept.length === (history ?? []).length
            ? Op.create(`${vdir}/${version}`, JSON.stringify(stored.app))
            : Op.setData(`${vdir}/${version}`, JSON.stringify(stored.app))
        )
      }
      for (const appId of change.removeApps ?? []) {
        const id = enc(appId)
        if (yield* exists(`${root}/apps/${id}`)) ops.push(Op.remove(`${root}/apps/${id}`))
        if (!(change.removeFailures ?? []).includes(appId) && (yield* exists(`${root}/failures/${id}`)))
          ops.push(Op.remove(`${root}/failures/${id}`))
        const vdir = `${root}/versions/${id}`
        if (yield* exists(vdir)) {
          for (const v of yield* children(vdir)) ops.push(Op.remove(`${vdir}/${v}`))
          ops.push(Op.remove(vdir))
        }
      }
      ops.push(...(yield* entryOps("groups", change.putGroups, (g) => g.id, change.removeGroups)))
      ops.push(...(yield* entryOps("deployments", change.putDeployments, (d) => d.id, change.removeDeployments)))
      ops.push(...(yield* entryOps("tasks", change.bindTasks, (t) => t.taskId, change.unbindTasks)))
      ops.push(...(yield* entryOps("failures", change.putFailures, (f) => f.appId, change.removeFailures)))
      if (change.frameworkId !== undefined) ops.push(yield* upsert(`${root}/framework-id`, change.frameworkId))
      if (change.eventSeq !== undefined) ops.push(yield* upsert(`${root}/event-seq`, String(change.eventSeq)))
      if (ops.length > 0) yield* zk.multi(ops)
    },
    (effect) => Effect.mapError(effect, storeError("commit"))
  )

  return {
    load: Effect.mapError(load, storeError("load")),
    commit,
    versions: (appId) =>
      children(`${root}/versions/${enc(appId)}`).pipe(
        Effect.map((names) =>
          names
            .map((n) => decodeURIComponent(n))
            .sort()
            .reverse()
        ),
        Effect.mapError(storeError("versions"))
      ),
    appVersion: (appId, version) =>
      read(`${root}/versions/${enc(appId)}/${enc(version)}`).pipe(
        Effect.map((json) => Option.getOrUndefined(Option.flatMap(json, decodeDefinition))),
        Effect.mapError(storeError("appVersion"))
      )
  }
}
