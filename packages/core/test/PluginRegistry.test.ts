import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Exit, Fiber, Logger, References, Schema } from "effect"
import { TestClock } from "effect/testing"
import type { ControlRequest } from "../src/ControlProtocol.js"
import { fromNodes } from "../src/MergedReport.js"
import type { Panel } from "../src/NodeDetails.js"
import {
  type Collector,
  ControlNotFoundError,
  definePlugin,
  type HookHealth,
  PluginDuplicateError,
  PluginHookError,
  PluginInvalidError,
  PluginOptionsError,
  PluginVersionError,
  type ReportFragment,
  type Tagger
} from "../src/Plugin.js"
import * as PluginRegistry from "../src/PluginRegistry.js"
import { latest, latestFields, makeNode, type Node } from "../src/Report.js"
import type { ViewDefinition } from "../src/views/View.js"

const probe = { hostId: "node-1", probeId: "probe-1" }
const host = makeNode("hosts", "node-1", { latest: latestFields(1, { name: "node-1" }) })
const empty: ReportFragment = { topologies: {} }

const withCollectors = (name: string, collectors: ReadonlyArray<Collector>) =>
  definePlugin({ name, version: "1.0.0", apiVersion: 1, collectors })

const withTaggers = (name: string, taggers: ReadonlyArray<Tagger>) =>
  definePlugin({ name, version: "1.0.0", apiVersion: 1, taggers })

const fragmentOf = (...nodes: ReadonlyArray<Node>): ReportFragment => {
  const topologies: Record<string, Record<string, Node>> = {}
  for (const node of nodes) topologies[node.topology] = { ...topologies[node.topology], [node.id]: node }
  return { topologies }
}

/** Maps every node of a fragment. */
const mapNodes = (fragment: ReportFragment, f: (node: Node) => Node): ReportFragment => {
  const topologies: Record<string, Record<string, Node>> = {}
  for (const [topology, nodes] of Object.entries(fragment.topologies)) {
    topologies[topology] = Object.fromEntries(Object.entries(nodes).map(([id, node]) => [id, f(node)]))
  }
  return { topologies }
}

const ok = (name: string, durationMs = 0, timestamp = 0) => ({ name, status: "ok", durationMs, timestamp }) as const

