import { describe, expect, it } from "@effect/vitest"
import { ZooKeeperClient } from "@orchestrator/core/zookeeper"
import { Effect, Layer } from "effect"
import { afterAll } from "vitest"
import { zookeeperFixture } from "../../../../../test/fixtures/index.js"
import { rollbackGroups } from "../../../src/apps/scheduler/Deployment.js"
import { AppStore } from "../../../src/apps/store/AppStore.js"
import type { StoredApp, StoredDeployment, StoredFailures, StoredGroup } from "../../../src/apps/store/StoredState.js"
import { app } from "./cluster.js"

const stored = (version: string, instances = 1): StoredApp => ({
  app: { ...app({ id: "/prod/web", container: { docker: { image: "busybox" } }, instances }), version },
  lastConfigChangeAt: "2026-01-01T00:00:00.000Z"
})

const deployment = (id: string, currentStep: number): StoredDeployment => ({
  id,
  version: "2026-01-01T00:00:03.000Z",
  rollback: false,
  startedAt: 1,
  deadline: 2,
  steps: [[{ action: "RestartApplication", app: "/prod/web" }]],
  currentStep,
  original: { "/prod/web": stored("2026-01-01T00:00:01.000Z") },
  target: { "/prod/web": stored("2026-01-01T00:00:03.000Z") }
})

const group = (id: string, dependencies: ReadonlyArray<string>): StoredGroup => ({
  id,
  dependencies,
  version: "2026-01-01T00:00:06.000Z"
})

const binding = (taskId: string) => ({
  taskId,
  appId: "/prod/web",
  version: "2026-01-01T00:00:03.000Z",
  configVersion: "2026-01-01T00:00:00.000Z",
  agentId: "agent-1",
  host: "10.0.0.1",
  stagedAt: 5
})

const fixture = zookeeperFixture()
const zkRoots: Array<string> = []
const zkStore = (root: string) => {
  zkRoots.push(root)
  return AppStore.layerZooKeeper({ root, maxVersions: 3 }).pipe(
    Layer.provide(
      ZooKeeperClient.layer({ connectString: fixture?.standalone.connectString ?? "", sessionTimeoutMs: 4_000 })
    )
  )
}

const stores: ReadonlyArray<readonly [string, () => Layer.Layer<AppStore, unknown>, boolean]> = [
  ["memory", () => AppStore.layerMemory({ maxVersions: 3 }), false],
  ["ZooKeeper", () => zkStore(`/orch-apps-store-${process.pid}-${Math.random().toString(36).slice(2)}`), true]
]

