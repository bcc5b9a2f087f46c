/**
 * Operations on a real master without agents (a deployment cannot place its tasks, so it stays running), with the
 * in-memory store wrapped so that its commits can be made to fail:
 * - cancelling a deployment while the store fails: the caller gets the store's error and nothing changes (the
 *   deployment keeps running, no event says it failed); once the store answers again the same cancel works, and
 *   its rollback replaces the deployment in one commit;
 * - `scale` refuses what a PUT of the scaled definition refuses, with the app unchanged.
 */
import { Effect, Layer, Option, Stream } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { AppEvent } from "../../../src/apps/events/AppEvent.js"
import { StoreError } from "../../../src/apps/scheduler/AppsError.js"
import { createAppScheduler, type RunningAppScheduler } from "../../../src/apps/scheduler/RunningAppScheduler.js"
import { AppStore } from "../../../src/apps/store/AppStore.js"
import { createMaster, type RunningMaster } from "../../../src/cluster/index.js"
import { eventually } from "../../cluster/helpers.js"
import { app } from "./cluster.js"

describe("app operations on a master without agents", () => {
  let master: RunningMaster
  let apps: RunningAppScheduler
  let storeDown = false
  let commits = 0
  const events: Array<AppEvent> = []
  const flakyStore = Layer.effect(
    AppStore,
    Effect.map(AppStore, (inner) =>
      AppStore.of({
        ...inner,
        commit: (change) =>
          storeDown
            ? Effect.fail(new StoreError({ operation: "commit", reason: "ZooKeeper unreachable (test)" }))
            : Effect.tap(inner.commit(change), () => Effect.sync(() => commits++))
      })
    )
  ).pipe(Layer.provide(AppStore.layerMemory()))

  beforeAll(async () => {
    master = await createMaster({ host: "127.0.0.1", port: 0, allocationIntervalMs: 50 })
    apps = await createAppScheduler({
      master: master.service,
      store: flakyStore,
      servicePortRange: { begin: 1, end: 2 },
      tickMs: 50,
      metricSources: { load: () => Effect.succeed(Option.none()) }
    })
    apps.run(Stream.runForEach(apps.service.events(), (e) => Effect.sync(() => events.push(e)))).catch(() => undefined)
  })

  afterAll(async () => {
    await apps?.stop()
    await master?.stop()
  })

  it("fails with the store's error and changes nothing, then cancels with a rollback once the store is back", async () => {
    const definition = app({ id: "/cancel/web", container: { docker: { image: "busybox" } }, instances: 1 })
    const { deploymentId } = await apps.run(apps.service.put(definition))
    const running = async () => (await apps.run(apps.service.deployments)).map((d) => d.id)
    expect(await running()).toEqual([deploymentId])

    storeDown = true
    const committed = commits
    for (const rollback of [true, false]) {
      const failed = await apps.run(Effect.flip(apps.service.cancel(deploymentId, { rollback })))
      expect(failed).toMatchObject({ _tag: "StoreError", operation: "commit" })
      expect(await running()).toEqual([deploymentId])
    }
    expect(events.some((e) => e.eventType === "deployment_failed")).toBe(false)
    expect(commits).toBe(committed)

    storeDown = false
    const rollback = await apps.run(apps.service.cancel(deploymentId))
    expect(rollback).toBeDefined()
    const failed = await eventually("deployment_failed (cancelled)", async () =>
      events.find((e) => e.eventType === "deployment_failed" && e.id === deploymentId)
    )
    expect(failed).toMatchObject({ reason: "cancelled", rollbackId: rollback!.deploymentId })
    // the rollback removes the app it never had (it was new): nothing is left
    await eventually("the rollback done", async () =>
      (await running()).length === 0 && (await apps.run(apps.service.apps())).length === 0 ? true : undefined
    )
  })

  it("refuses to scale past the instance limit or out of the autoscaler's range, the app unchanged", async () => {
    const definition = app({
      id: "/scale/web",
      container: { docker: { image: "busybox" } },
      instances: 0,
      autoscale: { metric: "load", target: 1, min: 0, max: 3 }
    })
    await apps.run(apps.service.put(definition, { force: true }))
    const deploying = async () =>
      (await apps.run(apps.service.deployments)).some((d) => d.affectedApps.includes("/scale/web"))
    await eventually("the app deployed (no task to start)", async () => ((await deploying()) ? undefined : true))
    const version = (await apps.run(apps.service.app("/scale/web"))).version
    for (const instances of [10_001, 4, -1, 1.5]) {
      const refused = await apps.run(Effect.flip(apps.service.scale("/scale/web", instances)))
      expect(refused, `scale to ${instances}`).toMatchObject({ _tag: "InvalidApp", appId: "/scale/web" })
    }
    const after = await apps.run(apps.service.app("/scale/web"))
    expect(after.version).toBe(version)
    expect(after.app.instances).toBe(0)
    expect(await deploying()).toBe(false)
  })
})
