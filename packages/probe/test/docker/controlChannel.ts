/**
 * The Docker controls behind a real control channel, connected to a stand-in of the app's socket: send
 * control requests as the app does and read back their answers and pipe output.
 */
import { type ControlProtocol, PluginRegistry } from "@orchestrator/core"
import { Effect } from "effect"
import * as ControlChannel from "../../src/ControlChannel.js"
import * as DockerControls from "../../src/DockerControls.js"
import { appSocket, type Connection, waitFor } from "../fakeApp.js"

/** Sends one message to the probe as the app does. */
export const send = (connection: Connection, message: ControlProtocol.AppToProbe) =>
  connection.socket.send(JSON.stringify(message))

/** A control request on the container `nodeId`. */
export const control = (
  id: string,
  nodeId: string,
  action: string,
  args: Record<string, unknown> = {}
): ControlProtocol.AppToProbe => ({
  type: "control",
  request: { id, nodeId, topology: "containers", action, args }
})

/** Waits for the answer to request `id`. */
export const resultOf = (connection: Connection, id: string, timeoutMs = 20_000) =>
  Effect.gen(function* () {
    const find = () => connection.messages.find((m) => m.type === "control.result" && m.result.id === id)
    yield* waitFor(`result ${id}`, () => find() !== undefined, timeoutMs)
    return (find() as Extract<ControlProtocol.ProbeToApp, { type: "control.result" }>).result
  })

/** Everything a pipe sent so far, as text. */
export const output = (connection: Connection, pipeId: string): string =>
  Buffer.concat(
    connection.messages.flatMap((m) =>
      m.type === "pipe.output" && m.pipeId === pipeId ? [Buffer.from(m.data, "base64")] : []
    )
  ).toString()

/** Why a pipe closed (`""` for no reason), or `undefined` while it is open. */
export const closedReason = (connection: Connection, pipeId: string): string | undefined => {
  const closed = connection.messages.find((m) => m.type === "pipe.closed" && m.pipeId === pipeId)
  return closed === undefined ? undefined : ((closed as { reason?: string }).reason ?? "")
}

/**
 * The Docker controls of the engine at `socketPath` on a probe `hostId`, its control channel connected to a
 * stand-in app socket (all closed with the scope).
 */
export const controlChannel = (socketPath: string, hostId: string) =>
  Effect.gen(function* () {
    const app = yield* appSocket()
    const registry = yield* PluginRegistry.make()
    // a registration that fails is a broken test setup
    yield* registry.register(DockerControls.plugin(), { socketPath }).pipe(Effect.orDie)
    const probeChannel = yield* ControlChannel.make({
      appUrl: app.url,
      agentId: () => "p1",
      hostId,
      registry,
      ready: Effect.void,
      refusal: () => undefined,
      backoffInitialMs: 20,
      backoffMaxMs: 100
    })
    yield* waitFor("a connection", () => app.connections.length === 1)
    return { connection: app.connections[0]!, probe: probeChannel }
  })
