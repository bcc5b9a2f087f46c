import { Effect } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { requireZooKeeper, zkCli, zookeeperFixture } from "../../../../../test/fixtures/index.js"
import { createAppScheduler, type RunningAppScheduler } from "../../../src/apps/scheduler/RunningAppScheduler.js"
import { createMaster, type RunningMaster } from "../../../src/cluster/index.js"
import { eventually } from "../../cluster/helpers.js"
import { app } from "./cluster.js"

describe.skipIf(zookeeperFixture() === null)("AppScheduler following its master's leadership (ZooKeeper)", () => {
  const running: Array<{ stop: () => Promise<void> }> = []
  const root = `/orch-apps-ha-${process.pid}-${Math.random().toString(36).slice(2, 8)}`
  afterAll(async () => {
    for (const r of running.reverse()) await r.stop().catch(() => undefined)
    await zkCli(requireZooKeeper().standalone.connectString, ["deleteall", root]).catch(() => undefined)
  })

  it("answers NotLeading on a standby master and takes over when that master is elected", async () => {
    const connectString = requireZooKeeper().standalone.connectString
    const start = (id: string) =>
      createMaster({
        host: "127.0.0.1",
        port: 0,
        masterId: id,
        allocationIntervalMs: 50,
        zookeeper: { connectString, root: `${root}/masters`, sessionTimeoutMs: 4_000 }
      })
    const first: RunningMaster = await start("m1")
    running.push(first)
    await eventually("m1 leads", async () => ((await first.isLeader()) ? true : undefined))
    const second: RunningMaster = await start("m2")
    running.push(second)
    const zookeeper = { connectString, root: `${root}/apps`, sessionTimeoutMs: 4_000 }
    const leader: RunningAppScheduler = await createAppScheduler({
      master: first.service,
      zookeeper,
      servicePortRange: { begin: 1, end: 2 }
    })
    running.push(leader)
    const standby: RunningAppScheduler = await createAppScheduler({
      master: second.service,
      zookeeper,
      servicePortRange: { begin: 1, end: 2 },
      leadTimeoutMs: 0
    })
    running.push(standby)

    expect(await leader.run(leader.service.isLeading)).toBe(true)
    expect(await standby.run(standby.service.isLeading)).toBe(false)
    const refused = await standby.run(Effect.flip(standby.service.apps()))
    expect(refused).toMatchObject({ _tag: "NotLeading", leader: first.url })
    expect(await standby.run(standby.service.info)).toMatchObject({ elected: false, leader: first.url })

    // an app stored by the leader (0 instances: nothing to run on this cluster without agents)
    const definition = app({ id: "/ha/web", container: { docker: { image: "busybox" } }, instances: 0 })
    const ref = await leader.run(leader.service.put(definition))
    const frameworkId = (await leader.run(leader.service.info)).frameworkId

    await first.stop()
    await standby.run(standby.service.awaitLeading.pipe(Effect.timeout(20_000)))
    const after = await standby.run(standby.service.app("/ha/web"))
    expect(after.version).toBe(ref.version)
    expect((await standby.run(standby.service.info)).frameworkId).toBe(frameworkId)
  }, 60_000)
})
