import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { checkOnce } from "../../../src/apps/health/checkOnce.js"
import { tcpSettleMs } from "../../../src/apps/health/checks/tcp.js"
import type { HealthTarget } from "../../../src/apps/health/HealthTarget.js"
import { readyOnce } from "../../../src/apps/health/readiness.js"
import { HealthCheck, ReadinessCheck } from "../../../src/apps/model/AppDefinition.js"
import { closedPort, selfSignedCertificate, startHttpServer, startTcpServer, type TestServer } from "./servers.js"

const healthCheck = (input: Record<string, unknown>): HealthCheck => Schema.decodeUnknownSync(HealthCheck)(input)
const readinessCheck = (input: Record<string, unknown>): ReadinessCheck =>
  Schema.decodeUnknownSync(ReadinessCheck)(input)

describe("checkOnce and readyOnce (real servers on loopback)", () => {
  let web: TestServer
  let secure: TestServer
  let tcp: { port: number; close(): Promise<void> }
  let closed: number
  const target = (ports: ReadonlyArray<number>, extra: Partial<HealthTarget> = {}): HealthTarget => ({
    taskId: "web.1",
    host: "127.0.0.1",
    ports,
    agentUrl: "http://127.0.0.1:1",
    startedAt: Date.now(),
    ...extra
  })

  beforeAll(async () => {
    web = await startHttpServer()
    secure = await startHttpServer(selfSignedCertificate())
    tcp = await startTcpServer()
    closed = await closedPort()
    web.routes.set("/ok", { status: 200, body: "fine" })
    web.routes.set("/moved", { status: 302 })
    web.routes.set("/broken", { status: 500 })
    web.routes.set("/slow", { status: 200, delayMs: 2_000 })
    web.routes.set("/hang", { hang: true })
    web.routes.set("/processing", { informationalThenClose: 102 })
    web.routes.set("/big", { status: 200, body: "x".repeat(3_000) })
    web.routes.set("/starting", { status: 503, body: "warming up" })
    secure.routes.set("/ok", { status: 200 })
  })
  afterAll(async () => {
    await Promise.all([web?.close(), secure?.close(), tcp?.close()])
  })

  it.live("HTTP: 200-399 is healthy, 500 is not, and the message names the status", () =>
    Effect.gen(function* () {
      const ok = yield* checkOnce(healthCheck({ path: "/ok" }), target([web.port]))
      expect(ok).toMatchObject({ healthy: true, message: `HTTP 200 from 127.0.0.1:${web.port}/ok` })
      expect(ok.durationMs).toBeGreaterThanOrEqual(0)
      expect(ok.at).toBeGreaterThan(Date.now() - 5_000)
      expect(yield* checkOnce(healthCheck({ path: "/moved" }), target([web.port]))).toMatchObject({
        healthy: true,
        message: `HTTP 302 from 127.0.0.1:${web.port}/moved`
      })
      expect(yield* checkOnce(healthCheck({ path: "/broken" }), target([web.port]))).toMatchObject({
        healthy: false,
        message: `HTTP 500 from 127.0.0.1:${web.port}/broken`
      })
    })
  )

  it.live("HTTP: an answer slower than timeoutSeconds, or none at all, is unhealthy at the timeout", () =>
    Effect.gen(function* () {
      for (const path of ["/slow", "/hang"]) {
        const result = yield* checkOnce(healthCheck({ path, timeoutSeconds: 0.3 }), target([web.port]))
        expect(result).toMatchObject({
          healthy: false,
          message: `HTTP 127.0.0.1:${web.port}${path}: no answer within 300 ms`
        })
        expect(result.durationMs).toBeGreaterThanOrEqual(290)
        expect(result.durationMs).toBeLessThan(1_500)
      }
    })
  )

  it.live("HTTP: a closed port is unhealthy: connection refused", () =>
    Effect.gen(function* () {
      expect(yield* checkOnce(healthCheck({ path: "/" }), target([closed]))).toMatchObject({
        healthy: false,
        message: `HTTP 127.0.0.1:${closed}/: connection refused`
      })
    })
  )

  it.live("HTTP: an informational 1xx with no final status is healthy only with ignoreHttp1xx", () =>
    Effect.gen(function* () {
      expect(yield* checkOnce(healthCheck({ path: "/processing" }), target([web.port]))).toMatchObject({
        healthy: false,
        message: "HTTP 102 (informational) and no final status"
      })
      expect(
        yield* checkOnce(healthCheck({ path: "/processing", ignoreHttp1xx: true }), target([web.port]))
      ).toMatchObject({ healthy: true, message: "HTTP 102 (informational, ignored)" })
    })
  )

  it.live("HTTPS: a self-signed certificate is accepted (as Marathon does); plain HTTP to it fails", () =>
    Effect.gen(function* () {
      expect(yield* checkOnce(healthCheck({ protocol: "HTTPS", path: "/ok" }), target([secure.port]))).toMatchObject({
        healthy: true,
        message: `HTTPS 200 from 127.0.0.1:${secure.port}/ok`
      })
      expect(
        yield* checkOnce(healthCheck({ protocol: "MESOS_HTTPS", path: "/ok" }), target([secure.port]))
      ).toMatchObject({ healthy: true })
      const plain = yield* checkOnce(
        healthCheck({ protocol: "HTTP", path: "/ok", timeoutSeconds: 1 }),
        target([secure.port])
      )
      expect(plain.healthy).toBe(false)
    })
  )

  it.live("TCP: an open port is healthy, a closed one is refused", () =>
    Effect.gen(function* () {
      expect(yield* checkOnce(healthCheck({ protocol: "TCP" }), target([tcp.port]))).toMatchObject({
        healthy: true,
        message: `TCP 127.0.0.1:${tcp.port}: connected`
      })
      expect(yield* checkOnce(healthCheck({ protocol: "MESOS_TCP" }), target([closed]))).toMatchObject({
        healthy: false,
        message: `TCP 127.0.0.1:${closed}: connection refused`
      })
    })
  )

  it.live("TCP: a port that accepts and closes (or resets) at once fails; one that speaks first passes at once", () =>
    Effect.gen(function* () {
      // what docker-proxy does for a published port when nothing listens in the container
      const servers = yield* Effect.promise(() =>
        Promise.all([startTcpServer("close"), startTcpServer("reset"), startTcpServer("banner")])
      )
      const [closing, resetting, banner] = servers
      try {
        for (const port of [closing.port, resetting.port])
          expect(yield* checkOnce(healthCheck({ protocol: "TCP" }), target([port]))).toMatchObject({
            healthy: false,
            message: `TCP 127.0.0.1:${port}: connected, then closed at once (a proxy in front of a port nothing listens on?)`
          })
        const started = Date.now()
        expect(yield* checkOnce(healthCheck({ protocol: "TCP" }), target([banner.port]))).toMatchObject({
          healthy: true
        })
        expect(Date.now() - started).toBeLessThan(tcpSettleMs)
      } finally {
        yield* Effect.promise(() => Promise.all(servers.map((s) => s.close())))
      }
    })
  )

  it.live("the port: `port` wins, else ports[portIndex]; a missing index is unhealthy and says why", () =>
    Effect.gen(function* () {
      expect(
        yield* checkOnce(healthCheck({ protocol: "TCP", portIndex: 1 }), target([closed, tcp.port]))
      ).toMatchObject({ healthy: true })
      expect(yield* checkOnce(healthCheck({ protocol: "TCP", port: tcp.port }), target([]))).toMatchObject({
        healthy: true
      })
      expect(yield* checkOnce(healthCheck({ protocol: "TCP", portIndex: 2 }), target([tcp.port]))).toMatchObject({
        healthy: false,
        message: "task web.1 has no host port at index 2 (it has 1)"
      })
      expect(yield* checkOnce(healthCheck({ path: "/ok" }), target([]))).toMatchObject({
        healthy: false,
        message: "task web.1 has no host port at index 0 (it has 0)"
      })
    })
  )

  it.live("COMMAND: an agent that does not answer is unhealthy with the reason; no command is unhealthy too", () =>
    Effect.gen(function* () {
      const unreachable = yield* checkOnce(
        healthCheck({ protocol: "COMMAND", command: { value: "true" }, timeoutSeconds: 1 }),
        target([], { agentUrl: `http://127.0.0.1:${closed}` })
      )
      expect(unreachable.healthy).toBe(false)
      expect(unreachable.message).toMatch(
        /^command could not run: http:\/\/127\.0\.0\.1:\d+\/api\/v1\/tasks\/web\.1\/exec/
      )
      expect(yield* checkOnce(healthCheck({ protocol: "COMMAND" }), target([]))).toMatchObject({
        healthy: false,
        message: "COMMAND check without command.value"
      })
    })
  )

  it.live("readiness: ready on a status of httpStatusCodesForReady; the port comes from portName", () =>
    Effect.gen(function* () {
      const named = target([closed, web.port], { portNames: ["admin", "http"] })
      expect(yield* readyOnce(readinessCheck({ path: "/ok", portName: "http" }), named)).toEqual({
        ready: true,
        status: 200,
        message: `HTTP 127.0.0.1:${web.port}/ok: 200`
      })
      expect(yield* readyOnce(readinessCheck({ path: "/starting", portName: "http" }), named)).toEqual({
        ready: false,
        status: 503,
        message: `HTTP 127.0.0.1:${web.port}/starting: 503 (ready on 200)`
      })
      expect(
        yield* readyOnce(
          readinessCheck({ path: "/starting", portName: "http", httpStatusCodesForReady: [200, 503] }),
          named
        )
      ).toMatchObject({ ready: true, status: 503 })
      expect(yield* readyOnce(readinessCheck({ path: "/ok", portName: "metrics" }), named)).toEqual({
        ready: false,
        message: 'task web.1 has no port named "metrics" (named ports: admin, http)'
      })
      expect(yield* readyOnce(readinessCheck({ path: "/ok", timeoutSeconds: 0.2 }), target([closed]))).toEqual({
        ready: false,
        message: `HTTP 127.0.0.1:${closed}/ok: connection refused`
      })
    })
  )

  it.live("readiness: preserveLastResponse keeps the status and at most 1 KB of the body", () =>
    Effect.gen(function* () {
      const kept = yield* readyOnce(readinessCheck({ path: "/big", preserveLastResponse: true }), target([web.port]))
      expect(kept).toEqual({
        ready: true,
        status: 200,
        message: `HTTP 127.0.0.1:${web.port}/big: 200`,
        lastResponse: { status: 200, body: "x".repeat(1_024) }
      })
      const starting = yield* readyOnce(
        readinessCheck({ path: "/starting", preserveLastResponse: true }),
        target([web.port])
      )
      expect(starting.lastResponse).toEqual({ status: 503, body: "warming up" })
      const notKept = yield* readyOnce(readinessCheck({ path: "/big" }), target([web.port]))
      expect(notKept.lastResponse).toBeUndefined()
    })
  )
})
