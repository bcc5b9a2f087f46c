import { describe, expect, it } from "vitest"
import type { TaskState } from "../../../src/cluster/Task.js"
import {
  appStatus,
  emptyState,
  launchQueue,
  newAppRecord,
  restoreFailures,
  stillUnreachable,
  storedFailuresOf
} from "../../../src/apps/scheduler/State.js"
import { StoredFailures } from "../../../src/apps/store/StoredState.js"
import { Schema } from "effect"
import type { KillReason, TaskRecord } from "../../../src/apps/scheduler/TaskRecord.js"
import { app } from "./cluster.js"

const web = app({ id: "/prod/web", container: { docker: { image: "busybox" } }, instances: 4, version: "v1" })

let n = 0
const task = (state: TaskState, alive: boolean | undefined, killing?: KillReason): TaskRecord => ({
  taskId: `prod.web.${++n}`,
  appId: web.id,
  version: "v1",
  configVersion: "v1",
  agentId: "a1",
  hostname: "node-0",
  host: "127.0.0.1",
  agentUrl: "",
  stagedAt: 1,
  servicePorts: [],
  portNames: [],
  state,
  updatedAt: 1,
  startedAt: state === "running" ? 1 : undefined,
  hostPorts: [],
  containerId: undefined,
  message: undefined,
  killing,
  killSentAt: undefined,
  alive,
  ready: alive === true,
  health: []
})

describe("app status counts", () => {
  it("counts tasks being killed apart, never as running, healthy or unhealthy", () => {
    const state = emptyState()
    const a = newAppRecord({ app: web, lastConfigChangeAt: "v1" })
    state.apps.set(web.id, a)
    for (const t of [
      task("running", true),
      task("running", true),
      task("running", false),
      task("running", true, "deployment"),
      task("running", false, "unhealthy"),
      task("staging", undefined),
      task("starting", undefined, "scale")
    ])
      state.tasks.set(t.taskId, t)
    expect(appStatus(state, a, 0)).toMatchObject({
      tasksStaged: 1,
      tasksRunning: 3,
      tasksHealthy: 2,
      tasksUnhealthy: 1,
      tasksKilling: 3
    })
  })
})

describe("failing mark", () => {
  const failure = {
    appId: web.id,
    taskId: "prod.web.x",
    host: "127.0.0.1",
    state: "TASK_FAILED" as const,
    message: "exit code 3",
    timestamp: "2026-01-01T00:00:00.000Z",
    version: "v1"
  }

  it("stays while the app has failures in a row, delayed or not, and shows in the queue", () => {
    const state = emptyState()
    const a = newAppRecord({ app: web, lastConfigChangeAt: "v1" })
    state.apps.set(web.id, a)
    expect(appStatus(state, a, 0).backoff).toBeUndefined()
    expect(launchQueue(state, 0)).toEqual([])
    a.failures = 3
    a.delayedUntil = 10_000
    a.lastFailure = failure
    // 1 s x 1.15^2 = 1.3225 s (1.32249... in floating point)
    expect(appStatus(state, a, 9_000)).toMatchObject({
      lastTaskFailure: failure,
      backoff: { consecutiveFailures: 3, delayMs: 1_322, delayed: true, stuck: false }
    })
    // the delay is over: still marked
    expect(appStatus(state, a, 20_000).backoff).toMatchObject({ consecutiveFailures: 3, delayed: false })
    expect(launchQueue(state, 20_000)).toMatchObject([
      { app: { id: web.id }, count: 0, delay: { overdue: true }, consecutiveFailures: 3, lastTaskFailure: failure }
    ])
    a.failures = 100
    expect(appStatus(state, a, 20_000).backoff).toMatchObject({ delayMs: 300_000, stuck: true })
    // a healthy task ended it: the last failure stays (Marathon's lastTaskFailure), the mark goes
    a.failures = 0
    a.delayedUntil = 0
    const healed = appStatus(state, a, 20_000)
    expect(healed.backoff).toBeUndefined()
    expect(healed.lastTaskFailure).toEqual(failure)
    expect(launchQueue(state, 20_000)).toEqual([])
  })
})

describe("unreachable tasks", () => {
  it("hold their instance until inactiveAfterSeconds passed, or (disabled) until their agent is listed again", () => {
    const a = newAppRecord({ app: web, lastConfigChangeAt: "v1" })
    a.unreachable = [
      { taskId: "t1", agentId: "a1", lostAt: 1_000, until: 4_000 },
      { taskId: "t2", agentId: "a2", lostAt: 1_000, until: undefined }
    ]
    const none = new Set<string>()
    const listed = new Set(["a2"])
    expect(stillUnreachable(a, 3_999, none, 2_000).map((u) => u.taskId)).toEqual(["t1", "t2"])
    expect(stillUnreachable(a, 4_000, none, 2_000).map((u) => u.taskId)).toEqual(["t2"])
    // the agent listed by a refresh from before the loss does not count
    expect(stillUnreachable(a, 4_000, listed, 900).map((u) => u.taskId)).toEqual(["t2"])
    expect(stillUnreachable(a, 4_000, listed, 2_000)).toEqual([])
  })

  it("are stored with the app's failures and restored by a new record (a restart keeps the holds)", () => {
    const a = newAppRecord({ app: web, lastConfigChangeAt: "v1" })
    expect(storedFailuresOf(a)).toBeUndefined()
    a.unreachable = [
      { taskId: "t1", agentId: "a1", lostAt: 1_000, until: 7_000 },
      { taskId: "t2", agentId: "a2", lostAt: 1_000, until: undefined }
    ]
    const stored = storedFailuresOf(a)
    expect(stored).toEqual({
      appId: web.id,
      consecutiveFailures: 0,
      delayedUntil: 0,
      unreachable: [
        { taskId: "t1", agentId: "a1", lostAt: 1_000, until: 7_000 },
        { taskId: "t2", agentId: "a2", lostAt: 1_000 }
      ]
    })
    // through the store's JSON and schema, as ZooKeeper keeps it
    const decoded = Schema.decodeUnknownSync(Schema.fromJsonString(StoredFailures))(JSON.stringify(stored))
    const b = newAppRecord({ app: web, lastConfigChangeAt: "v1" })
    restoreFailures(b, decoded)
    expect(b.unreachable).toEqual(a.unreachable)
    expect(stillUnreachable(b, 6_999, new Set(), 2_000).map((u) => u.taskId)).toEqual(["t1", "t2"])
    // the holds' end is stored too: nothing to keep once they are gone
    b.unreachable = []
    expect(storedFailuresOf(b)).toBeUndefined()
  })
})
