import { Report } from "@orchestrator/core"
import { describe, expect, it } from "@effect/vitest"
import { Clock, Duration, Effect, Fiber, Schedule, Stream } from "effect"
import { TestClock } from "effect/testing"
import * as ProbeConfig from "../src/ProbeConfig.js"
import * as Publisher from "../src/Publisher.js"
import type { Snapshot } from "../src/ReportBuilder.js"
import { type FakeApp, makeFakeApp, waitFor } from "./fakeApp.js"

const fakeApp = (options: { token?: string } = {}) =>
  Effect.acquireRelease(
    Effect.promise(() => makeFakeApp(options)),
    (app) => Effect.promise(() => app.close())
  )

const settings = (app: FakeApp, overrides: Partial<ProbeConfig.ProbeConfig> = {}): ProbeConfig.ProbeConfig => {
  const config = ProbeConfig.make({
    appUrl: app.url,
    intervalMs: 100,
    requestTimeoutMs: 1_000,
    backoffInitialMs: 40,
    backoffMaxMs: 200,
    maxQueued: 3,
    ...overrides
  })
  if (config instanceof ProbeConfig.ConfigError) throw config
  return config
}

const publisher = (app: FakeApp, overrides: Partial<ProbeConfig.ProbeConfig> = {}) =>
  Publisher.make({ config: settings(app, overrides), probeId: "probe-1", hostname: "node-1" })

const container = (id: string, name: string, t: number) =>
  Report.makeNode("containers", id, {
    latest: Report.latestFields(t, { docker_container_name: name }),
    metrics: { cpu: [[t, t / 1000]] }
  })

const snap = (t: number, names: Record<string, string> = { a: "web" }): Snapshot => ({
  timestamp: t,
  topologies: {
    containers: Object.fromEntries(Object.entries(names).map(([id, name]) => [id, container(id, name, t)]))
  },
  health: [{ name: "host/collector/host", status: "ok", timestamp: t }]
})

const kinds = (app: FakeApp) => app.reports().map((r) => `${r.kind}:${r.seq}`)
const reportAnswers = (app: FakeApp) => app.received.filter((r) => r.report !== undefined).map((r) => r.answer)

