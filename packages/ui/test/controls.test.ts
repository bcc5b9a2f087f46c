import { describe, expect, it } from "vitest"
import {
  type Actionable,
  actionableOf,
  bulkActions,
  confirmQuestion,
  describeResult,
  needsConfirmation
} from "../app/controls/Bulk.js"
import { refKey, Selection } from "../app/controls/Selection.js"
import type { ControlDescription, NodeDetails } from "../app/Protocol.js"

const ref = (id: string) => ({ topology: "containers", id })

describe("Selection", () => {
  it("toggles nodes, keeps them in selection order and notifies once per change", () => {
    const selection = new Selection()
    let notified = 0
    selection.subscribe(() => notified++)
    expect(selection.toggle(ref("b"))).toBe(true)
    expect(selection.toggle(ref("a"))).toBe(true)
    expect(selection.refs()).toEqual([ref("b"), ref("a")])
    expect(selection.has(ref("a"))).toBe(true)
    expect(selection.has({ topology: "hosts", id: "a" })).toBe(false)
    expect(selection.toggle(ref("b"))).toBe(false)
    expect(selection.refs()).toEqual([ref("a")])
    expect(notified).toBe(3)
  })

  it("sets many at once with one notification, and none when nothing changed", () => {
    const selection = new Selection()
    let notified = 0
    selection.subscribe(() => notified++)
    selection.set([ref("a"), ref("b"), ref("a")], true)
    expect(selection.size).toBe(2)
    expect(notified).toBe(1)
    selection.set([ref("a")], true)
    expect(notified).toBe(1)
    selection.set([ref("a"), ref("c")], false)
    expect(selection.refs()).toEqual([ref("b")])
    expect(notified).toBe(2)
    selection.clear()
    selection.clear()
    expect(selection.size).toBe(0)
    expect(notified).toBe(3)
  })

  it("extends a range from the last toggled node to the shift-clicked one, in the order shown", () => {
    const rows = ["a", "b", "c", "d", "e"].map(ref)
    const selection = new Selection()
    selection.toggle(ref("d"))
    selection.extendTo(rows, ref("b"))
    expect(selection.refs().map((r) => r.id)).toEqual(["d", "b", "c"])
    // The shift-clicked node is the next anchor.
    selection.extendTo(rows, ref("a"))
    expect(new Set(selection.refs().map((r) => r.id))).toEqual(new Set(["a", "b", "c", "d"]))
  })

  it("selects just the clicked node when there is no anchor, or it is not shown", () => {
    const rows = ["a", "b", "c"].map(ref)
    const selection = new Selection()
    selection.extendTo(rows, ref("b"))
    expect(selection.refs()).toEqual([ref("b")])
    selection.clear()
    selection.toggle(ref("gone"))
    selection.extendTo(rows, ref("c"))
    expect(selection.refs()).toEqual([ref("gone"), ref("c")])
    // A node that is not shown is not selected by a range.
    selection.extendTo(rows, ref("zz"))
    expect(selection.size).toBe(2)
  })

  it("stops notifying after unsubscribing", () => {
    const selection = new Selection()
    let notified = 0
    const stop = selection.subscribe(() => notified++)
    selection.toggle(ref("a"))
    stop()
    selection.toggle(ref("b"))
    expect(notified).toBe(1)
  })

  it("keys nodes by topology and id", () => {
    expect(refKey({ topology: "hosts", id: "a" })).not.toBe(refKey({ topology: "containers", id: "a" }))
  })
})

const stop: ControlDescription = { id: "docker.stop", label: "Stop", permission: "containers:write" }
const start: ControlDescription = { id: "docker.start", label: "Start", permission: "containers:write" }
const restart: ControlDescription = { id: "docker.restart", label: "Restart", permission: "containers:write" }
const remove: ControlDescription = {
  id: "docker.remove",
  label: "Remove",
  permission: "containers:write",
  confirm: true
}
const logs: ControlDescription = { id: "docker.logs", label: "Logs", permission: "containers:read", stream: "logs" }
const exec: ControlDescription = { id: "docker.exec", label: "Exec", permission: "containers:exec", stream: "terminal" }
const inspect: ControlDescription = { id: "docker.inspect", label: "Inspect", permission: "containers:read" }

const node = (id: string, controls: ReadonlyArray<ControlDescription>, probeId = "p1"): Actionable => ({
  ref: ref(id),
  label: id,
  probeId,
  controls
})

