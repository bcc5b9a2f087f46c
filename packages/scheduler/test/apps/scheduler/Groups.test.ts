/**
 * Groups as stored records: their dependencies answered, kept across a scheduler restart (ZooKeeper store),
 * inherited by apps put into them later, checked for cycles and unknown ids, removed with the group, and
 * restored by a rollback. Apps here have 0 instances (or cannot be placed): no task runs, so the cluster needs
 * no agent.
 */
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { requireZooKeeper, zookeeperFixture } from "../../../../../test/fixtures/index.js"
import type { Group } from "../../../src/apps/model/AppDefinition.js"
import { deploymentPlan } from "../../../src/apps/plan/index.js"
import type { RunningAppScheduler } from "../../../src/apps/scheduler/RunningAppScheduler.js"
import type { GroupStatus } from "../../../src/apps/scheduler/Views.js"
import { eventually } from "../../cluster/helpers.js"
import { app, startCluster, type TestCluster } from "./cluster.js"

const idle = (id: string, dependencies: ReadonlyArray<string> = []) =>
  app({
    id,
    cmd: "exec sleep 3600",
    container: { docker: { image: "local/busybox:latest" } },
    instances: 0,
    cpus: 0.1,
    mem: 16,
    dependencies
  })

const group = (id: string, dependencies: ReadonlyArray<string>, extra: Partial<Group> = {}): Group => ({
  id,
  apps: [],
  groups: [],
  dependencies,
  ...extra
})

/** The groups of a tree (ids, dependencies, versions), without the apps' statuses. */
const shape = (g: GroupStatus): unknown => ({
  id: g.id,
  dependencies: g.dependencies,
  version: g.version,
  apps: g.apps.map((a) => a.app.id),
  groups: g.groups.map(shape)
})

const find = (root: GroupStatus, id: string): GroupStatus | undefined =>
  root.id === id ? root : root.groups.map((g) => find(g, id)).find((g) => g !== undefined)

