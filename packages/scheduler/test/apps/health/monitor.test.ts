import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Option, Schema } from "effect"
import type { HealthTarget } from "../../../src/apps/health/HealthTarget.js"
import { HealthCheck, ReadinessCheck } from "../../../src/apps/model/AppDefinition.js"
import { labelsOf, openMonitor } from "./helpers.js"
import { closedPort, startHttpServer, startTcpServer, type TestServer } from "./servers.js"

const healthCheck = (input: Record<string, unknown>): HealthCheck =>
  Schema.decodeUnknownSync(HealthCheck)({ delaySeconds: 0, intervalSeconds: 0.1, timeoutSeconds: 0.5, ...input })
const readinessCheck = (input: Record<string, unknown>): ReadinessCheck =>
  Schema.decodeUnknownSync(ReadinessCheck)({ intervalSeconds: 0.1, timeoutSeconds: 0.5, ...input })

/** Polls `check` every 20 ms until it returns a value (fails the test after `timeoutMs`). */
const until = <A>(what: string, check: () => A | undefined, timeoutMs = 5_000) =>
  Effect.gen(function* () {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const value = check()
      if (value !== undefined) return value
      if (Date.now() > deadline) return yield* Effect.die(new Error(`timed out waiting for ${what}`))
      yield* Effect.sleep(20)
    }
  })