describe("bulkActions", () => {
  it("offers the actions every selected node offers first, then the others with the nodes that offer them", () => {
    const web = node("web", [stop, restart, logs, exec, inspect])
    const db = node("db", [stop, restart, logs, exec, inspect], "p2")
    const old = node("old", [start, restart, remove, logs, inspect])
    const actions = bulkActions([web, db, old])
    expect(actions.map((a) => [a.control.id, a.targets.map((t) => t.label), a.all])).toEqual([
      ["docker.restart", ["web", "db", "old"], true],
      ["docker.inspect", ["web", "db", "old"], true],
      ["docker.stop", ["web", "db"], false],
      ["docker.start", ["old"], false],
      ["docker.remove", ["old"], false]
    ])
  })

  it("leaves out streams (logs and terminals open per node)", () => {
    expect(bulkActions([node("web", [logs, exec])])).toEqual([])
  })

  it("keeps a confirmation that any node's description asks for", () => {
    const a = node("a", [{ ...remove, confirm: false }])
    const b = node("b", [remove])
    const [action] = bulkActions([a, b])
    expect(action).toEqual({ control: { ...remove, confirm: true }, targets: [a, b], all: true })
  })

  it("offers nothing for nothing selected", () => {
    expect(bulkActions([])).toEqual([])
  })
})

describe("actionableOf", () => {
  const details = (panels: NodeDetails["panels"]): NodeDetails => ({
    id: "web",
    topology: "containers",
    label: "web-1",
    labelMinor: "node-a",
    panels
  })

  it("reads the probe and the controls from the controls panel", () => {
    expect(
      actionableOf(
        details([
          { type: "labels", id: "labels", title: "Labels", labels: {} },
          { type: "controls", id: "controls", title: "Controls", probeId: "p1", controls: [stop] }
        ])
      )
    ).toEqual({ ref: ref("web"), label: "web-1", probeId: "p1", controls: [stop] })
  })

  it("is undefined for a node without controls", () => {
    expect(actionableOf(details([]))).toBeUndefined()
    expect(
      actionableOf(details([{ type: "controls", id: "controls", title: "Controls", probeId: "p1", controls: [] }]))
    ).toBeUndefined()
  })
})

describe("needsConfirmation", () => {
  it("asks for destructive controls, and for changes to more than one node", () => {
    expect(needsConfirmation(remove, 1)).toBe(true)
    expect(needsConfirmation(stop, 1)).toBe(false)
    expect(needsConfirmation(stop, 2)).toBe(true)
    expect(needsConfirmation(inspect, 5)).toBe(false)
    expect(needsConfirmation({ id: "x", label: "X" }, 2)).toBe(true)
  })

  it("phrases the question with the node, or the count", () => {
    expect(confirmQuestion(stop, ["web-1"])).toBe("Stop web-1?")
    expect(confirmQuestion(stop, ["web-1", "db-1"])).toBe("Stop 2 nodes?")
  })
})

describe("describeResult", () => {
  it("reads failures, state changes, removals and other answers", () => {
    expect(describeResult({ id: "1", ok: false, error: "no such container" })).toEqual({
      ok: false,
      text: "Failed: no such container"
    })
    expect(describeResult({ id: "1", ok: false })).toEqual({ ok: false, text: "Failed: no reason given" })
    expect(
      describeResult({ id: "1", ok: true, result: { container: "abc", name: "web", state: "exited", changed: true } })
    ).toEqual({ ok: true, text: "Done: now exited" })
    expect(
      describeResult({ id: "1", ok: true, result: { container: "abc", name: "web", state: "running", changed: false } })
    ).toEqual({ ok: true, text: "Done: already running" })
    expect(describeResult({ id: "1", ok: true, result: { container: "abc", removed: true } })).toEqual({
      ok: true,
      text: "Done: removed"
    })
    expect(describeResult({ id: "1", ok: true })).toEqual({ ok: true, text: "Done" })
    expect(describeResult({ id: "1", ok: true, result: { action: "docker.stop" } })).toEqual({
      ok: true,
      text: 'Done: {"action":"docker.stop"}'
    })
    expect(describeResult({ id: "1", ok: true, pipeId: "logs-1" })).toEqual({ ok: true, text: "Opened stream logs-1" })
  })

  it("cuts a long answer at 160 characters", () => {
    const { text } = describeResult({ id: "1", ok: true, result: { blob: "x".repeat(500) } })
    expect(text.length).toBe("Done: ".length + 160)
    expect(text.endsWith("…")).toBe(true)
  })
})
