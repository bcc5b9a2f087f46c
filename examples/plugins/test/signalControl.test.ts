import { type ChildProcess, spawn } from "node:child_process"
import { Report } from "@orchestrator/core"
import { recordedReport, testPlugin } from "@orchestrator/plugins/testing"
import { afterEach, describe, expect, it } from "vitest"
import { plugin } from "../src/signalControl.js"

const children: Array<ChildProcess> = []
afterEach(() => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
})

/** A real process that reports the signals it receives on stdout. */
const startChild = async () => {
  const child = spawn(
    process.execPath,
    ["-e", 'process.on("SIGHUP", () => console.log("got SIGHUP")); console.log("ready"); setInterval(() => {}, 1000)'],
    { stdio: ["ignore", "pipe", "inherit"] }
  )
  children.push(child)
  let out = ""
  child.stdout!.on("data", (chunk: Buffer) => {
    out += chunk.toString()
  })
  const until = async (text: string) => {
    const deadline = Date.now() + 10_000
    while (!out.includes(text)) {
      if (Date.now() > deadline) throw new Error(`child never printed "${text}"`)
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  }
  await until("ready")
  return {
    child,
    until,
    exited: new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)))
  }
}

const processNode = (pid: number, host = "test-host") => Report.makeNode("processes", `${host};${pid}`)

describe("signal control on a real child process", () => {
  it("sends the chosen signal to the process", async () => {
    const { child, until, exited } = await startChild()
    const node = processNode(child.pid!)
    const harness = testPlugin(plugin, { options: { allowed: ["SIGHUP", "SIGTERM"] }, report: recordedReport([node]) })
    expect(harness.host.controlsFor(node).map((control) => [control.id, control.permission])).toEqual([
      ["signal.send", "processes:signal"]
    ])
    await expect(harness.control("signal.send", node.id, { signal: "SIGHUP" })).resolves.toEqual({
      pid: child.pid,
      signal: "SIGHUP"
    })
    await until("got SIGHUP")
    await harness.control("signal.send", node.id, { signal: "SIGTERM" })
    expect(await exited).toBe("SIGTERM")
  })

  it("refuses what it must not do, with the reason", async () => {
    const { child } = await startChild()
    const harness = testPlugin(plugin)
    const run = (nodeId: string, args: Record<string, unknown>) =>
      harness.control("signal.send", Report.makeNode("processes", nodeId), args).then(
        () => "ran",
        (error: { readonly message: string }) => error.message
      )
    expect(await run(`test-host;${child.pid}`, { signal: "SIGKILL" })).toMatch(
      /SIGKILL is not allowed \(allowed: SIGTERM, SIGINT, SIGHUP\)/
    )
    expect(await run(`test-host;${child.pid}`, { signal: "SIGNOPE" })).toMatch(/args\.signal must be one of/)
    expect(await run(`other-host;${child.pid}`, { signal: "SIGTERM" })).toMatch(
      /runs on other-host, not on this probe's host test-host/
    )
    expect(await run("test-host;not-a-pid", { signal: "SIGTERM" })).toMatch(/not a process node id/)
    expect(await run("test-host;999999999", { signal: "SIGTERM" })).toMatch(/no process 999999999/)
    expect(child.exitCode).toBeNull()
    expect(child.signalCode).toBeNull()
  })
})