describe("PluginRegistry", () => {
  describe("register", () => {
    it.effect("orders hooks pre, then normal, then post, then by registration", () =>
      Effect.gen(function* () {
        const registry = yield* PluginRegistry.make()
        const hook = (name: string, order?: "pre" | "post"): Collector => ({
          name,
          ...(order ? { order } : {}),
          collect: () => empty
        })
        yield* registry.register(withCollectors("a", [hook("a1"), hook("a2", "post"), hook("a3", "pre")]))
        yield* registry.register(withCollectors("b", [hook("b1", "pre"), hook("b2")]))
        expect(registry.collectors().map((h) => h.id)).toEqual([
          "a/collector/a3",
          "b/collector/b1",
          "a/collector/a1",
          "b/collector/b2",
          "a/collector/a2"
        ])
        expect(registry.collectors()[0]).toEqual({
          id: "a/collector/a3",
          plugin: "a",
          kind: "collector",
          name: "a3",
          order: "pre",
          timeoutMs: 10_000,
          hook: expect.objectContaining({ name: "a3", order: "pre" })
        })
        expect(registry.plugins()).toEqual([
          { name: "a", version: "1.0.0", apiVersion: 1 },
          { name: "b", version: "1.0.0", apiVersion: 1 }
        ])
      })
    )

    it.effect("rejects a second plugin with the same name", () =>
      Effect.gen(function* () {
        const registry = yield* PluginRegistry.make()
        yield* registry.register(withCollectors("dup", []))
        const error = yield* Effect.flip(registry.register(withCollectors("dup", [])))
        expect(error).toEqual(
          new PluginDuplicateError({
            plugin: "dup",
            kind: "plugin",
            id: "dup",
            registeredBy: "dup",
            message: 'a plugin named "dup" is already registered'
          })
        )
      })
    )

    it.effect("rejects a control or view id another plugin registered, and a hook name repeated in one plugin", () =>
      Effect.gen(function* () {
        const registry = yield* PluginRegistry.make()
        const control = { id: "x.stop", label: "Stop", topologies: ["hosts"], permission: "p", run: () => 1 }
        const view: ViewDefinition = {
          id: "hosts",
          label: "Hosts",
          reads: ["hosts"],
          countTopology: "hosts",
          rank: 0,
          render: () => ({ nodes: new Map(), edges: new Map() })
        }
        yield* registry.register(
          definePlugin({ name: "x", version: "1", apiVersion: 1, controls: [control], views: [view] })
        )
        const controlError = yield* Effect.flip(
          registry.register(definePlugin({ name: "y", version: "1", apiVersion: 1, controls: [control] }))
        )
        const viewError = yield* Effect.flip(
          registry.register(definePlugin({ name: "z", version: "1", apiVersion: 1, views: [view] }))
        )
        const twice = yield* Effect.flip(
          registry.register(
            withCollectors("twice", [
              { name: "c", collect: () => empty },
              { name: "c", collect: () => empty }
            ])
          )
        )
        expect([controlError, viewError, twice]).toEqual([
          new PluginDuplicateError({
            plugin: "y",
            kind: "control",
            id: "x.stop",
            registeredBy: "x",
            message: 'plugin "y" declares control "x.stop", already registered by plugin "x"'
          }),
          new PluginDuplicateError({
            plugin: "z",
            kind: "view",
            id: "hosts",
            registeredBy: "x",
            message: 'plugin "z" declares view "hosts", already registered by plugin "x"'
          }),
          new PluginDuplicateError({
            plugin: "twice",
            kind: "collector",
            id: "c",
            registeredBy: "twice",
            message: 'plugin "twice" declares collector "c" twice'
          })
        ])
        expect(registry.plugins().map((p) => p.name)).toEqual(["x"])
      })
    )

    it.effect("rejects an unsupported apiVersion, naming the supported ones", () =>
      Effect.gen(function* () {
        const registry = yield* PluginRegistry.make()
        const future = { name: "future", version: "2.0.0", apiVersion: 2 }
        // @ts-expect-error apiVersion 2 is not part of the contract
        const error = yield* Effect.flip(registry.register(future))
        expect(error).toEqual(
          new PluginVersionError({
            plugin: "future",
            apiVersion: 2,
            supported: [1],
            message: 'plugin "future" declares apiVersion 2; this registry supports apiVersion 1'
          })
        )
      })
    )

    it.effect("rejects a malformed plugin, naming the plugin and the path", () =>
      Effect.gen(function* () {
        const registry = yield* PluginRegistry.make()
        const register = (raw: unknown) => Effect.flip(registry.register(raw as ReturnType<typeof withCollectors>))
        const errors = [
          yield* register({ name: "bad", version: "1", apiVersion: 1, collectors: [{ name: "c", collect: "nope" }] }),
          yield* register({ name: "", version: "1", apiVersion: 1 }),
          yield* register(null),
          yield* register({
            name: "neg",
            version: "1",
            apiVersion: 1,
            taggers: [{ name: "t", timeoutMs: -1, tag: () => 1 }]
          })
        ]
        expect(errors).toEqual([
          new PluginInvalidError({
            plugin: "bad",
            path: "collectors[0].collect",
            message:
              'plugin "bad" is not a valid API version 1 plugin: collectors[0].collect: Expected a function, got "nope"'
          }),
          new PluginInvalidError({
            plugin: "<unnamed>",
            path: "name",
            message: 'a plugin needs a non-empty string name, got ""'
          }),
          new PluginInvalidError({ plugin: "<unnamed>", path: "", message: "expected a plugin object, got null" }),
          new PluginInvalidError({
            plugin: "neg",
            path: "taggers[0].timeoutMs",
            message:
              'plugin "neg" is not a valid API version 1 plugin: taggers[0].timeoutMs: Expected a value greater than 0, got -1'
          })
        ])
      })
    )

    it.effect("validates options with the plugin's Schema and hands hooks the decoded value", () =>
      Effect.gen(function* () {
        const registry = yield* PluginRegistry.make()
        const seen: Array<unknown> = []
        const configured = definePlugin({
          name: "configured",
          version: "1.0.0",
          apiVersion: 1,
          options: Schema.Struct({
            servers: Schema.Array(Schema.Struct({ host: Schema.String })),
            port: Schema.Number.pipe(Schema.withDecodingDefaultKey(Effect.succeed(80)))
          }),
          collectors: [
            {
              name: "c",
              collect: (ctx) => {
                seen.push(ctx.options)
                return empty
              }
            }
          ]
        })
        // @ts-expect-error host must be a string
        const wrongType = yield* Effect.flip(registry.register(configured, { servers: [{ host: 3 }] }))
        // @ts-expect-error options are required
        const missing = yield* Effect.flip(registry.register(configured))
        const none = definePlugin({ name: "none", version: "1", apiVersion: 1 })
        // @ts-expect-error the plugin takes no options
        const unexpected = yield* Effect.flip(registry.register(none, { x: 1 }))
        expect([wrongType, missing, unexpected]).toEqual([
          new PluginOptionsError({
            plugin: "configured",
            path: "servers[0].host",
            message: 'plugin "configured": invalid option servers[0].host: Expected string, got 3'
          }),
          new PluginOptionsError({
            plugin: "configured",
            path: "servers",
            message: 'plugin "configured": invalid option servers: Missing key'
          }),
          new PluginOptionsError({
            plugin: "none",
            path: "",
            message: 'plugin "none" takes no options (it declares no options Schema), got an object'
          })
        ])
        yield* registry.register(configured, { servers: [{ host: "zk-1" }] })
        yield* registry.runCollectors(probe)
        expect(seen).toEqual([{ servers: [{ host: "zk-1" }], port: 80 }])
      })
    )

    it.effect("unregisters with the returned effect, by name, and when the scope closes", () =>
      Effect.gen(function* () {
        const registry = yield* PluginRegistry.make()
        const unregister = yield* registry.register(withCollectors("a", [{ name: "c", collect: () => empty }]))
        yield* registry.register(withCollectors("b", []))
        yield* unregister
        yield* unregister
        expect(registry.plugins().map((p) => p.name)).toEqual(["b"])
        expect(registry.collectors()).toEqual([])
        expect(yield* registry.unregister("b")).toBe(true)
        expect(yield* registry.unregister("b")).toBe(false)
        const inside = yield* Effect.scoped(
          Effect.gen(function* () {
            yield* registry.registerScoped(withCollectors("scoped", []))
            return registry.plugins().map((p) => p.name)
          })
        )
        expect(inside).toEqual(["scoped"])
        expect(registry.plugins()).toEqual([])
        const again = yield* registry.register(withCollectors("a", []))
        yield* registry.unregister("a")
        yield* registry.register(withCollectors("a", []))
        yield* again
        expect(registry.plugins().map((p) => p.name)).toEqual(["a"])
      })
    )

    it.effect("is a service with a layer", () =>
      Effect.gen(function* () {
        const registry = yield* PluginRegistry.PluginRegistry
        yield* registry.register(withCollectors("a", [{ name: "c", timeoutMs: 50, collect: () => empty }]))
        yield* registry.register(withCollectors("b", [{ name: "c", collect: () => empty }]))
        expect(registry.collectors().map((h) => h.timeoutMs)).toEqual([50, 2_000])
      }).pipe(Effect.provide(PluginRegistry.PluginRegistry.layerWith({ defaultTimeoutMs: 2_000 })))
    )
  })

  describe("runCollectors", () => {
    it.effect("runs every collector and merges their fragments", () =>
      Effect.gen(function* () {
        const registry = yield* PluginRegistry.make()
        yield* registry.register(
          withCollectors("host", [
            {
              name: "host",
              collect: (ctx) =>
                fragmentOf(makeNode("hosts", ctx.hostId, { latest: latestFields(1, { name: "node-1" }) }))
            }
          ])
        )
        yield* registry.register(
          withCollectors("extra", [
            {
              name: "extra",
              collect: async (ctx) => ({
                ...fragmentOf(
                  makeNode("hosts", ctx.hostId, { labels: latestFields(1, { env: "prod" }) }),
                  makeNode("containers", "c1")
                ),
                health: [{ name: "socket", status: "degraded", message: "slow", timestamp: ctx.now }]
              })
            }
          ])
        )
        yield* TestClock.adjust(5)
        const result = yield* registry.runCollectors(probe, 1_000)
        expect(result).toEqual({
          topologies: {
            hosts: {
              "node-1": makeNode("hosts", "node-1", {
                latest: latestFields(1, { name: "node-1" }),
                labels: latestFields(1, { env: "prod" })
              })
            },
            containers: { c1: makeNode("containers", "c1") }
          },
          health: [
            ok("host/collector/host", 0, 5),
            ok("extra/collector/extra", 0, 5),
            { name: "extra/socket", status: "degraded", message: "slow", timestamp: 5 }
          ]
        })
      })
    )

    it.effect("isolates collectors that throw, reject, fail, die, hang or return garbage", () =>
      Effect.gen(function* () {
        const registry = yield* PluginRegistry.make()
        let aborted: unknown
        const node = makeNode("hosts", "h2")
        yield* registry.register(
          withCollectors("bad", [
            {
              name: "throws",
              collect: () => {
                throw new Error("boom")
              }
            },
            { name: "rejects", collect: () => Promise.reject(new Error("nope")) },
            { name: "fails", collect: () => Effect.fail({ message: "typed failure" }) },
            { name: "dies", collect: () => Effect.die("kaput") },
            {
              name: "hangs",
              collect: (ctx) =>
                new Promise<ReportFragment>(() => {
                  ctx.signal.addEventListener("abort", () => {
                    aborted = ctx.signal.reason
                  })
                })
            },
            { name: "stuck", collect: () => Effect.uninterruptible(Effect.sleep("1 hour")).pipe(Effect.as(empty)) },
            { name: "garbage", collect: () => 42 as unknown as ReportFragment },
            { name: "no-topologies", collect: () => ({ nodes: [] }) as unknown as ReportFragment },
            {
              name: "partial",
              collect: () =>
                ({
                  topologies: {
                    hosts: { h2: node, bad: { id: "bad" }, wrong: makeNode("hosts", "other") },
                    pods: "nope",
                    containers: { c: makeNode("processes", "c") }
                  },
                  health: [{ name: "x" }]
                }) as unknown as ReportFragment
            }
          ])
        )
        yield* registry.register(withCollectors("good", [{ name: "host", collect: () => fragmentOf(host) }]))
        const fiber = yield* Effect.forkChild(registry.runCollectors(probe, 5_000))
        yield* TestClock.adjust(5_000)
        const result = yield* Fiber.join(fiber)
        const failed = (name: string, message: string, durationMs = 0) =>
          ({ name: `bad/collector/${name}`, status: "failed", message, durationMs, timestamp: 0 }) as const
        expect(result).toEqual({
          topologies: { hosts: { h2: node, "node-1": host }, containers: {} },
          health: [
            failed("throws", 'collector "throws" of plugin "bad" failed: boom'),
            failed("rejects", 'collector "rejects" of plugin "bad" failed: nope'),
            failed("fails", 'collector "fails" of plugin "bad" failed: typed failure'),
            failed("dies", 'collector "dies" of plugin "bad" failed: kaput'),
            failed("hangs", 'collector "hangs" of plugin "bad" timed out after 5000 ms', 5_000),
            failed("stuck", 'collector "stuck" of plugin "bad" timed out after 5000 ms', 5_000),
            failed(
              "garbage",
              'collector "garbage" of plugin "bad" returned an invalid fragment: expected { topologies: { [topology]: { [id]: Node } } }, got 42'
            ),
            failed(
              "no-topologies",
              'collector "no-topologies" of plugin "bad" returned an invalid fragment: expected { topologies: { [topology]: { [id]: Node } } }, got topologies: undefined'
            ),
            {
              name: "bad/collector/partial",
              status: "degraded",
              message:
                'dropped 5 invalid nodes: topologies.hosts.bad.topology: Missing key; topologies.hosts.wrong.id: expected "wrong", got "other"; topologies.pods: expected { [id]: Node }, got "nope"; and 2 more',
              durationMs: 0,
              timestamp: 0
            },
            ok("good/collector/host")
          ]
        })
        expect(aborted).toEqual(new Error('collector "hangs" of plugin "bad" timed out after 5000 ms'))
      })
    )

    it.effect("describes odd failures and aborts running hooks when the run itself is interrupted", () =>
      Effect.gen(function* () {
        const registry = yield* PluginRegistry.make()
        let reason: unknown
        let markStarted = () => {}
        const started = new Promise<void>((resolve) => {
          markStarted = resolve
        })
        yield* registry.register(
          withCollectors("odd", [
            { name: "object", collect: () => Effect.fail({ code: 42 }) },
            { name: "empty", collect: () => Promise.reject(new TypeError("")) },
            { name: "interrupts", collect: () => Effect.interrupt }
          ])
        )
        const result = yield* registry.runCollectors(probe)
        expect(result.health.map((h) => h.message)).toEqual([
          'collector "object" of plugin "odd" failed: {"code":42}',
          'collector "empty" of plugin "odd" failed: TypeError',
          'collector "interrupts" of plugin "odd" failed: interrupted'
        ])
        yield* registry.unregister("odd")
        yield* registry.register(
          withCollectors("waits", [
            {
              name: "c",
              collect: (ctx) =>
                new Promise<ReportFragment>(() => {
                  ctx.signal.addEventListener("abort", () => {
                    reason = ctx.signal.reason
                  })
                  markStarted()
                })
            }
          ])
        )
        const fiber = yield* Effect.forkChild(registry.runCollectors(probe))
        yield* Effect.promise(() => started)
        yield* Fiber.interrupt(fiber)
        expect(reason).toEqual(new Error('collector "c" of plugin "waits" was interrupted'))
      })
    )

    it.effect("disables a collector after N consecutive failures and retries it after an exponential backoff", () =>
      Effect.gen(function* () {
        const registry = yield* PluginRegistry.make({ maxConsecutiveFailures: 3, backoffInitialMs: 30_000 })
        let calls = 0
        let failing = true
        yield* registry.register(
          withCollectors("flaky", [
            {
              name: "c",
              collect: () => {
                calls++
                if (failing) throw new Error(`failure ${calls}`)
                return fragmentOf(host)
              }
            }
          ])
        )
        const health = () => registry.runCollectors(probe).pipe(Effect.map((r) => r.health))
        const message = (n: number) => `collector "c" of plugin "flaky" failed: failure ${n}`
        expect(yield* health()).toEqual([
          { name: "flaky/collector/c", status: "failed", message: message(1), durationMs: 0, timestamp: 0 }
        ])
        yield* health()
        const disabled = {
          name: "flaky/collector/c",
          status: "disabled",
          message: `disabled after 3 consecutive failures, retrying at 1970-01-01T00:00:30.000Z; last error: ${message(3)}`,
          timestamp: 0
        }
        expect(yield* health()).toEqual([disabled])
        expect(yield* health()).toEqual([disabled])
        expect(calls).toBe(3)
        expect(registry.health()).toEqual([
          {
            id: "flaky/collector/c",
            plugin: "flaky",
            kind: "collector",
            name: "c",
            status: "disabled",
            message: disabled.message,
            durationMs: 0,
            lastRun: 0,
            runs: 3,
            failures: 3,
            consecutiveFailures: 3,
            disabledUntil: 30_000
          }
        ])

        yield* TestClock.adjust(29_999)
        yield* health()
        expect(calls).toBe(3)
        yield* TestClock.adjust(1)
        expect(yield* health()).toEqual([
          {
            name: "flaky/collector/c",
            status: "disabled",
            message: `disabled after 4 consecutive failures, retrying at 1970-01-01T00:01:30.000Z; last error: ${message(4)}`,
            timestamp: 30_000
          }
        ])
        expect(calls).toBe(4)

        yield* TestClock.adjust(60_000)
        failing = false
        const result = yield* registry.runCollectors(probe)
        expect(result).toEqual({
          topologies: { hosts: { "node-1": host } },
          health: [ok("flaky/collector/c", 0, 90_000)]
        })
        expect(registry.health()).toEqual([
          {
            id: "flaky/collector/c",
            plugin: "flaky",
            kind: "collector",
            name: "c",
            status: "ok",
            durationMs: 0,
            lastRun: 90_000,
            runs: 5,
            failures: 4,
            consecutiveFailures: 0
          }
        ])
      })
    )

    it.effect("caps the backoff at backoffMaxMs", () =>
      Effect.gen(function* () {
        const registry = yield* PluginRegistry.make({
          maxConsecutiveFailures: 1,
          backoffInitialMs: 1_000,
          backoffMaxMs: 3_000,
          backoffFactor: 10
        })
        yield* registry.register(withCollectors("down", [{ name: "c", collect: () => Promise.reject("down") }]))
        const until: Array<number | undefined> = []
        for (let i = 0; i < 3; i++) {
          yield* registry.runCollectors(probe)
          until.push(registry.health()[0]?.disabledUntil)
          yield* TestClock.adjust(until[i]! - (yield* Clock.currentTimeMillis))
        }
        expect(until).toEqual([1_000, 4_000, 7_000])
      })
    )

    it.effect("reuses the fragment of a collector with an interval until it elapses", () =>
      Effect.gen(function* () {
        const registry = yield* PluginRegistry.make()
        let calls = 0
        yield* registry.register(
          withCollectors("slow", [
            {
              name: "images",
              intervalMs: 60_000,
              collect: () => {
                calls++
                return fragmentOf(makeNode("container_images", `i${calls}`))
              }
            }
          ])
        )
        const first = yield* registry.runCollectors(probe)
        yield* TestClock.adjust(59_999)
        const cached = yield* registry.runCollectors(probe)
        yield* TestClock.adjust(1)
        const fresh = yield* registry.runCollectors(probe)
        expect([first, cached, fresh]).toEqual([
          {
            topologies: { container_images: { i1: makeNode("container_images", "i1") } },
            health: [ok("slow/collector/images")]
          },
          {
            topologies: { container_images: { i1: makeNode("container_images", "i1") } },
            health: [ok("slow/collector/images")]
          },
          {
            topologies: { container_images: { i2: makeNode("container_images", "i2") } },
            health: [ok("slow/collector/images", 0, 60_000)]
          }
        ])
      })
    )

    it.effect("gives promise-based hooks a logger that writes to the Effect logger with the plugin's name", () =>
      Effect.gen(function* () {
        const lines: Array<unknown> = []
        const capture = Logger.make((options) => {
          lines.push({
            level: options.logLevel,
            message: options.message,
            annotations: options.fiber.getRef(References.CurrentLogAnnotations)
          })
        })
        const registry = yield* PluginRegistry.make()
        yield* registry.register(
          withCollectors("chatty", [
            {
              name: "c",
              collect: async (ctx) => {
                ctx.logger.debug("hidden below the minimum level")
                ctx.logger.info("collecting", 1)
                ctx.logger.warn("slow")
                ctx.logger.error("lost")
                return empty
              }
            },
            { name: "e", collect: () => Effect.logInfo("from effect").pipe(Effect.as(empty)) }
          ])
        )
        yield* registry.runCollectors(probe).pipe(Effect.provide(Logger.layer([capture])))
        const annotations = { plugin: "chatty", hook: "chatty/collector/c" }
        expect(lines).toEqual([
          { level: "Info", message: ["collecting", 1], annotations },
          { level: "Warn", message: ["slow"], annotations },
          { level: "Error", message: ["lost"], annotations },
          { level: "Info", message: ["from effect"], annotations: { plugin: "chatty", hook: "chatty/collector/e" } }
        ])
      })
    )
  })

  describe("runTaggers", () => {
    it.effect("runs taggers in order on the collected fragment and isolates failing ones", () =>
      Effect.gen(function* () {
        const registry = yield* PluginRegistry.make()
        const order: Array<string> = []
        const label = (key: string) => (node: Node) => ({
          ...node,
          labels: { ...node.labels, ...latestFields(2, { [key]: "yes" }) }
        })
        yield* registry.register(
          withTaggers("enrich", [
            {
              name: "last",
              order: "post",
              tag: (fragment) => {
                order.push("last")
                return mapNodes(fragment, label("last"))
              }
            },
            {
              name: "boom",
              tag: () => {
                order.push("boom")
                throw new Error("tagger broke")
              }
            },
            {
              name: "corrupt",
              tag: (fragment) => {
                order.push("corrupt")
                return {
                  topologies: { hosts: { "node-1": { ...fragment.topologies.hosts!["node-1"]!, latest: 5 } } },
                  health: [{ name: "cache", status: "ok", timestamp: 0 }]
                } as unknown as ReportFragment
              }
            },
            {
              name: "first",
              order: "pre",
              tag: async (fragment) => {
                order.push("first")
                expect(fragment).toEqual({ topologies: { hosts: { "node-1": host } } })
                return mapNodes(fragment, label("first"))
              }
            }
          ])
        )
        const result = yield* registry.runTaggers(
          { ...fragmentOf(host), health: [ok("host/collector/host")] },
          probe,
          1_000
        )
        expect(order).toEqual(["first", "boom", "corrupt", "last"])
        expect(registry.taggers().map((h) => h.name)).toEqual(order)
        expect(result).toEqual({
          topologies: { hosts: { "node-1": label("last")(label("first")(host)) } },
          health: [
            ok("host/collector/host"),
            ok("enrich/tagger/first"),
            {
              name: "enrich/tagger/boom",
              status: "failed",
              message: 'tagger "boom" of plugin "enrich" failed: tagger broke',
              durationMs: 0,
              timestamp: 0
            },
            {
              name: "enrich/tagger/corrupt",
              status: "degraded",
              message: 'dropped 1 invalid node: topologies.hosts["node-1"].latest: Expected object',
              durationMs: 0,
              timestamp: 0
            },
            { name: "enrich/cache", status: "ok", timestamp: 0 },
            ok("enrich/tagger/last")
          ]
        })
      })
    )

    it.effect("stops at the budget: a slow tagger times out and the rest are skipped", () =>
      Effect.gen(function* () {
        const registry = yield* PluginRegistry.make()
        yield* registry.register(
          withTaggers("t", [
            { name: "slow", tag: (fragment) => Effect.sleep("3 seconds").pipe(Effect.as(fragment)) },
            { name: "next", tag: (fragment) => fragment },
            { name: "garbage", tag: () => null as unknown as ReportFragment }
          ])
        )
        const fiber = yield* Effect.forkChild(registry.runTaggers(fragmentOf(host), probe, 2_000))
        yield* TestClock.adjust(2_000)
        const result = yield* Fiber.join(fiber)
        expect(result).toEqual({
          topologies: { hosts: { "node-1": host } },
          health: [
            {
              name: "t/tagger/slow",
              status: "failed",
              message: 'tagger "slow" of plugin "t" timed out after 2000 ms',
              durationMs: 2_000,
              timestamp: 0
            },
            {
              name: "t/tagger/next",
              status: "degraded",
              message: "skipped: the report budget is used up",
              timestamp: 2_000
            },
            {
              name: "t/tagger/garbage",
              status: "degraded",
              message: "skipped: the report budget is used up",
              timestamp: 2_000
            }
          ]
        })
        const unlimited = yield* registry.runTaggers(fragmentOf(host), probe).pipe(Effect.forkChild)
        yield* TestClock.adjust(3_000)
        expect((yield* Fiber.join(unlimited)).health).toEqual([
          ok("t/tagger/slow", 3_000, 2_000),
          ok("t/tagger/next", 0, 5_000),
          {
            name: "t/tagger/garbage",
            status: "failed",
            message:
              'tagger "garbage" of plugin "t" returned an invalid fragment: expected { topologies: { [topology]: { [id]: Node } } }, got null',
            durationMs: 0,
            timestamp: 5_000
          }
        ])
      })
    )

    it.effect("drops a fail-closed tagger's topologies when it fails, times out, is skipped or disabled", () =>
      Effect.gen(function* () {
        const process = { ...host, id: "p-1", topology: "processes" }
        const both: ReportFragment = { topologies: { hosts: { "node-1": host }, processes: { "p-1": process } } }
        const registry = yield* PluginRegistry.make({ maxConsecutiveFailures: 2 })
        yield* registry.register(
          withTaggers("secrets", [
            { name: "broken", failClosed: ["processes"], tag: () => Effect.fail("engine down") },
            // failing without failClosed: its input goes on as it is
            { name: "open", tag: () => Effect.fail("no") }
          ])
        )
        const failed = yield* registry.runTaggers(both, probe)
        expect(failed.topologies).toEqual({ hosts: { "node-1": host } })
        expect(failed.health.map((h) => [h.name, h.status])).toEqual([
          ["secrets/tagger/broken", "failed"],
          ["secrets/tagger/open", "failed"]
        ])
        // disabled after two failures: still dropped
        yield* registry.runTaggers(both, probe)
        const disabled = yield* registry.runTaggers(both, probe)
        expect(disabled.health[0]?.status).toBe("disabled")
        expect(disabled.topologies).toEqual({ hosts: { "node-1": host } })

        const timed = yield* PluginRegistry.make()
        yield* timed.register(
          withTaggers("slow", [
            {
              name: "scrub",
              failClosed: ["processes"],
              tag: (fragment) => Effect.sleep("3 seconds").pipe(Effect.as(fragment))
            },
            { name: "late", failClosed: ["hosts"], tag: (fragment) => fragment }
          ])
        )
        const fiber = yield* Effect.forkChild(timed.runTaggers(both, probe, 1_000))
        yield* TestClock.adjust(1_000)
        // timed out: processes dropped; then the budget is used up: the next one's hosts dropped too
        expect((yield* Fiber.join(fiber)).topologies).toEqual({})
        // and when it runs to the end, nothing is dropped
        const whole = yield* Effect.forkChild(timed.runTaggers(both, probe))
        yield* TestClock.adjust(3_000)
        expect((yield* Fiber.join(whole)).topologies).toEqual(both.topologies)
      })
    )

    it.effect("skips a disabled tagger", () =>
      Effect.gen(function* () {
        const registry = yield* PluginRegistry.make({ maxConsecutiveFailures: 1 })
        yield* registry.register(withTaggers("t", [{ name: "bad", tag: () => Effect.fail("no") }]))
        yield* registry.runTaggers(empty, probe)
        const result = yield* registry.runTaggers(empty, probe)
        expect(result).toEqual({
          topologies: {},
          health: [
            {
              name: "t/tagger/bad",
              status: "disabled",
              message:
                'disabled after 1 consecutive failures, retrying at 1970-01-01T00:00:30.000Z; last error: tagger "bad" of plugin "t" failed: no',
              timestamp: 0
            }
          ]
        })
      })
    )
  })

  describe("panels", () => {
    it.effect("collects the panels plugins add to a node and isolates failing providers", () =>
      Effect.gen(function* () {
        const registry = yield* PluginRegistry.make({ maxConsecutiveFailures: 1 })
        let containerCalls = 0
        const labels: Panel = { type: "labels", id: "labels", title: "Labels", labels: { a: "b" } }
        yield* registry.register(
          definePlugin({
            name: "details",
            version: "1.0.0",
            apiVersion: 1,
            panels: [
              {
                name: "info",
                topologies: ["hosts"],
                panels: (node, ctx) => [
                  {
                    type: "table",
                    id: "info",
                    title: "Info",
                    rows: [{ key: "name", label: "Name", value: latest(ctx.report.node(node.id)!, "name") ?? "" }]
                  }
                ]
              },
              {
                name: "labels",
                panels: async () => [
                  labels,
                  { type: "bogus" } as unknown as Panel,
                  { type: "labels", id: "x" } as unknown as Panel
                ]
              },
              { name: "broken", panels: () => Effect.die(new Error("no panels")) },
              { name: "garbage", panels: () => "nope" as unknown as ReadonlyArray<Panel> },
              {
                name: "containers",
                topologies: ["containers"],
                panels: () => {
                  containerCalls++
                  return []
                }
              }
            ]
          })
        )
        const report = fromNodes([host])
        const expected = [
          { type: "table", id: "info", title: "Info", rows: [{ key: "name", label: "Name", value: "node-1" }] },
          labels
        ]
        expect(yield* registry.panelsFor(host, { report })).toEqual(expected)
        expect(yield* registry.panelsFor(host)).toEqual(expected)
        expect(containerCalls).toBe(0)
        expect(registry.health().map(({ id, message, status }) => ({ id, status, message }))).toEqual([
          { id: "details/panel/info", status: "ok", message: undefined },
          {
            id: "details/panel/labels",
            status: "degraded",
            message:
              'dropped 2 invalid panels: [1].type: expected one of table, labels, metrics, connections, controls, got "bogus"; [2].title: Missing key'
          },
          {
            id: "details/panel/broken",
            status: "disabled",
            message:
              'disabled after 1 consecutive failures, retrying at 1970-01-01T00:00:30.000Z; last error: panel "broken" of plugin "details" failed: no panels'
          },
          {
            id: "details/panel/garbage",
            status: "disabled",
            message:
              'disabled after 1 consecutive failures, retrying at 1970-01-01T00:00:30.000Z; last error: panel "garbage" of plugin "details" returned an invalid panel list: expected an array of panels, got "nope"'
          },
          { id: "details/panel/containers", status: "idle", message: undefined }
        ])
      })
    )
  })

  describe("controls", () => {
    const request = (action: string, nodeId = "c1", topology = "containers"): ControlRequest => ({
      id: "r1",
      nodeId,
      topology,
      action,
      args: {}
    })
    const running = makeNode("containers", "c1", { latest: latestFields(1, { state: "running" }) })
    const stopped = makeNode("containers", "c2", { latest: latestFields(1, { state: "exited" }) })
    let aborted = false
    const docker = definePlugin({
      name: "docker",
      version: "1.0.0",
      apiVersion: 1,
      controls: [
        {
          id: "docker.stop",
          label: "Stop",
          topologies: ["containers"],
          permission: "containers:write",
          icon: "stop",
          confirm: true,
          appliesTo: (node) => latest(node, "state") === "running",
          run: (req, ctx) => Effect.succeed({ stopped: req.nodeId, by: ctx.probeId, node: ctx.node?.id })
        },
        {
          id: "docker.logs",
          label: "Logs",
          topologies: ["containers"],
          permission: "containers:read",
          stream: "logs",
          run: async () => ({ pipeId: "pipe-1" })
        },
        {
          id: "docker.broken",
          label: "Broken",
          topologies: ["containers"],
          permission: "containers:write",
          run: async () => {
            throw new Error("daemon down")
          }
        },
        {
          id: "docker.hang",
          label: "Hang",
          topologies: ["containers"],
          permission: "containers:write",
          timeoutMs: 1_000,
          run: (_req, ctx) =>
            new Promise(() => {
              ctx.signal.addEventListener("abort", () => {
                aborted = true
              })
            })
        },
        {
          id: "docker.picky",
          label: "Picky",
          topologies: ["containers"],
          permission: "containers:write",
          appliesTo: () => {
            throw new Error("cannot decide")
          },
          run: () => "never"
        }
      ]
    })

    it.effect("lists the controls that apply to a node", () =>
      Effect.gen(function* () {
        const registry = yield* PluginRegistry.make()
        yield* registry.register(docker)
        const logs = { id: "docker.logs", label: "Logs", permission: "containers:read", stream: "logs" }
        const broken = { id: "docker.broken", label: "Broken", permission: "containers:write" }
        const hang = { id: "docker.hang", label: "Hang", permission: "containers:write" }
        expect(registry.controlsFor(running)).toEqual([
          { id: "docker.stop", label: "Stop", permission: "containers:write", icon: "stop", confirm: true },
          logs,
          broken,
          hang
        ])
        expect(registry.controlsFor(stopped)).toEqual([logs, broken, hang])
        expect(registry.controlsFor(host)).toEqual([])
        expect(registry.control("docker.logs")?.plugin).toBe("docker")
        expect(registry.control("docker.nope")).toBeUndefined()
        expect(registry.health().find((h) => h.id === "docker/control/docker.picky")?.message).toBe(
          'control "docker.picky" of plugin "docker" appliesTo failed: cannot decide'
        )
      })
    )

    it.effect("runs a control and answers unknown or inapplicable ones with ControlNotFoundError", () =>
      Effect.gen(function* () {
        const registry = yield* PluginRegistry.make()
        yield* registry.register(docker)
        expect(yield* registry.runControl(request("docker.stop"), { ...probe, node: running })).toEqual({
          stopped: "c1",
          by: "probe-1",
          node: "c1"
        })
        expect(yield* registry.runControl(request("docker.logs"), probe)).toEqual({ pipeId: "pipe-1" })
        const errors = [
          yield* Effect.flip(registry.runControl(request("docker.nope"), probe)),
          yield* Effect.flip(registry.runControl(request("docker.stop", "node-1", "hosts"), probe)),
          yield* Effect.flip(registry.runControl(request("docker.stop", "c2"), { ...probe, node: stopped }))
        ]
        expect(errors).toEqual([
          new ControlNotFoundError({
            action: "docker.nope",
            topology: "containers",
            message:
              'unknown control "docker.nope"; registered controls: docker.stop, docker.logs, docker.broken, docker.hang, docker.picky'
          }),
          new ControlNotFoundError({
            action: "docker.stop",
            topology: "hosts",
            message: 'control "docker.stop" does not apply to topology "hosts" (only to containers)'
          }),
          new ControlNotFoundError({
            action: "docker.stop",
            topology: "containers",
            message: 'control "docker.stop" does not apply to node "c2"'
          })
        ])
        const empty = yield* PluginRegistry.make()
        expect(yield* Effect.flip(empty.runControl(request("docker.stop"), probe))).toEqual(
          new ControlNotFoundError({
            action: "docker.stop",
            topology: "containers",
            message: 'unknown control "docker.stop"; registered controls: none'
          })
        )
      })
    )

    it.effect("reports a failing or hanging control with the plugin's name and never disables it", () =>
      Effect.gen(function* () {
        const registry = yield* PluginRegistry.make({ maxConsecutiveFailures: 2 })
        yield* registry.register(docker)
        const failures: Array<PluginHookError | ControlNotFoundError> = []
        for (let i = 0; i < 4; i++)
          failures.push(yield* Effect.flip(registry.runControl(request("docker.broken"), probe)))
        expect(failures).toEqual(
          Array.from(
            { length: 4 },
            () =>
              new PluginHookError({
                plugin: "docker",
                kind: "control",
                hook: "docker.broken",
                reason: "failed",
                message: 'control "docker.broken" of plugin "docker" failed: daemon down',
                cause: new Error("daemon down")
              })
          )
        )
        const fiber = yield* Effect.forkChild(Effect.flip(registry.runControl(request("docker.hang"), probe)))
        yield* TestClock.adjust(1_000)
        expect(yield* Fiber.join(fiber)).toEqual(
          new PluginHookError({
            plugin: "docker",
            kind: "control",
            hook: "docker.hang",
            reason: "timeout",
            message: 'control "docker.hang" of plugin "docker" timed out after 1000 ms'
          })
        )
        expect(aborted).toBe(true)
        const health = registry.health().filter((h) => h.id === "docker/control/docker.broken")
        expect(health).toEqual([
          {
            id: "docker/control/docker.broken",
            plugin: "docker",
            kind: "control",
            name: "docker.broken",
            status: "failed",
            message: 'control "docker.broken" of plugin "docker" failed: daemon down',
            durationMs: 0,
            lastRun: 0,
            runs: 4,
            failures: 4,
            consecutiveFailures: 4
          }
        ] satisfies ReadonlyArray<HookHealth>)
      })
    )
  })

  describe("views", () => {
    it.effect("lists plugin views and isolates a render that throws or returns garbage", () =>
      Effect.gen(function* () {
        const registry = yield* PluginRegistry.make({ maxConsecutiveFailures: 2 })
        const rendering = { nodes: new Map(), edges: new Map() }
        const view = (id: string, render: ViewDefinition["render"]): ViewDefinition => ({
          id,
          label: id,
          reads: ["hosts"],
          countTopology: "hosts",
          rank: 1,
          render
        })
        yield* registry.register(
          definePlugin({
            name: "views",
            version: "1.0.0",
            apiVersion: 1,
            views: [
              view("good", () => rendering),
              view("throws", () => {
                throw new Error("render failed")
              }),
              view("garbage", () => 7 as unknown as typeof rendering)
            ]
          })
        )
        const report = fromNodes([host])
        const views = registry.views()
        expect(views.map((v) => [v.id, v.label, v.reads, v.countTopology, v.rank])).toEqual([
          ["good", "good", ["hosts"], "hosts", 1],
          ["throws", "throws", ["hosts"], "hosts", 1],
          ["garbage", "garbage", ["hosts"], "hosts", 1]
        ])
        expect(views.map((v) => v.render(report))).toEqual([rendering, rendering, rendering])
        expect(views[0]!.render(report)).toBe(rendering)
        views[1]!.render(report)
        views[1]!.render(report)
        expect(registry.health().map(({ id, message, status }) => ({ id, status, message }))).toEqual([
          { id: "views/view/good", status: "ok", message: undefined },
          {
            id: "views/view/throws",
            status: "disabled",
            message:
              'disabled after 2 consecutive failures, retrying at 1970-01-01T00:00:30.000Z; last error: view "throws" of plugin "views" failed: render failed'
          },
          {
            id: "views/view/garbage",
            status: "failed",
            message:
              'view "garbage" of plugin "views" returned an invalid rendering: expected { nodes: Map, edges: Map }, got 7'
          }
        ])
        expect(registry.health()[1]?.runs).toBe(2)
      })
    )
  })
})

