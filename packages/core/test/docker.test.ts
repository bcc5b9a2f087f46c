import { DockerClient, DockerError, DockerUnavailable } from "@orchestrator/core/docker"
import { describe, expect, it, layer } from "@effect/vitest"
import { Effect } from "effect"
import { dockerFixture } from "../../../test/fixtures/index.js"

const fixture = dockerFixture()
const label = { "orchestrator.test": "core/docker.test" }

describe("DockerClient.layer", () => {
  it.effect("fails with DockerUnavailable when nothing answers on the socket", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        Effect.gen(function* () {
          return yield* DockerClient
        }).pipe(Effect.provide(DockerClient.layer({ socketPath: "/nonexistent/docker.sock", pingTimeoutMs: 1_000 })))
      )
      expect(error).toBeInstanceOf(DockerUnavailable)
      expect({ tag: error._tag, socketPath: error.socketPath }).toEqual({
        tag: "DockerUnavailable",
        socketPath: "/nonexistent/docker.sock"
      })
      expect(error.reason).toMatch(/ENOENT/)
      expect(error.message).toMatch(/^Docker engine unavailable at \/nonexistent\/docker\.sock: /)
    })
  )
})

describe.skipIf(fixture === null)("DockerClient against the real engine", () => {
  const socketPath = fixture?.socketPath ?? ""
  const image = fixture?.testImage ?? ""

  layer(DockerClient.layer({ socketPath }))((it) => {
    it.effect("pings the engine", () =>
      Effect.gen(function* () {
        const docker = yield* DockerClient
        expect(docker.socketPath).toBe(socketPath)
        yield* docker.ping
        const version = yield* docker.use("version", (d) => d.version())
        expect(version.ApiVersion).toMatch(/^1\.\d+$/)
      })
    )

    it.effect("creates a sleeping container from the test image, inspects it and removes it", () =>
      Effect.gen(function* () {
        const docker = yield* DockerClient
        const id = yield* Effect.acquireRelease(
          docker
            .use("createContainer", (d) =>
              d.createContainer({
                Image: image,
                Cmd: ["sleep", "300"],
                Labels: label,
                HostConfig: { AutoRemove: false, Memory: 32 * 1024 * 1024 }
              })
            )
            .pipe(Effect.map((container) => container.id)),
          (id) => docker.use("removeContainer", (d) => d.getContainer(id).remove({ force: true })).pipe(Effect.ignore)
        )
        yield* docker.use("startContainer", (d) => d.getContainer(id).start())
        const inspect = yield* docker.use("inspectContainer", (d) => d.getContainer(id).inspect())
        expect({
          id: inspect.Id,
          image: inspect.Config.Image,
          cmd: inspect.Config.Cmd,
          labels: inspect.Config.Labels,
          running: inspect.State.Running,
          memory: inspect.HostConfig.Memory
        }).toEqual({
          id,
          image,
          cmd: ["sleep", "300"],
          labels: label,
          running: true,
          memory: 32 * 1024 * 1024
        })
        const top = yield* docker.use("topContainer", (d) => d.getContainer(id).top())
        expect((top as { Processes: Array<Array<string>> }).Processes.map((row) => row.at(-1))).toContainEqual(
          "sleep 300"
        )

        yield* docker.use("removeContainer", (d) => d.getContainer(id).remove({ force: true }))
        const gone = yield* Effect.flip(docker.use("inspectContainer", (d) => d.getContainer(id).inspect()))
        expect(gone).toBeInstanceOf(DockerError)
        expect({ tag: gone._tag, operation: gone.operation, statusCode: gone.statusCode }).toEqual({
          tag: "DockerError",
          operation: "inspectContainer",
          statusCode: 404
        })
        expect(gone.reason).toMatch(/No such container/)
      })
    )

    it.effect("runs a command in the test image and reads its output", () =>
      Effect.gen(function* () {
        const docker = yield* DockerClient
        const id = yield* Effect.acquireRelease(
          docker
            .use("createContainer", (d) =>
              d.createContainer({ Image: image, Cmd: ["sh", "-c", "echo hello from $(hostname)"], Labels: label })
            )
            .pipe(Effect.map((container) => container.id)),
          (id) => docker.use("removeContainer", (d) => d.getContainer(id).remove({ force: true })).pipe(Effect.ignore)
        )
        yield* docker.use("startContainer", (d) => d.getContainer(id).start())
        const exit = yield* docker.use("waitContainer", (d) => d.getContainer(id).wait())
        expect(exit.StatusCode).toBe(0)
        const logs = yield* docker.use("containerLogs", (d) =>
          d.getContainer(id).logs({ stdout: true, stderr: true, follow: false })
        )
        // non-TTY logs are multiplexed: 8-byte frame headers before each chunk
        expect(Buffer.from(logs).subarray(8).toString("utf8")).toBe(`hello from ${id.slice(0, 12)}\n`)
      })
    )
  })
})