describe("HealthMonitor (real servers on loopback, short intervals)", () => {
  let web: TestServer
  let closed: number
  let tcp: { port: number; close(): Promise<void> }
  let counter = 0
  const target = (ports: ReadonlyArray<number>, extra: Partial<HealthTarget> = {}): HealthTarget => ({
    taskId: `task-${++counter}`,
    host: "127.0.0.1",
    ports,
    agentUrl: "http://127.0.0.1:1",
    startedAt: Date.now(),
    ...extra
  })
  /** A fresh route on the test server, answering `status`. */
  const route = (status: number): string => {
    const path = `/r${++counter}`
    web.routes.set(path, { status })
    return path
  }

  beforeAll(async () => {
    web = await startHttpServer()
    tcp = await startTcpServer()
    closed = await closedPort()
  })
  afterAll(async () => {
    await Promise.all([web?.close(), tcp?.close()])
  })

  it.live("a task without checks is alive and ready at once, and says so once", () =>
    Effect.gen(function* () {
      const { monitor, seen } = yield* openMonitor()
      const task = target([])
      yield* monitor.watch(task, [], [])
      yield* monitor.watch(task, [healthCheck({ path: "/nope" })], [])
      const health = Option.getOrThrow(yield* monitor.get(task.taskId))
      expect(health).toMatchObject({
        taskId: task.taskId,
        alive: true,
        ready: true,
        consecutiveFailures: 0,
        checks: []
      })
      yield* Effect.sleep(50)
      expect(labelsOf(seen, task.taskId)).toEqual(["alive=true", "ready=true"])
    })
  )

  it.live("a passing HTTP check makes the task alive: one HealthChanged with the health, no repeats", () =>
    Effect.gen(function* () {
      const { monitor, seen } = yield* openMonitor()
      const path = route(200)
      const task = target([web.port])
      yield* monitor.watch(task, [healthCheck({ path })], [])
      expect(Option.getOrThrow(yield* monitor.get(task.taskId))).toMatchObject({ alive: undefined, ready: true })
      const changed = yield* until("alive", () =>
        seen.find((event) => event.taskId === task.taskId && event._tag === "HealthChanged")
      )
      expect(changed).toMatchObject({
        _tag: "HealthChanged",
        alive: true,
        health: { taskId: task.taskId, alive: true, ready: true, consecutiveFailures: 0 }
      })
      yield* until("several checks", () => ((web.hits.get(path) ?? 0) >= 4 ? true : undefined))
      expect(labelsOf(seen, task.taskId)).toEqual(["ready=true", "alive=true"])
      const health = Option.getOrThrow(yield* monitor.get(task.taskId))
      expect(health.firstHealthyAt).toBeGreaterThanOrEqual(task.startedAt)
      expect(health.lastSuccessAt).toBeGreaterThanOrEqual(health.firstHealthyAt!)
      expect(health.checks).toEqual([
        expect.objectContaining({ healthy: true, message: `HTTP 200 from 127.0.0.1:${web.port}${path}` })
      ])
    })
  )

  it.live("failures within the grace period do not count; after it, maxConsecutiveFailures -> Unhealthy once", () =>
    Effect.gen(function* () {
      const { monitor, seen } = yield* openMonitor()
      const path = route(500)
      const task = target([web.port])
      yield* monitor.watch(task, [healthCheck({ path, gracePeriodSeconds: 1.2, maxConsecutiveFailures: 2 })], [])
      yield* until("checks in the grace period", () => ((web.hits.get(path) ?? 0) >= 3 ? true : undefined))
      const during = Option.getOrThrow(yield* monitor.get(task.taskId))
      expect(Date.now()).toBeLessThan(task.startedAt + 1_200)
      expect(during).toMatchObject({ alive: undefined, consecutiveFailures: 0 })
      expect(during.checks[0]).toMatchObject({ healthy: false, message: `HTTP 500 from 127.0.0.1:${web.port}${path}` })
      const unhealthy = yield* until("Unhealthy", () =>
        seen.find((event) => event.taskId === task.taskId && event._tag === "Unhealthy")
      )
      expect(Date.now()).toBeGreaterThanOrEqual(task.startedAt + 1_200)
      expect(unhealthy).toEqual({
        _tag: "Unhealthy",
        taskId: task.taskId,
        reason: `health check 0 (HTTP) failed 2 times in a row: HTTP 500 from 127.0.0.1:${web.port}${path}`
      })
      yield* Effect.sleep(400)
      expect(labelsOf(seen, task.taskId)).toEqual(["ready=true", "alive=false", "Unhealthy"])
      const after = Option.getOrThrow(yield* monitor.get(task.taskId))
      expect(after.consecutiveFailures).toBeGreaterThanOrEqual(4)
      expect(after).toMatchObject({ alive: false, lastFailureCause: `HTTP 500 from 127.0.0.1:${web.port}${path}` })
    })
  )

  it.live("a task that was healthy once gets no grace: its failures count at once", () =>
    Effect.gen(function* () {
      const { monitor, seen } = yield* openMonitor()
      const path = route(200)
      const task = target([web.port])
      yield* monitor.watch(task, [healthCheck({ path, gracePeriodSeconds: 60, maxConsecutiveFailures: 2 })], [])
      yield* until("alive", () => (labelsOf(seen, task.taskId).includes("alive=true") ? true : undefined))
      web.routes.set(path, { status: 503 })
      yield* until("Unhealthy", () => (labelsOf(seen, task.taskId).includes("Unhealthy") ? true : undefined))
      expect(labelsOf(seen, task.taskId)).toEqual(["ready=true", "alive=true", "alive=false", "Unhealthy"])
    })
  )

  it.live("a success resets the failure count, so failures spread out never kill", () =>
    Effect.gen(function* () {
      const { monitor, seen } = yield* openMonitor()
      const path = route(200)
      const task = target([web.port])
      yield* monitor.watch(task, [healthCheck({ path, gracePeriodSeconds: 0, maxConsecutiveFailures: 8 })], [])
      yield* until("alive", () => (labelsOf(seen, task.taskId).includes("alive=true") ? true : undefined))
      for (let round = 0; round < 2; round++) {
        web.routes.set(path, { status: 500 })
        const failing = yield* until("2 failures", () =>
          Option.getOrThrow(Effect.runSync(monitor.get(task.taskId))).consecutiveFailures >= 2 ? true : undefined
        )
        expect(failing).toBe(true)
        web.routes.set(path, { status: 200 })
        yield* until("recovered", () =>
          Option.getOrThrow(Effect.runSync(monitor.get(task.taskId))).consecutiveFailures === 0 ? true : undefined
        )
      }
      const health = Option.getOrThrow(yield* monitor.get(task.taskId))
      expect(health).toMatchObject({ alive: true, consecutiveFailures: 0 })
      expect(health.lastFailureAt).toBeLessThan(health.lastSuccessAt!)
      expect(labelsOf(seen, task.taskId)).toEqual([
        "ready=true",
        "alive=true",
        "alive=false",
        "alive=true",
        "alive=false",
        "alive=true"
      ])
    })
  )

  it.live("maxConsecutiveFailures 0 never asks for a kill", () =>
    Effect.gen(function* () {
      const { monitor, seen } = yield* openMonitor()
      const task = target([closed])
      yield* monitor.watch(
        task,
        [healthCheck({ protocol: "TCP", gracePeriodSeconds: 0, maxConsecutiveFailures: 0 })],
        []
      )
      yield* until("failures", () =>
        Option.getOrThrow(Effect.runSync(monitor.get(task.taskId))).consecutiveFailures >= 5 ? true : undefined
      )
      expect(labelsOf(seen, task.taskId)).toEqual(["ready=true", "alive=false"])
    })
  )

  it.live("several checks: alive only when all pass", () =>
    Effect.gen(function* () {
      const { monitor, seen } = yield* openMonitor()
      const path = route(500)
      const task = target([web.port, tcp.port])
      yield* monitor.watch(
        task,
        [healthCheck({ protocol: "TCP", portIndex: 1 }), healthCheck({ path, gracePeriodSeconds: 0 })],
        []
      )
      yield* until("dead", () => (labelsOf(seen, task.taskId).includes("alive=false") ? true : undefined))
      // the HTTP check's failure may come before the TCP check's first result (it waits tcpSettleMs)
      let dead = Option.getOrThrow(yield* monitor.get(task.taskId))
      for (let i = 0; i < 100 && dead.checks[0] === undefined; i++) {
        yield* Effect.sleep("20 millis")
        dead = Option.getOrThrow(yield* monitor.get(task.taskId))
      }
      expect(dead.alive).toBe(false)
      expect(dead.checks.map((check) => check?.healthy)).toEqual([true, false])
      web.routes.set(path, { status: 204 })
      yield* until("alive", () => (labelsOf(seen, task.taskId).includes("alive=true") ? true : undefined))
      expect(labelsOf(seen, task.taskId)).toEqual(["ready=true", "alive=false", "alive=true"])
    })
  )

  it.live("readiness: checked every interval until ready, then no more; ReadyChanged once", () =>
    Effect.gen(function* () {
      const { monitor, seen } = yield* openMonitor()
      const path = route(503)
      const task = target([closed, web.port], { portNames: [undefined, "http"] })
      yield* monitor.watch(task, [], [readinessCheck({ path, portName: "http", preserveLastResponse: true })])
      expect(Option.getOrThrow(yield* monitor.get(task.taskId))).toMatchObject({ alive: true, ready: false })
      yield* until("not ready yet", () => ((web.hits.get(path) ?? 0) >= 3 ? true : undefined))
      expect(Option.getOrThrow(yield* monitor.get(task.taskId)).readiness).toEqual([
        {
          ready: false,
          status: 503,
          message: `HTTP 127.0.0.1:${web.port}${path}: 503 (ready on 200)`,
          lastResponse: { status: 503, body: "" }
        }
      ])
      const snapshot = Option.getOrThrow(yield* monitor.get(task.taskId))
      web.routes.set(path, { status: 200, body: "ok" })
      yield* until("ready", () => (labelsOf(seen, task.taskId).includes("ready=true") ? true : undefined))
      // a snapshot does not change afterwards
      expect(snapshot.readiness[0]?.ready).toBe(false)
      const hits = web.hits.get(path)
      yield* Effect.sleep(400)
      expect(web.hits.get(path)).toBe(hits)
      expect(labelsOf(seen, task.taskId)).toEqual(["alive=true", "ready=true"])
      expect(Option.getOrThrow(yield* monitor.get(task.taskId))).toMatchObject({
        ready: true,
        readiness: [{ ready: true, status: 200, lastResponse: { status: 200, body: "ok" } }]
      })
    })
  )

  it.live("the first check waits delaySeconds after the task started", () =>
    Effect.gen(function* () {
      const { monitor } = yield* openMonitor()
      const path = route(200)
      const task = target([web.port])
      yield* monitor.watch(task, [healthCheck({ path, delaySeconds: 0.5 })], [])
      yield* until("first check", () => web.times.get(path)?.[0])
      expect(web.times.get(path)![0]).toBeGreaterThanOrEqual(task.startedAt + 500)
    })
  )

  it.live("a resumed healthy task stays alive and ready at once, is checked at once, and a failure counts", () =>
    Effect.gen(function* () {
      const { monitor, seen } = yield* openMonitor()
      const path = route(200)
      const ready = route(503)
      // started long ago, first check due in 15 s were it new: resumed, it is checked right away
      const task = target([web.port], { startedAt: Date.now() - 3_600_000 })
      const check = healthCheck({ path, delaySeconds: 15, intervalSeconds: 60, maxConsecutiveFailures: 1 })
      const watchedAt = Date.now()
      yield* monitor.watch(task, [check], [readinessCheck({ path: ready })], { alive: true, ready: true })
      expect(Option.getOrThrow(yield* monitor.get(task.taskId))).toMatchObject({ alive: true, ready: true })
      const first = yield* until("first check", () => web.times.get(path)?.[0])
      expect(first - watchedAt).toBeLessThan(1_000)
      yield* until("the stored verdict confirmed", () =>
        labelsOf(seen, task.taskId).includes("alive=true") ? true : undefined
      )
      yield* Effect.sleep(100)
      // one event, the first verdict (it confirms the stored one); readiness passed before: not checked again
      expect(labelsOf(seen, task.taskId)).toEqual(["alive=true"])
      expect(web.hits.get(ready)).toBeUndefined()

      // a resumed healthy task whose check fails: no grace period, killed at the first failure
      const failing = route(500)
      const broken = target([web.port])
      yield* monitor.watch(broken, [{ ...check, path: failing, gracePeriodSeconds: 300 }], [], {
        alive: true,
        ready: true
      })
      yield* until("Unhealthy", () => (labelsOf(seen, broken.taskId).includes("Unhealthy") ? true : undefined), 3_000)
      expect(labelsOf(seen, broken.taskId)).toEqual(["alive=false", "Unhealthy"])
    })
  )

  it.live("a resumed task without a stored verdict (older state) gets its first check at once too", () =>
    Effect.gen(function* () {
      const { monitor, seen } = yield* openMonitor()
      const path = route(200)
      const task = target([web.port])
      yield* monitor.watch(task, [healthCheck({ path, delaySeconds: 15, intervalSeconds: 60 })], [], {
        alive: undefined,
        ready: false
      })
      expect(Option.getOrThrow(yield* monitor.get(task.taskId))).toMatchObject({ alive: undefined, ready: true })
      yield* until("alive", () => (labelsOf(seen, task.taskId).includes("alive=true") ? true : undefined), 3_000)
      expect(labelsOf(seen, task.taskId)).toEqual(["ready=true", "alive=true"])
    })
  )

  it.live("unwatch stops the checks and forgets the task", () =>
    Effect.gen(function* () {
      const { monitor } = yield* openMonitor()
      const path = route(200)
      const task = target([web.port])
      yield* monitor.watch(task, [healthCheck({ path })], [])
      yield* until("checks", () => ((web.hits.get(path) ?? 0) >= 2 ? true : undefined))
      yield* monitor.unwatch(task.taskId)
      const hits = web.hits.get(path)
      yield* Effect.sleep(300)
      expect(web.hits.get(path)).toBe(hits)
      expect(yield* monitor.get(task.taskId)).toEqual(Option.none())
      expect(yield* monitor.all).toEqual([])
      yield* monitor.unwatch("never-watched")
    })
  )

  it.live("closing the layer's scope stops every check", () =>
    Effect.gen(function* () {
      const path = route(200)
      yield* Effect.scoped(
        Effect.gen(function* () {
          const { monitor } = yield* openMonitor()
          yield* monitor.watch(target([web.port]), [healthCheck({ path })], [])
          yield* until("checks", () => ((web.hits.get(path) ?? 0) >= 2 ? true : undefined))
        })
      )
      const hits = web.hits.get(path)
      yield* Effect.sleep(300)
      expect(web.hits.get(path)).toBe(hits)
    })
  )

  it.live("many tasks watched at once: first checks spread out, and at most maxConcurrentChecks at a time", () =>
    Effect.gen(function* () {
      const { monitor } = yield* openMonitor({ firstCheckSpreadMs: 1_000, maxConcurrentChecks: 8 })
      const path = `/r${++counter}`
      web.routes.set(path, { status: 200, delayMs: 20 })
      const tasks = Array.from({ length: 200 }, () => target([web.port]))
      const watching = yield* Effect.forEach(
        tasks,
        (task) => monitor.watch(task, [healthCheck({ path, intervalSeconds: 5 })], []),
        {
          discard: true
        }
      ).pipe(Effect.forkChild)
      yield* Fiber.join(watching)
      yield* until("every first check", () => ((web.hits.get(path) ?? 0) >= 200 ? true : undefined), 10_000)
      const times = web.times.get(path)!.slice(0, 200)
      const spread = Math.max(...times) - Math.min(...times)
      expect(spread).toBeGreaterThan(500)
      expect(web.peak.get(path)).toBeLessThanOrEqual(8)
      const all = yield* until("every task alive", () => {
        const list = Effect.runSync(monitor.all)
        return list.every((health) => health.alive === true) ? list : undefined
      })
      expect(all.length).toBe(200)
    })
  )
})
