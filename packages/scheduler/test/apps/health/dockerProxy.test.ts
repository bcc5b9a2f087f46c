/**
 * TCP health checks against a real published port (the shared dockerd runs with `--iptables=false`, so the port
 * is docker-proxy, as any connection to a published port from the container's own host is): docker-proxy accepts
 * every connection and closes it at once while nothing listens in the container, so a task whose server is not up
 * must not pass; once httpd listens, it does.
 */
import { describe, expect, it } from "@effect/vitest"
import Dockerode from "dockerode"
import { Effect, Schema } from "effect"
import { afterAll } from "vitest"
import { dockerFixture, requireDocker } from "../../../../../test/fixtures/index.js"
import { freePorts } from "../../../../../test/fixtures/process.js"
import { checkOnce } from "../../../src/apps/health/checkOnce.js"
import type { HealthTarget } from "../../../src/apps/health/HealthTarget.js"
import { HealthCheck } from "../../../src/apps/model/AppDefinition.js"

const tcpCheck = Schema.decodeUnknownSync(HealthCheck)({ protocol: "TCP", timeoutSeconds: 2 })

describe.skipIf(dockerFixture() === null)("TCP health checks through docker-proxy (the shared dockerd)", () => {
  const { socketPath, testImage } = dockerFixture() === null ? { socketPath: "", testImage: "" } : requireDocker()
  const docker = new Dockerode({ socketPath })
  const name = `orch-sched-test-tcp-proxy-${process.pid}`
  afterAll(async () => {
    await docker
      .getContainer(name)
      .remove({ force: true })
      .catch(() => undefined)
  })

  it.live("fails while nothing listens behind the published port, passes once httpd does", () =>
    Effect.gen(function* () {
      const [hostPort = 0] = yield* Effect.promise(() => freePorts(1))
      // httpd starts listening 3 s after the container starts
      const container = yield* Effect.promise(() =>
        docker.createContainer({
          name,
          Image: testImage,
          Cmd: ["sh", "-c", "mkdir -p /www && echo ok > /www/index.html && sleep 3 && exec httpd -f -p 8080 -h /www"],
          ExposedPorts: { "8080/tcp": {} },
          HostConfig: { PortBindings: { "8080/tcp": [{ HostIp: "127.0.0.1", HostPort: String(hostPort) }] } }
        })
      )
      yield* Effect.promise(() => container.start())
      const target: HealthTarget = {
        taskId: "web.1",
        host: "127.0.0.1",
        ports: [hostPort],
        agentUrl: "http://127.0.0.1:1",
        startedAt: Date.now()
      }
      const early = yield* checkOnce(tcpCheck, target)
      expect(early).toMatchObject({
        healthy: false,
        message: `TCP 127.0.0.1:${hostPort}: connected, then closed at once (a proxy in front of a port nothing listens on?)`
      })
      let later = early
      for (let i = 0; i < 50 && !later.healthy; i++) {
        yield* Effect.sleep("200 millis")
        later = yield* checkOnce(tcpCheck, target)
      }
      expect(later).toMatchObject({ healthy: true, message: `TCP 127.0.0.1:${hostPort}: connected` })
    })
  )
})
