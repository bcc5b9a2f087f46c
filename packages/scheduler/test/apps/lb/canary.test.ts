import { afterEach, describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { freePorts } from "../../../../../test/fixtures/process.js"
import { canaryWeights, LoadBalancer, split } from "../../../src/apps/lb/index.js"
import { Canary } from "../../../src/rollout/index.js"
import { httpBackend, keepAlive, send, type TestBackend, tally } from "./helpers.js"

describe("canaryWeights (rollout's WeightSetter over the load balancer)", () => {
  const cleanup: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f()
  })

  it("computes a split that gives the canary side its share, shared by the backends' own weights", () => {
    const weights = split(20, (b) => b.id.startsWith("v2"))([
      { id: "v1-a", host: "h", port: 1 },
      { id: "v1-b", host: "h", port: 2 },
      { id: "v1-c", host: "h", port: 3, weight: 2 },
      { id: "v2-a", host: "h", port: 4 }
    ])
    expect(weights).toEqual([20, 20, 40, 20])
    expect(split(20, () => false)([{ id: "a", host: "h", port: 1, weight: 3 }])).toEqual([undefined])
  })

  const requests = (url: string, n: number) =>
    Effect.promise(async () => {
      const agent = keepAlive()
      const names: Array<string> = []
      for (let i = 0; i < n; i++) names.push((await send(`${url}/`, { agent })).body)
      agent.destroy()
      return tally(names)
    })

  it.live(
    "a canary at weight 20 gets ~20% of the requests, through new backend lists too, then 100% on promotion",
    () =>
      Effect.gen(function* () {
        const backends: Array<TestBackend> = []
        for (const name of ["v1-a", "v1-b", "v1-c", "v2-a"])
          backends.push(yield* Effect.promise(() => httpBackend(name)))
        for (const b of backends) cleanup.push(() => b.close())
        const entry = (b: TestBackend) => ({ id: b.name, host: "127.0.0.1", port: b.port })
        const lb = Context.get(yield* Layer.build(LoadBalancer.layer()), LoadBalancer)
        const [port] = yield* Effect.promise(() => freePorts(1))
        yield* lb.ensure({ servicePort: port!, name: "web", mode: "http", strategy: "round-robin", host: "127.0.0.1" })
        yield* lb.setBackends(port!, backends.map(entry))
        const url = `http://127.0.0.1:${port}`

        const canary = yield* Canary.start(
          { steps: [{ setWeight: 20 }, { pause: {} }] },
          canaryWeights(lb, port!, (b) => b.id.startsWith("v2"))
        )
        yield* canary.awaitPhase(["Paused"])
        const first = yield* requests(url, 100)
        expect(first["v2-a"]).toBe(20)
        expect(first["v1-a"]! + first["v1-b"]! + first["v1-c"]!).toBe(80)

        // the scheduler replaces the list (a v1 task replaced by another): the split holds
        yield* lb.setBackends(port!, [entry(backends[0]!), entry(backends[1]!), entry(backends[3]!)])
        const second = yield* requests(url, 100)
        expect(second).toEqual({ "v1-a": 40, "v1-b": 40, "v2-a": 20 })

        yield* canary.promoteFull
        expect((yield* canary.status).phase).toBe("Healthy")
        expect(yield* requests(url, 10)).toEqual({ "v2-a": 10 })
      })
  )
})