describe("Publisher (against a local HTTP server)", () => {
  it.live("registers, then publishes gzip reports: a full one, then deltas carrying only changes", () =>
    Effect.gen(function* () {
      const app = yield* fakeApp({ token: "s3cret-token" })
      const pub = yield* publisher(app, { token: "s3cret-token" })
      yield* pub.offer(snap(1_000, { a: "web", b: "db" }))
      yield* pub.flush
      yield* pub.offer(snap(2_000, { a: "web" }))
      yield* pub.flush
      expect(kinds(app)).toEqual(["full:0", "delta:1"])
      expect(app.received[0]).toMatchObject({ method: "POST", path: "/api/v1/agents/register" })
      expect(app.received.every((r) => r.authorization === "Bearer s3cret-token")).toBe(true)
      expect(app.received.filter((r) => r.report).every((r) => r.encoding === "gzip")).toBe(true)
      expect(app.reports()[1]!.topologies).toEqual({
        containers: { nodes: { a: container("a", "web", 2_000) }, removed: ["b"] }
      })
      expect(app.state("probe-1")?.nodeCount).toBe(1)
      const stats = pub.stats()
      expect(stats).toMatchObject({
        agentId: "probe-1",
        registered: true,
        registrations: 1,
        published: 2,
        fullReports: 1,
        deltaReports: 1,
        failed: 0,
        queued: 0,
        lastSeq: 1,
        configVersion: 1
      })
      expect(stats.bytes).toBeGreaterThan(0)
      expect(stats.rawBytes).toBeGreaterThan(stats.bytes)
    })
  )

  it.live("retries with growing backoff on 500s, resends full after a 409, and re-registers after a 404", () =>
    Effect.gen(function* () {
      const app = yield* fakeApp()
      const pub = yield* publisher(app, { backoffInitialMs: 150, backoffMaxMs: 600 })
      yield* pub.offer(snap(1_000))
      yield* pub.flush
      app.script.push(500, 500, 500, 409, "unknown_agent")
      yield* pub.offer(snap(2_000, { a: "web2" }))
      yield* pub.flush
      expect(reportAnswers(app)).toEqual([200, 500, 500, 500, 409, 404, 200])
      // After the first 500 the outcome is unknown: every later report is full until one is accepted.
      expect(kinds(app)).toEqual(["full:0", "delta:1", "full:2", "full:3", "full:4", "full:5", "full:6"])
      // The 409 is answered at once with a full report; the 404 triggers a registration before the next one.
      const reports = app.received.filter((r) => r.report !== undefined)
      expect(reports[5]!.at - reports[4]!.at).toBeLessThan(100)
      const secondRegistration = app.received.findLastIndex((r) => r.path === "/api/v1/agents/register")
      expect(app.registrations()).toBe(2)
      expect(secondRegistration).toBeGreaterThan(app.received.indexOf(reports[5]!))
      expect(secondRegistration).toBeLessThan(app.received.indexOf(reports[6]!))
      // Backoff between the 500s: about 150, 300 ms (jittered by 20%).
      const gaps = [reports[2]!.at - reports[1]!.at, reports[3]!.at - reports[2]!.at]
      expect(gaps[0]).toBeGreaterThanOrEqual(150 * 0.8 - 5)
      expect(gaps[1]).toBeGreaterThanOrEqual(300 * 0.8 - 5)
      expect(app.state("probe-1")!.topologies.get("containers")!.get("a")!.latest.docker_container_name!.value).toBe(
        "web2"
      )
      // Three 500s and the 404 failed; the 409 was answered by the full report that followed it.
      expect(pub.stats()).toMatchObject({ published: 2, failed: 4, resyncs: 1, registrations: 2 })
    })
  )

  it.live("keeps at most maxQueued collections while the app is down, then one report folds them in", () =>
    Effect.gen(function* () {
      const app = yield* fakeApp()
      const pub = yield* publisher(app)
      yield* pub.offer(snap(1_000))
      yield* pub.flush
      yield* Effect.promise(() => app.stop())
      for (let i = 2; i <= 12; i++) yield* pub.offer(snap(i * 1_000))
      const down = pub.stats()
      expect(down.queued).toBeLessThanOrEqual(3)
      expect(down.dropped).toBeGreaterThanOrEqual(8)
      yield* waitFor("a failed attempt", () => pub.stats().failed > 0)
      expect(pub.stats().lastError?.message).toMatch(/ECONNREFUSED/)
      yield* Effect.promise(() => app.start())
      yield* pub.flush
      // Refused connections never reached the app: the same delta (seq 1) is rebuilt from the newest data.
      expect(kinds(app)).toEqual(["full:0", "delta:1"])
      expect(app.reports()[1]!.topologies.containers!.nodes.a!.metrics.cpu).toEqual([
        [10_000, 10],
        [11_000, 11],
        [12_000, 12]
      ])
    })
  )

  it.live("times out an app that does not answer and sends a full report next", () =>
    Effect.gen(function* () {
      const app = yield* fakeApp()
      const pub = yield* publisher(app, { requestTimeoutMs: 150 })
      yield* pub.offer(snap(1_000))
      yield* pub.flush
      app.script.push("hang")
      yield* pub.offer(snap(2_000, { a: "web2" }))
      yield* pub.flush
      expect(kinds(app)).toEqual(["full:0", "delta:1", "full:2"])
      expect(pub.stats().lastError?.message).toMatch(/no answer .* within 150 ms/)
    })
  )

  it.live("drops a report the app rejects as too large instead of retrying it", () =>
    Effect.gen(function* () {
      const app = yield* fakeApp()
      const pub = yield* publisher(app)
      app.script.push(413)
      yield* pub.offer(snap(1_000))
      yield* pub.flush
      yield* pub.offer(snap(2_000))
      yield* pub.flush
      expect(reportAnswers(app)).toEqual([413, 200])
      expect(kinds(app)).toEqual(["full:0", "full:1"])
    })
  )

  it.live("picks up a new agent config from a heartbeat and applies it without restarting", () =>
    Effect.gen(function* () {
      const app = yield* fakeApp()
      const pub = yield* publisher(app, { fullReportEvery: 10 })
      const changes = yield* pub.settingsChanges.pipe(
        Stream.filter((s) => s.configVersion === 2),
        Stream.take(1),
        Stream.runCollect,
        Effect.forkChild
      )
      yield* pub.awaitRegistered
      app.config = {
        configVersion: 2,
        intervalMs: 250,
        fullReportEvery: 1,
        collectors: { host: { enabled: false } },
        controlsEnabled: false
      }
      const seen = yield* Fiber.join(changes)
      expect(seen[0]).toEqual({
        intervalMs: 250,
        fullReportEvery: 1,
        controlsEnabled: false,
        collectors: { host: { enabled: false } },
        configVersion: 2
      })
      expect(app.received.some((r) => r.method === "GET" && r.path === "/api/v1/agents/config/probe-1")).toBe(true)
      for (let i = 1; i <= 3; i++) {
        yield* pub.offer(snap(i * 1_000))
        yield* pub.flush
      }
      expect(kinds(app)).toEqual(["full:0", "full:1", "full:2"])
    })
  )

  it.live("re-registers when a heartbeat finds the app restarted, and sends a full report next", () =>
    Effect.gen(function* () {
      const app = yield* fakeApp()
      const pub = yield* publisher(app)
      yield* pub.offer(snap(1_000))
      yield* pub.flush
      app.forget()
      yield* waitFor("a second registration", () => app.registrations() === 2)
      yield* pub.offer(snap(2_000))
      yield* pub.flush
      expect(kinds(app)).toEqual(["full:0", "full:1"])
      expect(app.state("probe-1")?.seq).toBe(1)
    })
  )

  it.live("reports a missing token clearly and keeps retrying until it is accepted", () =>
    Effect.gen(function* () {
      const app = yield* fakeApp({ token: "right-token" })
      const pub = yield* publisher(app, { token: "wrong-token" })
      yield* waitFor("a failed registration", () => pub.stats().failed >= 2)
      expect(pub.stats().lastError?.message).toMatch(/HTTP 401 unauthorized.*--token/)
      expect(pub.stats().registered).toBe(false)
      app.token = "wrong-token"
      yield* pub.awaitRegistered
    })
  )
})