for (const [name, layerOf, needsZooKeeper] of stores) {
  describe.skipIf(needsZooKeeper && fixture === null)(`AppStore (${name})`, () => {
    it.effect("keeps apps, a bounded version history, deployments with progress, bindings and counters", () =>
      Effect.gen(function* () {
        const store = yield* AppStore
        expect(yield* store.load).toEqual({
          frameworkId: undefined,
          eventSeq: 0,
          apps: [],
          groups: [],
          deployments: [],
          tasks: [],
          failures: []
        })
        for (let i = 1; i <= 5; i++) yield* store.commit({ putApps: [stored(`2026-01-01T00:00:0${i}.000Z`, i)] })
        yield* store.commit({
          putDeployments: [deployment("d1", 0)],
          bindTasks: [binding("prod.web.a"), binding("prod.web.b")],
          frameworkId: "fw-1",
          eventSeq: 1000
        })
        yield* store.commit({ putDeployments: [deployment("d1", 1)], unbindTasks: ["prod.web.a"] })
        const loaded = yield* store.load
        expect(loaded.frameworkId).toBe("fw-1")
        expect(loaded.eventSeq).toBe(1000)
        expect(loaded.apps).toEqual([stored("2026-01-01T00:00:05.000Z", 5)])
        expect(loaded.deployments).toEqual([deployment("d1", 1)])
        expect(loaded.tasks).toEqual([binding("prod.web.b")])
        expect(yield* store.versions("/prod/web")).toEqual([
          "2026-01-01T00:00:05.000Z",
          "2026-01-01T00:00:04.000Z",
          "2026-01-01T00:00:03.000Z"
        ])
        expect((yield* store.appVersion("/prod/web", "2026-01-01T00:00:04.000Z"))?.instances).toBe(4)
        expect(yield* store.appVersion("/prod/web", "2026-01-01T00:00:01.000Z")).toBeUndefined()
        yield* store.commit({ removeApps: ["/prod/web"], removeDeployments: ["d1"], unbindTasks: ["prod.web.b"] })
        const empty = yield* store.load
        expect([empty.apps, empty.groups, empty.deployments, empty.tasks]).toEqual([[], [], [], []])
        expect(yield* store.versions("/prod/web")).toEqual([])
      }).pipe(Effect.provide(layerOf()))
    )

    it.effect("keeps task health with the bindings and launch failures by app, forgotten with the app", () =>
      Effect.gen(function* () {
        const store = yield* AppStore
        const failures: StoredFailures = {
          appId: "/prod/web",
          consecutiveFailures: 4,
          delayedUntil: 1_700_000_000_000,
          lastTaskFailure: {
            appId: "/prod/web",
            taskId: "prod.web.c",
            host: "10.0.0.1",
            state: "TASK_FAILED",
            message: "exit code 3",
            timestamp: "2026-01-01T00:00:09.000Z",
            version: "2026-01-01T00:00:01.000Z"
          }
        }
        const healthy = { ...binding("prod.web.h"), startedAt: 7, alive: true, ready: true }
        yield* store.commit({
          putApps: [stored("2026-01-01T00:00:01.000Z")],
          bindTasks: [binding("prod.web.old"), healthy],
          putFailures: [failures]
        })
        const loaded = yield* store.load
        const byId = [...loaded.tasks].sort((x, y) => x.taskId.localeCompare(y.taskId))
        // a binding of an older version (no start, health, readiness) still loads
        expect(byId).toEqual([healthy, binding("prod.web.old")])
        expect(loaded.failures).toEqual([failures])
        yield* store.commit({ putFailures: [{ ...failures, consecutiveFailures: 5 }] })
        expect((yield* store.load).failures.map((f) => f.consecutiveFailures)).toEqual([5])
        yield* store.commit({ removeFailures: ["/prod/web", "/never-stored"] })
        expect((yield* store.load).failures).toEqual([])
        yield* store.commit({ putFailures: [failures] })
        yield* store.commit({ removeApps: ["/prod/web"], unbindTasks: ["prod.web.old", "prod.web.h"] })
        const empty = yield* store.load
        expect([empty.apps, empty.tasks, empty.failures]).toEqual([[], [], []])
      }).pipe(Effect.provide(layerOf()))
    )

    it.effect("keeps group records with their dependencies, replaces and removes them with the apps", () =>
      Effect.gen(function* () {
        const store = yield* AppStore
        yield* store.commit({
          putApps: [stored("2026-01-01T00:00:01.000Z")],
          putGroups: [group("/prod", ["/db"]), group("/prod/edge", []), group("/", [])]
        })
        const byId = (groups: ReadonlyArray<StoredGroup>) => [...groups].sort((x, y) => x.id.localeCompare(y.id))
        expect(byId((yield* store.load).groups)).toEqual([
          group("/", []),
          group("/prod", ["/db"]),
          group("/prod/edge", [])
        ])
        yield* store.commit({
          putGroups: [group("/prod", ["/db", "/cache"])],
          removeGroups: ["/prod/edge", "/never-stored"]
        })
        expect(byId((yield* store.load).groups)).toEqual([group("/", []), group("/prod", ["/db", "/cache"])])
        yield* store.commit({ removeApps: ["/prod/web"], removeGroups: ["/prod", "/"] })
        const empty = yield* store.load
        expect([empty.apps, empty.groups]).toEqual([[], []])
      }).pipe(Effect.provide(layerOf()))
    )
  })
}

