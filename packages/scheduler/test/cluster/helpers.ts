/**
 * Helpers for the cluster tests and the launch benchmark: containers by agent label (removed after each test),
 * waiting for a condition, and HTTP JSON calls.
 */
import Dockerode from "dockerode"
import { engineRequest } from "../../../../test/fixtures/dockerApi.js"

/** The containers carrying a label (`key=value`), by id. */
export const containersLabelled = async (
  socketPath: string,
  label: string
): Promise<Array<{ Id: string; State: string }>> => {
  const filters = encodeURIComponent(JSON.stringify({ label: [label] }))
  const answer = await engineRequest(socketPath, "GET", `/containers/json?all=1&filters=${filters}`, {
    timeoutMs: 30_000
  })
  return JSON.parse(answer.body) as Array<{ Id: string; State: string }>
}

/** The containers an agent id labelled, by id. */
export const containersOf = (socketPath: string, agentId: string): Promise<Array<{ Id: string; State: string }>> =>
  containersLabelled(socketPath, `orchestrator.agent-id=${agentId}`)

/** Removes every container carrying one of the labels (`key=value`; force, with volumes). */
export const removeContainersLabelled = async (socketPath: string, ...labels: ReadonlyArray<string>): Promise<void> => {
  for (const label of labels) {
    const list = await containersLabelled(socketPath, label)
    await Promise.all(
      list.map((c) => engineRequest(socketPath, "DELETE", `/containers/${c.Id}?force=1&v=1`, { timeoutMs: 30_000 }))
    )
  }
}

/** Removes every container labelled with one of the agent ids (force, with volumes). */
export const removeContainersOf = (socketPath: string, ...agentIds: ReadonlyArray<string>): Promise<void> =>
  removeContainersLabelled(socketPath, ...agentIds.map((id) => `orchestrator.agent-id=${id}`))

/** `docker inspect` of a container. */
export const inspect = async (socketPath: string, id: string): Promise<DockerInspect> => {
  const answer = await engineRequest(socketPath, "GET", `/containers/${id}/json`, { timeoutMs: 30_000 })
  if (answer.status !== 200) throw new Error(`inspect ${id}: ${answer.status} ${answer.body}`)
  return JSON.parse(answer.body) as DockerInspect
}

/** The part of `docker inspect` the tests read. */
export interface DockerInspect {
  readonly Id: string
  readonly Config: { readonly Env: ReadonlyArray<string>; readonly Labels: Record<string, string> }
  readonly State: { readonly Status: string; readonly ExitCode: number; readonly Running: boolean }
  readonly HostConfig: {
    readonly CpuShares: number
    readonly CpuQuota: number
    readonly CpuPeriod: number
    readonly Memory: number
    readonly MemorySwap: number
    readonly PidsLimit: number
    readonly PortBindings: Record<string, ReadonlyArray<{ readonly HostPort: string }>>
  }
}

/** A container's output (the engine's multiplexed log stream, frame headers stripped). */
export const logsOf = async (socketPath: string, id: string): Promise<string> => {
  const docker = new Dockerode({ socketPath })
  const raw = (await docker.getContainer(id).logs({ stdout: true, stderr: true, follow: false })) as Buffer
  const out: Array<Buffer> = []
  for (let at = 0; at + 8 <= raw.length; ) {
    const size = raw.readUInt32BE(at + 4)
    out.push(raw.subarray(at + 8, at + 8 + size))
    at += 8 + size
  }
  return Buffer.concat(out).toString("utf8")
}

/** Polls `check` every 50 ms until it returns a value, or throws after `timeoutMs` naming `what`. */
export const eventually = async <A>(
  what: string,
  check: () => Promise<A | undefined> | A | undefined,
  timeoutMs = 15_000
): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  for (;;) {
    try {
      const value = await check()
      if (value !== undefined) return value
    } catch (error) {
      lastError = error
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${lastError === undefined ? "" : `: ${String(lastError)}`}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** A parsed JSON answer, read freely by assertions. */
// biome-ignore lint/suspicious/noExplicitAny: tests navigate JSON answers directly and assert on them
export type Json = any

/** A JSON request; resolves with the status and the parsed body. */
export const http = async (
  method: string,
  url: string,
  body?: unknown
): Promise<{ readonly status: number; readonly body: Json }> => {
  const response = await fetch(url, {
    method,
    ...(body === undefined
      ? {}
      : {
          body: typeof body === "string" ? body : JSON.stringify(body),
          headers: { "content-type": "application/json" }
        })
  })
  const text = await response.text()
  let parsed: unknown = text
  try {
    parsed = text === "" ? undefined : JSON.parse(text)
  } catch {
    // not JSON (e.g. /metrics)
  }
  return { status: response.status, body: parsed }
}

/** A unique id for this process and call. */
export const uniqueId = (prefix: string): string => `${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`

/** The first offer the master makes to `frameworkId` (long polls of 1 s until one comes). */
export const takeOffer = (api: string, frameworkId: string): Promise<Json> =>
  eventually(`an offer for ${frameworkId}`, async () => {
    const answer = await http("GET", `${api}/frameworks/${frameworkId}/offers?wait=1000`)
    if (answer.status !== 200) throw new Error(`offers: ${answer.status} ${JSON.stringify(answer.body)}`)
    return answer.body.length > 0 ? answer.body[0] : undefined
  })

/** The task's status once it is in one of `states`. */
export const taskState = (api: string, taskId: string, states: ReadonlyArray<string>): Promise<Json> =>
  eventually(`task ${taskId} in ${states.join("/")}`, async () => {
    const answer = await http("GET", `${api}/tasks/${taskId}`)
    return states.includes(answer.body?.state) ? answer.body : undefined
  })