describe("Publisher.backoff", () => {
  it.effect("grows exponentially with jitter and never waits longer than the cap (TestClock)", () =>
    Effect.gen(function* () {
      const attempts: Array<number> = []
      const failing = Effect.gen(function* () {
        attempts.push(yield* Clock.currentTimeMillis)
        return yield* Effect.fail("down")
      })
      const fiber = yield* failing.pipe(Effect.retry(Publisher.backoff(100, 1_000)), Effect.forkChild)
      yield* TestClock.adjust(Duration.seconds(20))
      yield* Fiber.interrupt(fiber)
      const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!)
      expect(gaps.length).toBeGreaterThan(10)
      // 100, 200, 400, 800 (each +/-20%), then the 1 s cap.
      ;[100, 200, 400, 800].forEach((base, i) => {
        expect(gaps[i]).toBeGreaterThanOrEqual(base * 0.8)
        expect(gaps[i]).toBeLessThanOrEqual(base * 1.2)
      })
      expect(Math.max(...gaps)).toBeLessThanOrEqual(1_000)
      expect(gaps.slice(5).every((gap) => gap === 1_000)).toBe(true)
    })
  )

  it.effect("is a Schedule usable with Effect.retry", () =>
    Effect.gen(function* () {
      const schedule = Publisher.backoff(10, 20).pipe(Schedule.upTo({ times: 3 }))
      let runs = 0
      const fiber = yield* Effect.sync(() => runs++).pipe(
        Effect.andThen(Effect.fail("x")),
        Effect.retry(schedule),
        Effect.exit,
        Effect.forkChild
      )
      yield* TestClock.adjust(Duration.seconds(1))
      yield* Fiber.join(fiber)
      expect(runs).toBe(4)
    })
  )
})