describe.skipIf(fixture === null)("AppStore (ZooKeeper) across restarts", () => {
  it("answers a new store on the same root (a restarted scheduler) with the same groups", async () => {
    const root = `/orch-apps-restart-${process.pid}-${Math.random().toString(36).slice(2)}`
    const run = <A>(effect: Effect.Effect<A, unknown, AppStore>) =>
      Effect.runPromise(Effect.provide(effect, zkStore(root)))
    await run(
      AppStore.use((store) =>
        store.commit({ putApps: [stored("2026-01-01T00:00:01.000Z")], putGroups: [group("/prod", ["/db"])] })
      )
    )
    const loaded = await run(AppStore.use((store) => store.load))
    expect(loaded.groups).toEqual([group("/prod", ["/db"])])
    expect(loaded.apps).toEqual([stored("2026-01-01T00:00:01.000Z")])
  })

  it.effect("reads a root an older scheduler wrote (no groups/ node, deployments without group records)", () => {
    const root = `/orch-apps-old-${process.pid}-${Math.random().toString(36).slice(2)}`
    zkRoots.push(root)
    return Effect.gen(function* () {
      const zk = yield* ZooKeeperClient
      yield* zk.mkdirp(`${root}/apps`)
      yield* zk.create(
        `${root}/apps/${encodeURIComponent("/prod/web")}`,
        JSON.stringify(stored("2026-01-01T00:00:01.000Z"))
      )
      yield* zk.mkdirp(`${root}/deployments`)
      yield* zk.create(`${root}/deployments/d0`, JSON.stringify(deployment("d0", 0)))
      const store = yield* AppStore
      const loaded = yield* store.load
      expect([loaded.apps, loaded.groups]).toEqual([[stored("2026-01-01T00:00:01.000Z")], []])
      // its rollback restores apps only
      expect(loaded.deployments).toEqual([deployment("d0", 0)])
      expect(rollbackGroups(loaded.deployments[0]!)).toBeUndefined()
      const withGroups: StoredDeployment = {
        ...deployment("d1", 0),
        originalGroups: { "/prod": group("/prod", ["/db"]), "/prod/new": null }
      }
      yield* store.commit({ putGroups: [group("/prod", [])], putDeployments: [withGroups] })
      const again = yield* store.load
      expect(again.groups).toEqual([group("/prod", [])])
      const d1 = again.deployments.find((d) => d.id === "d1")!
      expect(d1).toEqual(withGroups)
      expect(rollbackGroups(d1)).toEqual({ put: [group("/prod", ["/db"])], remove: ["/prod/new"] })
    }).pipe(
      Effect.provide(
        AppStore.layerZooKeeper({ root }).pipe(
          Layer.provideMerge(ZooKeeperClient.layer({ connectString: fixture?.standalone.connectString ?? "" }))
        )
      )
    )
  })
})

afterAll(async () => {
  if (fixture === null || zkRoots.length === 0) return
  await Effect.runPromise(
    Effect.forEach(new Set(zkRoots), (root) => ZooKeeperClient.use((zk) => zk.removeRecursive(root))).pipe(
      Effect.provide(ZooKeeperClient.layer({ connectString: fixture.standalone.connectString }))
    )
  )
})

describe.skipIf(fixture === null)("AppStore (ZooKeeper) atomicity", () => {
  const root = `/orch-apps-atomic-${process.pid}-${Math.random().toString(36).slice(2)}`
  it.effect("applies nothing of a change when one part fails", () =>
    Effect.gen(function* () {
      const zk = yield* ZooKeeperClient
      const store = yield* AppStore
      yield* store.commit({ putApps: [stored("2026-01-01T00:00:01.000Z")] })
      // a binding node with a child cannot be removed: the whole transaction fails
      yield* zk.mkdirp(`${root}/tasks/prod.web.x/child`)
      const failed = yield* Effect.flip(
        store.commit({ putApps: [stored("2026-01-01T00:00:02.000Z", 7)], unbindTasks: ["prod.web.x"] })
      )
      expect(failed._tag).toBe("StoreError")
      expect((yield* store.load).apps).toEqual([stored("2026-01-01T00:00:01.000Z")])
      expect(yield* store.versions("/prod/web")).toEqual(["2026-01-01T00:00:01.000Z"])
      yield* zk.removeRecursive(root)
    }).pipe(
      Effect.provide(
        AppStore.layerZooKeeper({ root }).pipe(
          Layer.provideMerge(ZooKeeperClient.layer({ connectString: fixture?.standalone.connectString ?? "" }))
        )
      )
    )
  )
})
