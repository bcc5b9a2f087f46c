import { readFileSync } from "node:fs"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { DockerClient } from "@orchestrator/core/docker"
import Dockerode from "dockerode"
import { Context, Effect, Fiber, Layer, Stream } from "effect"
import { dockerFixture, type PrivateRegistry, requireDocker, startRegistry } from "../../../../test/fixtures/index.js"
import { Agent } from "../../src/cluster/agent/Agent.js"
import type { DockerContainerizer } from "../../src/cluster/containerizer/DockerContainerizer.js"
import type { TaskSpec, TaskStatus } from "../../src/cluster/Task.js"
import { containerizers } from "./containerizerHarness.js"
import { eventually, inspect, logsOf, removeContainersOf, uniqueId } from "./helpers.js"

const fixture = dockerFixture()

/** Waits for a progress stream (push, pull) to end; rejects with the engine's error event. */
const follow = (docker: Dockerode, stream: NodeJS.ReadableStream): Promise<void> =>
  new Promise((resolve, reject) =>
    docker.modem.followProgress(stream, (error, events: Array<{ error?: string }>) => {
      const failed = events.find((event) => event.error !== undefined)
      if (error !== null) reject(error)
      else if (failed !== undefined) reject(new Error(failed.error))
      else resolve()
    })
  )

