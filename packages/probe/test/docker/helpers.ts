/**
 * Helpers for the tests (and the benchmark) that use a Docker engine: JSON requests to it, containers of the
 * test image that their test removes, a Docker collector on a registry of its own, and waiting for a state.
 */
import { PluginRegistry } from "@orchestrator/core"
import { Effect } from "effect"
import { engineRequest } from "../../../../test/fixtures/dockerApi.js"
import { sleep } from "../../../../test/fixtures/process.js"
import * as DockerCollector from "../../src/DockerCollector.js"

/** Sends a request to an engine and parses its JSON answer; an answer of status 300 or more throws. */
export type EngineApi = (method: string, path: string, body?: unknown) => Promise<unknown>

/** The engine API at `socketPath`, with a JSON body when one is given and 30 s per request. */
export const engineApi =
  (socketPath: string): EngineApi =>
  async (method, path, body) => {
    const answer = await engineRequest(socketPath, method, path, {
      ...(body === undefined ? {} : { body: Buffer.from(JSON.stringify(body)), contentType: "application/json" }),
      timeoutMs: 30_000
    })
    if (answer.status >= 300) throw new Error(`docker ${method} ${path}: ${answer.status} ${answer.body}`)
    return answer.body === "" ? undefined : JSON.parse(answer.body)
  }

/** A command for the test image that runs until stopped and exits at once on SIGTERM (no grace period). */
export const sleeper = { Cmd: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.2; done"] }

/**
 * The containers one test file makes on an engine. `run` creates a container of `image` named
 * `<prefix><suffix>-<pid>` and starts it unless told not to; `removeAll` removes every container whose name
 * has `prefix`, so those an interrupted earlier run left go too (call it before and after the tests).
 */
export const testContainers = (socketPath: string, image: string, prefix: string) => {
  const api = engineApi(socketPath)
  const created: Array<string> = []
  const run = async (suffix: string, spec: Record<string, unknown>, start = true) => {
    const name = `${prefix}${suffix}-${process.pid}`
    const { Id: id } = (await api("POST", `/containers/create?name=${name}`, { Image: image, ...spec })) as {
      Id: string
    }
    created.push(id)
    if (start) await api("POST", `/containers/${id}/start`)
    return { id, name }
  }
  const removeAll = async () => {
    const filters = encodeURIComponent(JSON.stringify({ name: [prefix] }))
    const list = (await api("GET", `/containers/json?all=1&filters=${filters}`)) as Array<{ Id: string }>
    await Promise.all(
      [...new Set([...list.map((c) => c.Id), ...created.splice(0)])].map((id) =>
        engineRequest(socketPath, "DELETE", `/containers/${id}?force=1&v=1`, { timeoutMs: 30_000 })
      )
    )
  }
  return { api, run, removeAll }
}

/** A container started on the shared dockerd, for the tests that look at its processes and sockets. */
export interface Container {
  readonly id: string
  readonly pid: number
  readonly ip: string
}

/** Creates and starts a container running `cmd` in `image`; resolves with its id, main pid and bridge IP. */
const runContainer = async (
  socketPath: string,
  image: string,
  cmd: ReadonlyArray<string>,
  name: string
): Promise<Container> => {
  const api = engineApi(socketPath)
  const created = (await api("POST", `/containers/create?name=${name}`, {
    Image: image,
    Cmd: cmd,
    Labels: { "orchestrator.test": "probe-proc" }
  })) as { Id: string }
  await api("POST", `/containers/${created.Id}/start`)
  const inspect = (await api("GET", `/containers/${created.Id}/json`)) as {
    State: { Pid: number }
    NetworkSettings: { IPAddress: string }
  }
  return { id: created.Id, pid: inspect.State.Pid, ip: inspect.NetworkSettings.IPAddress }
}

/** Removes a container, running or not. */
const removeContainer = async (socketPath: string, id: string): Promise<void> => {
  await engineRequest(socketPath, "DELETE", `/containers/${id}?force=true`, { timeoutMs: 30_000 }).catch(() => {})
}

/**
 * A container running `cmd` in `image` on the engine at `socketPath`, with its id, main pid and bridge IP;
 * removed when the scope closes.
 */
export const scopedContainer = (socketPath: string, image: string, cmd: ReadonlyArray<string>, name: string) =>
  Effect.acquireRelease(
    Effect.promise(() => runContainer(socketPath, image, cmd, name)),
    (container) => Effect.promise(() => removeContainer(socketPath, container.id))
  )

/**
 * A Docker collector registered (with `options`) on a registry of its own; `collect` runs it as the probe of
 * `hostId`, and `requests` holds when it asked for an early report.
 */
export const dockerCollector = (hostId: string, options: DockerCollector.Options, budgetMs = 10_000) => {
  const plugin = DockerCollector.plugin()
  const host = new PluginRegistry.PluginHost()
  host.register(plugin, options)
  const requests: Array<number> = []
  const probe = { hostId, probeId: "p1", requestReport: () => requests.push(Date.now()) }
  return { plugin, requests, collect: () => host.runCollectors(probe, budgetMs) }
}

/** Polls `predicate` every 20 ms until it holds; throws naming `what` after `timeoutMs`. */
export const until = async (
  what: string,
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 10_000
): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(20)
  }
}
