/**
 * The autoscaler's round (`autoscaleOnce`): its decision is logged only after `scale` ran, with the
 * deployment when accepted, and a refused scale is reported (warning with the error, no cool-down).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Logger, Option } from "effect"
import { InvalidApp } from "../../../src/apps/plan/InvalidApp.js"
import { autoscaleOnce } from "../../../src/apps/scheduler/Autoscaler.js"
import type { AppsError } from "../../../src/apps/scheduler/AppsError.js"
import type { Settings } from "../../../src/apps/scheduler/Engine.js"
import * as State from "../../../src/apps/scheduler/State.js"
import type { DeploymentRef } from "../../../src/apps/scheduler/Views.js"
import { make as makeRedactor } from "../../../src/apps/secrets/Redactor.js"
import { app } from "./helpers.js"

const settings = (rps: number): Settings => ({
  name: "test",
  role: "*",
  refuseSeconds: 5,
  pollMs: 100,
  reconcileIntervalMs: 60_000,
  tickMs: 100,
  servicePortRange: { begin: 10_000, end: 10_100 },
  domain: "orchestrator",
  drainTimeoutMs: 1_000,
  autoscaleIntervalMs: 1_000,
  metricSources: { rps: () => Effect.succeed(Option.some(rps)) }
})

/** One round over an app at 2 instances whose tasks see `rps` (target 100 each); returns the logs. */
const round = (rps: number, scale: (appId: string, instances: number) => Effect.Effect<DeploymentRef, AppsError>) =>
  Effect.gen(function* () {
    const state = State.emptyState()
    const record = State.newAppRecord({
      app: app({ instances: 2, autoscale: { metric: "rps", target: 100, min: 1, max: 10 } }),
      lastConfigChangeAt: "v1"
    })
    state.apps.set("/web", record)
    const redactor = makeRedactor()
    yield* redactor.set("/web", ["s3cret-value"])
    const logs: Array<{ level: string; message: string; order: number }> = []
    let order = 0
    const calls: Array<number> = []
    const capture = Logger.make((options) => {
      logs.push({ level: options.logLevel, message: String(options.message), order: order++ })
    })
    yield* autoscaleOnce({
      state,
      settings: settings(rps),
      redactor,
      scale: (appId, instances) =>
        Effect.suspend(() => {
          calls.push(order++)
          return scale(appId, instances)
        })
    }).pipe(Effect.provide(Logger.layer([capture])))
    return { logs, calls, record }
  })

describe("autoscaleOnce", () => {
  it.effect("logs an accepted decision after scale ran, with its deployment, and starts the cool-down", () =>
    Effect.gen(function* () {
      const { logs, calls, record } = yield* round(400, () => Effect.succeed({ deploymentId: "dep-1", version: "v2" }))
      expect(calls).toHaveLength(1)
      const info = logs.filter((l) => l.message.startsWith("autoscaler"))
      expect(info).toHaveLength(1)
      expect(info[0]!.level).toBe("Info")
      expect(info[0]!.message).toContain("scaled /web from 2 to")
      expect(info[0]!.message).toContain("deployment dep-1")
      expect(info[0]!.order).toBeGreaterThan(calls[0]!)
      expect(record.lastScaleAt).toEqual(expect.any(Number))
    })
  )

  it.effect("reports a refused scale as a warning naming the error (redacted), without a cool-down", () =>
    Effect.gen(function* () {
      const { logs, record } = yield* round(400, (appId) =>
        Effect.fail(new InvalidApp({ field: "instances", reason: "no room for s3cret-value", appId }))
      )
      const reported = logs.filter((l) => l.message.startsWith("autoscaler"))
      expect(reported).toHaveLength(1)
      expect(reported[0]!.level).toBe("Warn")
      expect(reported[0]!.message).toContain("was refused (InvalidApp)")
      expect(reported[0]!.message).toContain("no room for <redacted>")
      expect(reported[0]!.message).not.toContain("s3cret-value")
      expect(record.lastScaleAt).toBeUndefined()
    })
  )
})