describe.skipIf(fixture === null)("DockerContainerizer image pulls (a real local registry)", () => {
  const { socketPath, testImage } = fixture === null ? { socketPath: "", testImage: "" } : requireDocker()
  const docker = new Dockerode({ socketPath })
  let registry: PrivateRegistry | undefined
  const openContainerizer = containerizers(socketPath, "pull")
  const images: Array<string> = []

  beforeAll(async () => {
    registry = await startRegistry()
  }, 60_000)
  afterAll(async () => {
    for (const image of images)
      await docker
        .getImage(image)
        .remove({ force: true })
        .catch(() => undefined)
    await registry?.stop()
  }, 60_000)

  const repo = (name: string) => `${registry!.address}/orchestrator/${name}`

  /** Tags the local image `source` as `target` (`repo:tag`) and pushes it to the registry. */
  const push = async (source: string, target: string) => {
    const [repository, tag] = [target.slice(0, target.lastIndexOf(":")), target.slice(target.lastIndexOf(":") + 1)]
    await docker.getImage(source).tag({ repo: repository, tag })
    if (!images.includes(target)) images.push(target)
    await follow(docker, await docker.getImage(target).push({ authconfig: { serveraddress: registry!.address } }))
  }

  const untag = (image: string) => docker.getImage(image).remove()

  /** An image like the test image, with `/marker` holding `text` (`docker commit` of a container that wrote it). */
  const imageWithMarker = async (text: string, target: string): Promise<string> => {
    const container = await docker.createContainer({ Image: testImage, Cmd: ["sh", "-c", `echo ${text} > /marker`] })
    await container.start()
    await container.wait()
    const [repository, tag] = [target.slice(0, target.lastIndexOf(":")), target.slice(target.lastIndexOf(":") + 1)]
    const committed = (await container.commit({ repo: repository, tag })) as { Id: string }
    await container.remove({ force: true })
    if (!images.includes(target)) images.push(target)
    return committed.Id
  }

  const open = () => openContainerizer()

  const task = (taskId: string, image: string, extra: Partial<TaskSpec> = {}): TaskSpec => ({
    taskId,
    image,
    command: ["sh", "-c", "cat /marker 2>/dev/null || echo no-marker"],
    resources: { cpus: 0.1, mem: 32 },
    ...extra
  })

  /** Runs a task to its end and returns its end status, its container's image id and its output. */
  const runToEnd = (containerizer: DockerContainerizer["Service"], spec: TaskSpec) =>
    Effect.gen(function* () {
      const ended = yield* containerizer.updates.pipe(
        Stream.filter((s) => s.taskId === spec.taskId && ["finished", "failed", "killed"].includes(s.state)),
        Stream.runHead,
        Effect.map((status) => (status._tag === "Some" ? status.value : undefined)),
        Effect.timeout("60 seconds"),
        Effect.forkChild
      )
      yield* Effect.sleep("20 millis")
      const launched = yield* containerizer.launch("fw", spec)
      expect(launched.state).toBe("running")
      const end = yield* Fiber.join(ended)
      const info = yield* Effect.promise(() => inspect(socketPath, launched.containerId!))
      const output = yield* Effect.promise(() => logsOf(socketPath, launched.containerId!))
      return { end, image: (info as unknown as { Image: string }).Image, output: output.trim() }
    })

  /** How many times the registry's access log shows a lookup (GET or HEAD) of `name:tag`'s manifest. */
  const manifestLookups = (name: string, tag: string): number =>
    readFileSync(registry!.logPath, "utf8")
      .split("\n")
      .filter((line) => line.includes(`/v2/orchestrator/${name}/manifests/${tag} HTTP`) && /"(GET|HEAD) /.test(line))
      .length

  const imageId = async (image: string) => (await docker.getImage(image).inspect()).Id

  it.live(
    "pulls an image the engine lacks (concurrent launches share one pull) and fails a task whose image is missing",
    () =>
      Effect.gen(function* () {
        const image = `${repo("busybox")}:pull`
        yield* Effect.promise(() => push(testImage, image))
        yield* Effect.promise(() => untag(image))
        const before = manifestLookups("busybox", "pull")
        const containerizer = yield* open()
        const launched = yield* Effect.forEach(
          ["a", "b", "c"],
          (id) => containerizer.launch("fw", task(`pulled-${id}`, image, { command: ["sleep", "600"] })),
          { concurrency: "unbounded" }
        )
        expect(launched.map((status: TaskStatus) => status.state)).toEqual(["running", "running", "running"])
        expect(yield* Effect.promise(() => imageId(image))).toBe(yield* Effect.promise(() => imageId(testImage)))
        // one pull: the registry was asked for the tag's manifest once
        expect(manifestLookups("busybox", "pull") - before).toBe(1)

        const missing = `${repo("nope")}:1`
        const failed = yield* containerizer.launch("fw", task("missing", missing))
        expect(failed).toMatchObject({ taskId: "missing", state: "failed" })
        expect(failed.message).toContain(`cannot pull image ${missing}:`)
        expect(failed.message).toMatch(/not found|unknown/i)
      }),
    120_000
  )

  it.live(
    "forcePullImage pulls the registry's new image under the same tag; a launch without it keeps the local one",
    () =>
      Effect.gen(function* () {
        const image = `${repo("marked")}:v`
        const tag = { repo: repo("marked"), tag: "v" }
        // the registry holds an image with a marker; locally the tag points at the plain test image again
        const marked = yield* Effect.promise(() => imageWithMarker("second", image))
        yield* Effect.promise(async () =>
          follow(docker, await docker.getImage(image).push({ authconfig: { serveraddress: registry!.address } }))
        )
        yield* Effect.promise(() => docker.getImage(testImage).tag(tag))
        const plain = yield* Effect.promise(() => imageId(testImage))
        expect(marked).not.toBe(plain)
        const containerizer = yield* open()
        const kept = yield* runToEnd(containerizer, task("kept", image))
        expect(kept).toMatchObject({ end: { state: "finished", exitCode: 0 }, image: plain, output: "no-marker" })
        const forced = yield* runToEnd(containerizer, task("forced", image, { forcePullImage: true }))
        expect(forced).toMatchObject({ end: { state: "finished", exitCode: 0 }, image: marked, output: "second" })
        expect(yield* Effect.promise(() => imageId(image))).toBe(marked)
      }),
    120_000
  )

  it.live(
    "an agent kills a task whose image is still being pulled once its container starts",
    () =>
      Effect.gen(function* () {
        const image = `${repo("busybox")}:slow-kill`
        yield* Effect.promise(() => push(testImage, image))
        yield* Effect.promise(() => untag(image))
        const agentId = uniqueId("pullkill")
        yield* Effect.addFinalizer(() => Effect.promise(() => removeContainersOf(socketPath, agentId)))
        const context = yield* Layer.build(
          Agent.layer({
            agentId,
            host: "127.0.0.1",
            port: 0,
            // no master answers here: the agent runs tasks on its own
            masterUrl: "http://127.0.0.1:9",
            resources: { cpus: 1, mem: 256 },
            heartbeatIntervalMs: 60_000
          }).pipe(Layer.provide(DockerClient.layer({ socketPath })))
        )
        const agent = Context.get(context, Agent)
        const starting = yield* agent.launch({
          frameworkId: "fw",
          task: task("pulled-then-killed", image, { command: ["sleep", "600"] })
        })
        expect(starting.state).toBe("starting")
        // at once: the image is still being pulled, there is no container to signal yet
        const answered = yield* agent.kill("pulled-then-killed")
        expect(answered.taskId).toBe("pulled-then-killed")
        const end = yield* Effect.promise(() =>
          eventually(
            "the task killed",
            async () => {
              const tasks = await Effect.runPromise(agent.tasks)
              const found = tasks.find((t) => t.taskId === "pulled-then-killed")
              return found !== undefined && found.state !== "starting" && found.state !== "running" ? found : undefined
            },
            60_000
          )
        )
        expect(end).toMatchObject({ state: "killed" })
      }),
    120_000
  )
})
