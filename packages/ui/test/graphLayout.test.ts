import { describe, expect, it } from "vitest"
import {
  edgeSize,
  groupSize,
  maxGroupSize,
  maxNodeSize,
  metricScale,
  minNodeSize,
  nodeSize,
  shapeOf,
  worstStatus
} from "../app/graph/Appearance.js"
import { type LayoutProblem, refine } from "../app/graph/Forces.js"
import { type LayoutRequest, type LayoutResponse, LayoutRunner, type WorkerLike } from "../app/graph/Layout.js"

const problem = (): LayoutProblem => ({
  xs: Float64Array.from([0, 0, 0]),
  ys: Float64Array.from([0, 1, 2]),
  radius: new Float64Array(3).fill(5),
  pinned: Uint8Array.from([1, 0, 0]),
  cluster: new Int32Array(3).fill(-1),
  edges: new Uint32Array(0)
})

const options = { iterations: 50, spacing: 10 }

/** A worker that refines on a later tick (as a real one would), or fails to load. */
class FakeWorker implements WorkerLike {
  onmessage: ((event: { readonly data: LayoutResponse }) => void) | null = null
  onerror: ((event: { preventDefault(): void }) => void) | null = null
  readonly received: Array<LayoutRequest> = []
  terminated = false

  constructor(private readonly fail = false) {}

  postMessage(message: LayoutRequest): void {
    this.received.push(message)
    setTimeout(() => {
      if (this.fail) return this.onerror?.({ preventDefault: () => undefined })
      // The worker gets a copy (structured clone).
      const copy = { ...message.problem, xs: message.problem.xs.slice(), ys: message.problem.ys.slice() }
      const result = refine(copy, message.options)
      this.onmessage?.({ data: { id: message.id, xs: copy.xs, ys: copy.ys, result } })
    }, 1)
  }

  terminate(): void {
    this.terminated = true
  }
}

const expected = () => {
  const p = problem()
  refine(p, options)
  return { xs: p.xs, ys: p.ys }
}

describe("LayoutRunner", () => {
  it("refines in the worker and answers each run with its own result", async () => {
    const worker = new FakeWorker()
    const runner = new LayoutRunner(() => worker)
    runner.warm()
    const [a, b] = await Promise.all([runner.run(problem(), options), runner.run(problem(), options)])
    expect(worker.received.map((r) => r.id)).toEqual([a.id, b.id])
    expect(a.xs).toEqual(expected().xs)
    expect(b.ys).toEqual(expected().ys)
    expect(a.result.iterations).toBeGreaterThan(0)
    runner.dispose()
    expect(worker.terminated).toBe(true)
  })

  it("refines on the calling thread without a worker, or when it fails to load", async () => {
    const inline = await new LayoutRunner(undefined).run(problem(), options)
    expect(inline.xs).toEqual(expected().xs)
    const broken = new FakeWorker(true)
    const runner = new LayoutRunner(() => broken)
    const answer = await runner.run(problem(), options)
    expect(answer.xs).toEqual(expected().xs)
    expect(broken.terminated).toBe(true)
    // Later runs do not try the worker again.
    await runner.run(problem(), options)
    expect(broken.received).toHaveLength(1)
    const throwing = new LayoutRunner(() => {
      throw new Error("workers are not allowed here")
    })
    expect((await throwing.run(problem(), options)).ys).toEqual(expected().ys)
  })

  it("finishes pending runs on the calling thread when disposed", async () => {
    const runner = new LayoutRunner(() => ({
      onmessage: null,
      onerror: null,
      postMessage: () => undefined,
      terminate: () => undefined
    }))
    const pending = runner.run(problem(), options)
    runner.dispose()
    expect((await pending).xs).toEqual(expected().xs)
  })
})

describe("Appearance", () => {
  it("scales metrics absolutely, so one node's change never resizes another", () => {
    expect(metricScale("cpu", undefined)).toBeUndefined()
    expect(metricScale("cpu", 0)).toBe(0)
    expect(metricScale("cpu", 50)).toBeCloseTo(0.5, 5)
    expect(metricScale("cpu", 900)).toBe(1)
    expect(metricScale("memory", 2 ** 20)).toBe(0)
    expect(metricScale("memory", 2 ** 28)).toBeCloseTo(0.5, 5)
    expect(metricScale("memory", 0)).toBe(0)
    expect(metricScale("connections", 1023)).toBeCloseTo(1, 5)
    expect(nodeSize("cpu", undefined)).toBe(minNodeSize)
    expect(nodeSize("cpu", 200)).toBe(maxNodeSize)
    expect(groupSize(1)).toBeLessThan(groupSize(100))
    expect(groupSize(1_000_000)).toBe(maxGroupSize)
    expect(edgeSize(1)).toBeLessThan(edgeSize(100))
    expect(edgeSize(1e9)).toBe(1.6)
  })

  it("maps the view's shapes to sigma's and orders statuses by severity", () => {
    expect(["circle", "square", "triangle", "hexagon", "heptagon", "cloud", "other"].map(shapeOf)).toEqual([
      "circle",
      "square",
      "triangle",
      "hexagon",
      "hexagon",
      "diamond",
      "circle"
    ])
    expect(worstStatus("healthy", "critical")).toBe("critical")
    expect(worstStatus("warning", "healthy")).toBe("warning")
    expect(worstStatus("stopped", "unknown")).toBe("unknown")
  })
})