describe.skipIf(zookeeperFixture() === null)("AppScheduler group records (ZooKeeper store)", () => {
  let cluster: TestCluster
  let apps: RunningAppScheduler

  beforeAll(async () => {
    cluster = await startCluster({ socketPath: "", agents: 0, zookeeper: requireZooKeeper().standalone.connectString })
    apps = await cluster.scheduler()
  })

  afterAll(async () => {
    await apps?.stop()
    await cluster?.stop()
  })

  const groups = () => apps.run(apps.service.groups)
  const definition = async (id: string) => (await apps.run(apps.service.app(id))).app
  const settled = () =>
    eventually("no deployment running", async () =>
      (await apps.run(apps.service.deployments)).length === 0 ? true : undefined
    )

  it("answers a group's dependencies (absolute), and an app put into it later inherits them", async () => {
    await apps.run(apps.service.put(idle("/gdb")))
    await apps.run(apps.service.put(idle("/gcache")))
    const ref = await apps.run(
      apps.service.putGroup(group("/gapp", ["../gdb"], { apps: [idle("web")], groups: [group("inner", ["/gcache"])] }))
    )
    const tree = await groups()
    expect(shape(find(tree, "/gapp")!)).toEqual({
      id: "/gapp",
      dependencies: ["/gdb"],
      version: ref.version,
      apps: ["/gapp/web"],
      groups: [{ id: "/gapp/inner", dependencies: ["/gcache"], version: ref.version, apps: [], groups: [] }]
    })
    expect((await definition("/gapp/web")).dependencies).toEqual(["/gdb"])

    // a later app inherits every enclosing group's dependencies after its own (outermost group first)
    await apps.run(apps.service.put(idle("/gapp/api")))
    expect((await definition("/gapp/api")).dependencies).toEqual(["/gdb"])
    await apps.run(apps.service.put(idle("/gapp/inner/worker", ["../api", "/gdb"])))
    expect((await definition("/gapp/inner/worker")).dependencies).toEqual(["../api", "/gdb", "/gcache"])
    // so does a group put later into it
    await apps.run(apps.service.putGroup(group("/gapp/more", [], { apps: [idle("job")] })))
    expect((await definition("/gapp/more/job")).dependencies).toEqual(["/gdb"])

    // the inherited dependencies order the app after them in any plan that changes both
    const ids = ["/gapp/inner/worker", "/gapp/api", "/gdb", "/gcache"]
    const plan = await Effect.runPromise(deploymentPlan([], await Promise.all(ids.map(definition))))
    expect(plan.steps.map((s) => s.actions.map((a) => a.appId))).toEqual([
      ["/gcache", "/gdb"],
      ["/gapp/api"],
      ["/gapp/inner/worker"]
    ])
    await settled()
  }, 30_000)

  it("refuses a dependency cycle or an unknown dependency through a group (422 naming the field), state unchanged", async () => {
    await apps.run(apps.service.put(idle("/cdb")))
    await apps.run(apps.service.putGroup(group("/cyc", ["/cdb"], { apps: [idle("web")] })))
    const before = await definition("/cdb")
    const cycle = await apps.run(Effect.flip(apps.service.put(idle("/cdb", ["/cyc"]))))
    expect(cycle).toMatchObject({ _tag: "InvalidApp", field: "dependencies" })
    expect(cycle.message).toContain("dependency cycle")
    expect(await definition("/cdb")).toEqual(before)

    const unknown = await apps.run(
      Effect.flip(apps.service.putGroup(group("/cyc2", ["/nowhere"], { apps: [idle("web")] })))
    )
    expect(unknown).toMatchObject({
      _tag: "InvalidApp",
      field: "dependencies[0]",
      reason: "group /cyc2 depends on /nowhere, which is neither an app nor a group"
    })
    expect(find(await groups(), "/cyc2")).toBeUndefined()

    // an app put into the group later: its own unknown dependency is named, and the group's is inherited
    const unknownOwn = await apps.run(Effect.flip(apps.service.put(idle("/cyc/api", ["/cyc/web", "nothing"]))))
    expect(unknownOwn).toMatchObject({
      _tag: "InvalidApp",
      field: "dependencies[1]",
      appId: "/cyc/api",
      reason: "depends on /cyc/nothing, which is neither an app nor a group"
    })
    expect((await apps.run(apps.service.apps({ prefix: "/cyc/api" }))).length).toBe(0)
    // removing what the group depends on is refused too (the apps inheriting it would be left without it)
    await settled()
    expect(await apps.run(Effect.flip(apps.service.remove("/cdb")))).toMatchObject({
      _tag: "InvalidApp",
      field: "dependencies[0]",
      appId: "/cyc/web",
      reason: "depends on /cdb, which is neither an app nor a group"
    })
    expect(await definition("/cdb")).toEqual(before)
  }, 30_000)

  it("refuses duplicate subgroup ids, a group depending on itself, and an app and a group sharing an id (422 on the field), state unchanged", async () => {
    await settled()
    const before = shape(await groups())
    const duplicate = await apps.run(
      Effect.flip(
        apps.service.putGroup(
          group("/dup", [], {
            groups: [group("x", ["/gdb"], { apps: [idle("w")] }), group("/dup/x", [], { apps: [idle("v")] })]
          })
        )
      )
    )
    expect(duplicate).toMatchObject({
      _tag: "InvalidApp",
      field: "groups[1].id",
      reason: "duplicate group id /dup/x (also groups[0].id)"
    })
    const self = await apps.run(Effect.flip(apps.service.putGroup(group("/selfdep", ["/selfdep"]))))
    expect(self).toMatchObject({
      _tag: "InvalidApp",
      field: "dependencies[0]",
      reason: "group /selfdep cannot depend on itself"
    })
    const ancestor = await apps.run(
      Effect.flip(apps.service.putGroup(group("/selfdep", [], { groups: [group("inner", ["/"])] })))
    )
    expect(ancestor).toMatchObject({
      _tag: "InvalidApp",
      field: "groups[0].dependencies[0]",
      reason: "group /selfdep/inner depends on /, a group that contains the group itself"
    })
    expect(shape(await groups())).toEqual(before)

    await apps.run(apps.service.putGroup(group("/shared", [], { groups: [group("empty", [])] })))
    await apps.run(apps.service.put(idle("/sharedapp")))
    const before2 = shape(await groups())
    expect(await apps.run(Effect.flip(apps.service.put(idle("/shared/empty"))))).toMatchObject({
      _tag: "InvalidApp",
      field: "id",
      appId: "/shared/empty",
      reason: "/shared/empty is a group: an app and a group cannot share an id"
    })
    expect(await apps.run(Effect.flip(apps.service.put(idle("/sharedapp/x"))))).toMatchObject({
      _tag: "InvalidApp",
      field: "id",
      reason: "/sharedapp is an app, which cannot hold apps"
    })
    expect(await apps.run(Effect.flip(apps.service.putGroup(group("/sharedapp", []))))).toMatchObject({
      _tag: "InvalidApp",
      field: "id",
      reason: "/sharedapp is an app: an app and a group cannot share an id"
    })
    expect(shape(await groups())).toEqual(before2)
    expect((await definition("/sharedapp")).id).toBe("/sharedapp")
    await apps.run(apps.service.removeGroup("/shared"))
    await apps.run(apps.service.remove("/sharedapp"))
    await settled()
  }, 30_000)

  it("counts a dependency on a group with a record but no app as satisfied, and refuses removing it while depended on", async () => {
    await settled()
    await apps.run(apps.service.putGroup(group("/hollow", [], { groups: [group("inner", [])] })))
    // an app, a group with apps and a group record without apps depend on the empty groups
    await apps.run(apps.service.put(idle("/hdep/web", ["/hollow"])))
    await apps.run(apps.service.putGroup(group("/hdep2", ["/hollow/inner"], { apps: [idle("api")] })))
    await apps.run(apps.service.putGroup(group("/hdep3", ["/hollow/inner"])))
    expect((await definition("/hdep/web")).dependencies).toEqual(["/hollow"])
    expect((await definition("/hdep2/api")).dependencies).toEqual(["/hollow/inner"])
    await settled()

    const before = shape(await groups())
    expect(await apps.run(Effect.flip(apps.service.removeGroup("/hollow")))).toMatchObject({
      _tag: "InvalidApp",
      field: "dependencies[0]",
      appId: "/hdep/web",
      reason: "depends on /hollow, which is neither an app nor a group"
    })
    // a descendant's id
    expect(await apps.run(Effect.flip(apps.service.removeGroup("/hollow/inner")))).toMatchObject({
      _tag: "InvalidApp",
      field: "dependencies[0]",
      appId: "/hdep2/api",
      reason: "depends on /hollow/inner, which is neither an app nor a group"
    })
    expect(shape(await groups())).toEqual(before)
    // so is putting the group again without the subgroup others depend on
    await apps.run(apps.service.removeGroup("/hdep2"))
    await settled()
    expect(await apps.run(Effect.flip(apps.service.putGroup(group("/hollow", []))))).toMatchObject({
      _tag: "InvalidApp",
      field: "dependencies[0]",
      reason: "group /hdep3 depends on /hollow/inner, which is neither an app nor a group"
    })
    const hollow = find(await groups(), "/hollow")
    expect(hollow === undefined ? undefined : shape(hollow)).toEqual({
      id: "/hollow",
      dependencies: [],
      version: expect.any(String),
      apps: [],
      groups: [{ id: "/hollow/inner", dependencies: [], version: expect.any(String), apps: [], groups: [] }]
    })

    // once nothing depends on them any more, they go
    await apps.run(apps.service.removeGroup("/hdep3"))
    await apps.run(apps.service.remove("/hdep/web"))
    await settled()
    await apps.run(apps.service.removeGroup("/hollow"))
    expect(find(await groups(), "/hollow")).toBeUndefined()
    await settled()
  }, 30_000)

  it("answers the same groups after a restart, and removes a group's records with the group", async () => {
    await settled()
    const before = shape(await groups())
    expect(find(await groups(), "/gapp")?.dependencies).toEqual(["/gdb"])
    await apps.stop()
    apps = await cluster.scheduler()
    expect(shape(await groups())).toEqual(before)

    // a group with a record but no app can be removed too
    await apps.run(apps.service.remove("/gapp/inner/worker"))
    await settled()
    await apps.run(apps.service.removeGroup("/gapp/inner"))
    expect(find(await groups(), "/gapp/inner")).toBeUndefined()
    await apps.run(apps.service.removeGroup("/gapp"))
    await eventually("/gapp removed", async () => (find(await groups(), "/gapp") === undefined ? true : undefined))
    await settled()
    await apps.stop()
    apps = await cluster.scheduler()
    expect(find(await groups(), "/gapp")).toBeUndefined()
    expect(find(await groups(), "/cyc")?.dependencies).toEqual(["/cdb"])
  }, 30_000)

  /** An app no agent can take (the cluster has none): its deployment fails at its 1 s deadline and rolls back. */
  const stuck = (id: string) =>
    app({
      id,
      cmd: "exec sleep 3600",
      container: { docker: { image: "local/busybox:latest" } },
      cpus: 0.1,
      mem: 16,
      healthChecks: [{ protocol: "COMMAND", command: { value: "false" }, gracePeriodSeconds: 1 }],
      upgradeStrategy: { deadlineSeconds: 1, rollbackOnFailure: true }
    })

  /** An idle app whose deployments have the same 1 s deadline (a deployment's is the longest of its apps'). */
  const quick = (id: string) => app({ ...idle(id), upgradeStrategy: { deadlineSeconds: 1, rollbackOnFailure: true } })

  const rolledBack = (before: unknown) =>
    eventually("the rollback restored the groups", async () => {
      const tree = await groups()
      const deployments = await apps.run(apps.service.deployments)
      return deployments.length === 0 && JSON.stringify(shape(find(tree, "/rb")!)) === JSON.stringify(before)
        ? true
        : undefined
    })

  it("a rollback restores the group records the failed deployment put or removed", async () => {
    await settled()
    await apps.run(apps.service.put(idle("/rbdb")))
    await apps.run(apps.service.put(idle("/rbcache")))
    await apps.run(
      apps.service.putGroup(group("/rb", ["/rbdb"], { apps: [quick("web")], groups: [group("old", ["/rbdb"])] }))
    )
    await settled()
    const before = shape(find(await groups(), "/rb")!)

    // the new records: other dependencies, a subgroup replaced by a new one; the deployment never finishes
    await apps.run(
      apps.service.putGroup(
        group("/rb", ["/rbcache"], { apps: [quick("web"), stuck("stuck")], groups: [group("new", ["/rbcache"])] })
      )
    )
    expect(find(await groups(), "/rb")?.dependencies).toEqual(["/rbcache"])
    expect(find(await groups(), "/rb/new")?.dependencies).toEqual(["/rbcache"])
    await rolledBack(before)
    expect(find(await groups(), "/rb/new")).toBeUndefined()
    expect(find(await groups(), "/rb/old")?.dependencies).toEqual(["/rbdb"])
    expect(await apps.run(apps.service.apps({ prefix: "/rb/stuck" }))).toHaveLength(0)
    expect((await definition("/rb/web")).dependencies).toEqual(["/rbdb"])

    // the same across a restart of the scheduler in the middle of the deployment
    // (this put also drops the record of /rb/old, which the rollback puts back)
    await apps.run(apps.service.putGroup(group("/rb", ["/rbcache"], { apps: [quick("web"), stuck("stuck")] })))
    expect(find(await groups(), "/rb/old")).toBeUndefined()
    await apps.stop()
    apps = await cluster.scheduler()
    await rolledBack(before)
    await apps.stop()
    apps = await cluster.scheduler()
    expect(shape(find(await groups(), "/rb")!)).toEqual(before)
  }, 30_000)
})
