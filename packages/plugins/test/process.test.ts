import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { PluginRegistry } from "@orchestrator/core"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { ProcessPlugin } from "../src/index.js"

const fixture = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "process-plugin.mjs")
const probe = { hostId: "h1", probeId: "p1" }

describe("out-of-process plugins", () => {
  it("runs a plugin in a child process; a hang or garbage fails only that call", async () => {
    await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const plugin = yield* ProcessPlugin.make({
            name: "child",
            command: process.execPath,
            args: [fixture],
            env: { COLLECTORS: "ok,hang,garbage" },
            timeoutMs: 300
          })
          expect(plugin).toMatchObject({ name: "child", version: "2.0.0", description: "a plugin in a child process" })
          const registry = yield* PluginRegistry.make({ maxConsecutiveFailures: 5 })
          yield* registry.register(plugin)

          const start = Date.now()
          const first = yield* registry.runCollectors(probe, 1_000)
          expect(Date.now() - start).toBeLessThan(900)
          const health = Object.fromEntries(first.health.map((entry) => [entry.name, entry]))
          expect(health["child/collector/ok"]?.status).toBe("ok")
          expect(health["child/collector/hang"]?.message).toMatch(/timed out after 300 ms/)
          expect(health["child/collector/garbage"]?.message).toMatch(/invalid fragment/)
          expect(first.topologies.hosts?.h1?.latest.child_pid?.value).toBeDefined()

          // Controls go to the process too; its error answer is the control's failure.
          const answer = yield* registry.runControl(
            { id: "r1", nodeId: "h1", topology: "hosts", action: "child.echo", args: { x: 1 } },
            probe
          )
          expect(answer).toEqual({ echoed: { x: 1 }, node: "h1" })
          const refused = yield* Effect.flip(
            registry.runControl(
              { id: "r2", nodeId: "h1", topology: "hosts", action: "child.echo", args: { fail: true } },
              probe
            )
          )
          expect(refused).toMatchObject({
            _tag: "PluginHookError",
            plugin: "child",
            message: expect.stringMatching(/echo refused/)
          })
        })
      )
    )
  })

  it("starts a crashed plugin process again on the next call", async () => {
    await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const plugin = yield* ProcessPlugin.make({
            name: "crashy",
            command: process.execPath,
            args: [fixture],
            env: { COLLECTORS: "ok" }
          })
          const registry = yield* PluginRegistry.make()
          yield* registry.register(plugin)
          const first = yield* registry.runCollectors(probe, 1_000)
          const pid = Number(first.topologies.hosts?.h1?.latest.child_pid?.value)
          process.kill(pid, "SIGKILL")
          // The call after the crash fails with the reason, or (once the exit was seen) starts a new process.
          let again: string | undefined
          const messages: Array<string | undefined> = []
          for (let i = 0; i < 20 && again === undefined; i++) {
            yield* Effect.sleep(20)
            const next = yield* registry.runCollectors(probe, 1_000)
            messages.push(next.health[0]?.message)
            const value = next.topologies.hosts?.h1?.latest.child_pid?.value
            if (value !== undefined && Number(value) !== pid) again = value
          }
          expect(again).toBeDefined()
          for (const message of messages.filter((m) => m !== undefined))
            expect(message).toMatch(/exited \(SIGKILL\)|is not running/)
        })
      )
    )
  })

  it("fails clearly when the process cannot start or describes itself wrongly", async () => {
    const missing = await Effect.runPromise(
      Effect.flip(Effect.scoped(ProcessPlugin.make({ name: "nope", command: "/nonexistent/plugin" })))
    )
    expect(missing).toMatchObject({ _tag: "ProcessPluginError", plugin: "nope" })
    expect(missing.message).toMatch(/plugin process "nope".*(could not run|ENOENT)/)
    const wrong = await Effect.runPromise(
      Effect.flip(
        Effect.scoped(
          ProcessPlugin.make({
            name: "wrong",
            command: process.execPath,
            args: [
              "-e",
              'process.stdin.on("data", () => console.log(JSON.stringify({ id: 1, result: { collectors: 3 } })))'
            ]
          })
        )
      )
    )
    expect(wrong.message).toMatch(/plugin process "wrong" described itself wrongly/)
    const silent = await Effect.runPromise(
      Effect.flip(
        Effect.scoped(
          ProcessPlugin.make({
            name: "silent",
            command: process.execPath,
            args: ["-e", "setInterval(() => {}, 1000)"],
            startTimeoutMs: 200
          })
        )
      )
    )
    expect(silent.message).toBe('plugin process "silent" did not describe itself within 200 ms')
  })
})
