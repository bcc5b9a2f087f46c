import { Report } from "@orchestrator/core"
import { Effect, Option } from "effect"
import { describe, expect, it } from "vitest"
import * as DockerStats from "../../../src/apps/metrics/DockerStats.js"
import { fromFunction } from "../../../src/apps/metrics/MetricSource.js"
import * as ProbeReports from "../../../src/apps/metrics/ProbeReports.js"
import { app, webTask } from "./cluster.js"

const def = app({ id: "/prod/web", container: { docker: { image: "busybox" } }, cpus: 0.5, mem: 64 })
const task = webTask

const container = (taskId: string, cpu: number, memory: number, limit?: number) =>
  Report.makeNode("containers", `c-${taskId}`, {
    labels: Report.latestFields(1, { "orchestrator.task-id": taskId }),
    latest: Report.latestFields(1, { docker_memory_limit_bytes: limit }),
    metrics: { cpu: [[1, cpu]], memory: [[1, memory]] }
  })

describe("metric sources", () => {
  it("ProbeReports averages the running tasks' containers: cpu in % of the app's cpus, mem in % of the limit", async () => {
    const report = {
      topologies: {
        containers: {
          nodes: {
            a: container("prod.web.a", 40, 32 * 1024 * 1024, 64 * 1024 * 1024),
            b: container("prod.web.b", 20, 16 * 1024 * 1024),
            c: container("other.x", 100, 1)
          }
        }
      }
    }
    const sources = ProbeReports.sources(Effect.succeed(report))
    const tasks = [task("prod.web.a"), task("prod.web.b"), task("prod.web.c", "TASK_STAGING")]
    expect(await Effect.runPromise(sources.cpu!(def, tasks))).toEqual(Option.some(60))
    expect(await Effect.runPromise(sources.mem!(def, tasks))).toEqual(Option.some(37.5))
    expect(await Effect.runPromise(sources.cpu!(def, [task("prod.web.z")]))).toEqual(Option.none())
    const failing = ProbeReports.sources(Effect.fail("app server down"))
    expect(await Effect.runPromise(failing.cpu!(def, tasks))).toEqual(Option.none())
  })

  it("DockerStats computes cpu from the deltas against the task's cpus and mem without the page cache", () => {
    const stats = {
      cpu_stats: { cpu_usage: { total_usage: 2_000 }, system_cpu_usage: 20_000, online_cpus: 4 },
      precpu_stats: { cpu_usage: { total_usage: 1_000 }, system_cpu_usage: 10_000 },
      memory_stats: { usage: 60, limit: 200, stats: { inactive_file: 20 } }
    }
    // 1,000 / 10,000 of 4 cpus = 40% of one core = 80% of 0.5 cpus
    expect(DockerStats.cpuPercent(stats, 0.5)).toBeCloseTo(80)
    expect(DockerStats.memPercent(stats)).toBeCloseTo(20)
    expect(DockerStats.cpuPercent({ ...stats, precpu_stats: { cpu_usage: { total_usage: 0 } } }, 0)).toBeUndefined()
  })

  it("fromFunction turns throws and non-finite values into no sample", async () => {
    expect(await Effect.runPromise(fromFunction(() => 3)(def, []))).toEqual(Option.some(3))
    expect(await Effect.runPromise(fromFunction(() => Number.NaN)(def, []))).toEqual(Option.none())
    expect(
      await Effect.runPromise(
        fromFunction(() => {
          throw new Error("boom")
        })(def, [])
      )
    ).toEqual(Option.none())
    expect(await Effect.runPromise(fromFunction(async () => undefined)(def, []))).toEqual(Option.none())
  })
})
