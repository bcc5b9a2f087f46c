/**
 * What the containerizer tests share: a containerizer for a fresh agent id (its containers removed after each
 * test), task specs on the test image, waiting for a task's next state, and a UDP echo made of the host's perl.
 */
import { createSocket } from "node:dgram"
import { DockerClient } from "@orchestrator/core/docker"
import { Context, Effect, Layer, Stream } from "effect"
import { afterEach } from "vitest"
import { type ContainerizerOptions, DockerContainerizer } from "../../src/cluster/containerizer/DockerContainerizer.js"
import type { TaskSpec, TaskStatus } from "../../src/cluster/Task.js"
import { removeContainersOf, uniqueId } from "./helpers.js"

/**
 * Containerizers on the engine at `socketPath` (call inside `describe`): `open()` builds one into the test's
 * scope for a fresh agent id (or `agentId`), and every container of those agents is removed after each test.
 */
export const containerizers = (socketPath: string, prefix: string) => {
  const used: Array<string> = []
  afterEach(async () => {
    await removeContainersOf(socketPath, ...used.splice(0))
  })
  return (options: Partial<ContainerizerOptions> = {}) =>
    Effect.gen(function* () {
      const agentId = options.agentId ?? uniqueId(prefix)
      if (!used.includes(agentId)) used.push(agentId)
      const context = yield* Layer.build(
        DockerContainerizer.layer({ ...options, agentId }).pipe(Layer.provide(DockerClient.layer({ socketPath })))
      )
      return Context.get(context, DockerContainerizer)
    })
}

/** A task spec on `image` with small resources. */
export const taskOn =
  (image: string) =>
  (taskId: string, command: ReadonlyArray<string>, extra: Partial<TaskSpec> = {}): TaskSpec => ({
    taskId,
    image,
    command,
    resources: { cpus: 0.1, mem: 32 },
    ...extra
  })

/** Forks a wait for the first update of `taskId` in one of `states` (subscribed before it returns). */
export const nextUpdate = (
  containerizer: DockerContainerizer["Service"],
  taskId: string,
  states: ReadonlyArray<TaskStatus["state"]>
) =>
  containerizer.updates.pipe(
    Stream.filter((status) => status.taskId === taskId && states.includes(status.state)),
    Stream.runHead,
    Effect.map((status) => (status._tag === "Some" ? status.value : undefined)),
    Effect.timeout("60 seconds"),
    Effect.forkChild,
    // let the subscription start before the caller launches
    Effect.tap(() => Effect.sleep("20 millis"))
  )

/** Host folders that let a busybox container run the host's perl (perl-base is part of every Debian). */
export const hostPerl = [
  { hostPath: "/usr", containerPath: "/usr", mode: "RO" },
  { hostPath: "/usr/lib", containerPath: "/lib", mode: "RO" },
  { hostPath: "/usr/lib64", containerPath: "/lib64", mode: "RO" }
] as const

/** The command of a UDP echo on `port` (answers `echo:<datagram>`), run by the host's perl ({@link hostPerl}). */
export const udpEchoCommand = (port: number): ReadonlyArray<string> => [
  "/usr/bin/perl",
  "-MIO::Socket::INET",
  "-e",
  `my $s = IO::Socket::INET->new(LocalPort => ${port}, Proto => "udp") or die "socket: $!"; ` +
    'while (1) { my $from = $s->recv(my $buf, 2048); $s->send("echo:$buf", 0, $from) }'
]

/**
 * Sends `message` over UDP to 127.0.0.1:`port` every 200 ms until an answer comes (the server may still be
 * starting); rejects after `timeoutMs`.
 */
export const udpAsk = (port: number, message: string, timeoutMs = 30_000): Promise<string> =>
  new Promise((resolve, reject) => {
    const socket = createSocket("udp4")
    const send = () => socket.send(message, port, "127.0.0.1")
    const timer = setInterval(send, 200)
    const deadline = setTimeout(() => {
      clearInterval(timer)
      socket.close()
      reject(new Error(`no UDP answer from port ${port} in ${timeoutMs} ms`))
    }, timeoutMs)
    socket.on("message", (answer) => {
      clearInterval(timer)
      clearTimeout(deadline)
      socket.close()
      resolve(answer.toString())
    })
    socket.on("error", () => {
      // ICMP port unreachable while the server starts: keep trying
    })
    send()
  })
