import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { zookeeperFixture } from "../../../test/fixtures/index.js"
import { run, start, waitFor } from "./cliHarness.js"
import { scenario } from "./helpers.js"

const fixture = zookeeperFixture()

describe("zk-migrate --metrics-port", () => {
  it.live("rejects a port that is not a number", () =>
    Effect.gen(function* () {
      const bad = yield* run(["sync", "--source", "a:1", "--target", "b:1", "--metrics-port", "http"])
      expect(bad.code).toBe(2)
      expect(bad.stderr).toContain("error: --metrics-port http: expected a port number (0-65535)")
    })
  )
})

describe.skipIf(fixture === null)("zk-migrate metrics and status endpoint", () => {
  it.live(
    "serves /metrics and /status while syncing, refuses other paths and methods, and reports a busy port",
    () =>
      Effect.gen(function* () {
        const { root, src, common } = yield* scenario("metrics", 100, 10)
        expect((yield* run(["copy", ...common])).code).toBe(0)
        const sync = start(["sync", "--metrics-port", "0", ...common])
        yield* Effect.addFinalizer(() =>
          Effect.promise(() => {
            sync.child.kill("SIGTERM")
            return sync.done
          })
        )
        expect(yield* waitFor(() => sync.stdout().includes("caught up"))).toBe(true)
        const url = /metrics on (http:\/\/127\.0\.0\.1:\d+)\/metrics/.exec(sync.stderr())?.[1] ?? ""
        expect(url).not.toBe("")
        yield* src.setData(`${root}/p1`, "scraped")
        yield* Effect.sleep("300 millis")

        const metrics = yield* Effect.promise(() => fetch(`${url}/metrics`))
        expect(metrics.status).toBe(200)
        expect(metrics.headers.get("content-type")).toBe("text/plain; version=0.0.4")
        const text = yield* Effect.promise(() => metrics.text())
        expect(text).toContain("# TYPE zk_migrate_sync_applied_total counter")
        expect(text).toContain("# TYPE zk_migrate_sync_lag_ms histogram")
        expect(text).toMatch(/zk_migrate_sync_lag_ms_bucket\{le="\+Inf"\} [1-9]/)

        const status = yield* Effect.promise(() => fetch(`${url}/status`).then((r) => r.json()))
        expect(status).toMatchObject({
          state: { phase: "syncing", direction: "forward", source: { path: root } },
          resume: "continue the sync source -> target (full reconciliation first)",
          sync: { direction: "forward", queueDepth: 0 }
        })
        expect((status as { sync: { applied: number } }).sync.applied).toBeGreaterThanOrEqual(1)

        const missing = yield* Effect.promise(() => fetch(`${url}/admin`))
        expect(missing.status).toBe(404)
        const post = yield* Effect.promise(() => fetch(`${url}/metrics`, { method: "POST", body: "x" }))
        expect(post.status).toBe(405)
        expect(post.headers.get("allow")).toBe("GET, HEAD")

        const port = new URL(url).port
        const busy = yield* run(["sync", "--metrics-port", port, ...common])
        expect(busy.code).toBe(1)
        expect(busy.stderr).toContain(
          `error: metrics server: cannot listen on 127.0.0.1:${port}: the address is in use`
        )
      }),
    90_000
  )
})