describe("PluginHost", () => {
  /** A collector that would take 10 s, stops its timer when aborted. */
  const slowCollect = (ctx: { readonly signal: AbortSignal }) =>
    new Promise<ReportFragment>((resolve) => {
      const timer = setTimeout(() => resolve(empty), 10_000)
      ctx.signal.addEventListener("abort", () => clearTimeout(timer))
    })

  it("registers plugins and runs their hooks without Effect", async () => {
    const host = new PluginRegistry.PluginHost({ defaultTimeoutMs: 1_000 })
    const unregister = host.register(
      definePlugin({
        name: "plain",
        version: "1.0.0",
        apiVersion: 1,
        options: Schema.Struct({ id: Schema.String }),
        collectors: [
          { name: "host", collect: async (ctx) => fragmentOf(makeNode("hosts", ctx.options.id)) },
          { name: "slow", timeoutMs: 20, collect: slowCollect }
        ],
        taggers: [{ name: "t", tag: (fragment) => fragment }],
        panels: [{ name: "p", panels: () => [] }],
        controls: [{ id: "plain.echo", label: "Echo", topologies: ["hosts"], permission: "p", run: (r) => r.nodeId }],
        views: [
          {
            id: "plain",
            label: "Plain",
            reads: [],
            countTopology: "hosts",
            rank: 0,
            render: () => ({ nodes: new Map(), edges: new Map() })
          }
        ]
      }),
      { id: "h" }
    )
    const collected = await host.runCollectors(probe)
    expect(collected.topologies).toEqual({ hosts: { h: makeNode("hosts", "h") } })
    expect(collected.health.map((h) => [h.name, h.status, h.message])).toEqual([
      ["plain/collector/host", "ok", undefined],
      ["plain/collector/slow", "failed", 'collector "slow" of plugin "plain" timed out after 20 ms']
    ])
    expect((await host.runTaggers(collected, probe)).topologies).toEqual(collected.topologies)
    expect(await host.panelsFor(makeNode("hosts", "h"))).toEqual([])
    expect(
      await host.runControl({ id: "1", nodeId: "h", topology: "hosts", action: "plain.echo", args: {} }, probe)
    ).toBe("h")
    await expect(
      host.runControl({ id: "2", nodeId: "h", topology: "hosts", action: "nope", args: {} }, probe)
    ).rejects.toEqual(
      new ControlNotFoundError({
        action: "nope",
        topology: "hosts",
        message: 'unknown control "nope"; registered controls: plain.echo'
      })
    )
    expect(host.collectors().map((c) => c.id)).toEqual(["plain/collector/host", "plain/collector/slow"])
    expect(host.taggers().map((c) => c.id)).toEqual(["plain/tagger/t"])
    expect(host.views().map((v) => v.id)).toEqual(["plain"])
    expect(host.controlsFor(makeNode("hosts", "h")).map((c) => c.id)).toEqual(["plain.echo"])
    expect(host.control("plain.echo")?.name).toBe("plain.echo")
    expect(host.plugins()).toEqual([{ name: "plain", version: "1.0.0", apiVersion: 1 }])
    expect(host.health().map((h) => h.status)).toEqual(["ok", "failed", "ok", "idle", "ok", "ok"])
    unregister()
    expect(host.plugins()).toEqual([])
    host.register(withCollectors("other", []))
    expect(host.unregister("other")).toBe(true)
  })

  it("throws the PluginError when registration fails", () => {
    const host = new PluginRegistry.PluginHost()
    const plugin = definePlugin({
      name: "needs",
      version: "1",
      apiVersion: 1,
      options: Schema.Struct({ n: Schema.Number })
    })
    // @ts-expect-error n must be a number
    expect(() => host.register(plugin, { n: "1" })).toThrow(
      new PluginOptionsError({
        plugin: "needs",
        path: "n",
        message: 'plugin "needs": invalid option n: Expected number, got "1"'
      })
    )
    expect(Exit.isSuccess(Exit.succeed(1))).toBe(true)
  })

  it("refuses invalid registry options", () => {
    expect(() => new PluginRegistry.PluginHost({ maxConsecutiveFailures: 0 })).toThrow(
      'Expected a value greater than or equal to 1\n  at ["maxConsecutiveFailures"]'
    )
  })
})

describe("PluginRegistry.check", () => {
  it.effect("checks a plugin and its options without registering it", () =>
    Effect.gen(function* () {
      const plugin = definePlugin({
        name: "checked",
        version: "1.0.0",
        apiVersion: 1,
        options: Schema.Struct({ port: Schema.Int })
      })
      expect(yield* PluginRegistry.check(plugin, { port: 1 })).toEqual({ port: 1 })
      const bad = yield* Effect.flip(PluginRegistry.check(plugin, { port: "x" }))
      expect(bad).toMatchObject({ _tag: "PluginOptionsError", plugin: "checked", path: "port" })
      const version = yield* Effect.flip(PluginRegistry.check({ name: "v9", version: "1", apiVersion: 9 }))
      expect(version._tag).toBe("PluginVersionError")
      // Nothing was registered: the same plugin registers afterwards.
      const registry = yield* PluginRegistry.make()
      yield* registry.register(plugin, { port: 2 })
      yield* registry.register({ ...plugin, name: "checked-2" }, { port: 2 })
      expect(registry.plugins().map((info) => info.name)).toEqual(["checked", "checked-2"])
    })
  )
})
