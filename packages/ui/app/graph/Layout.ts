/**
 * Runs layout refinements in a Web Worker, one at a time, and answers with the refined positions. Where no
 * worker can be started (a test in Node, a page whose policy forbids workers), it refines on the calling
 * thread instead, with the same result.
 */
import { type LayoutProblem, type RefineOptions, type RefineResult, refine } from "./Forces.js"

/** A request to the worker. */
export interface LayoutRequest {
  readonly id: number
  readonly problem: LayoutProblem
  readonly options: RefineOptions
}

/** The worker's answer: the refined positions (same order as the request's). */
export interface LayoutResponse {
  readonly id: number
  readonly xs: Float64Array
  readonly ys: Float64Array
  readonly result: RefineResult
}

/** What the runner needs of a Web Worker (structural, so tests pass a fake one). */
export interface WorkerLike {
  onmessage: ((event: { readonly data: LayoutResponse }) => void) | null
  onerror: ((event: { preventDefault(): void }) => void) | null
  postMessage(message: LayoutRequest): void
  terminate(): void
}

/** Starts the layout worker; see {@link LayoutRunner}. */
export type WorkerFactory = () => WorkerLike

/** Refines layouts off the main thread. */
export class LayoutRunner {
  private worker: WorkerLike | undefined
  private failed = false
  private nextId = 1
  private readonly pending = new Map<number, (response: LayoutResponse) => void>()
  private readonly requests = new Map<number, LayoutRequest>()

  constructor(private readonly createWorker: WorkerFactory | undefined) {}

  /** Starts the worker now, so the first layout does not wait for it to load. */
  warm(): void {
    this.ensureWorker()
  }

  /** Refines a copy of `problem` (the worker gets a clone) and resolves with the refined positions. */
  run(problem: LayoutProblem, options: RefineOptions): Promise<LayoutResponse> {
    const id = this.nextId++
    const request: LayoutRequest = { id, problem, options }
    const worker = this.ensureWorker()
    if (worker === undefined) return Promise.resolve(this.inline(request))
    return new Promise((resolve) => {
      this.pending.set(id, resolve)
      this.requests.set(id, request)
      worker.postMessage(request)
    })
  }

  /** Stops the worker; pending runs are finished on the calling thread. */
  dispose(): void {
    this.worker?.terminate()
    this.worker = undefined
    this.failed = true
    this.finishInline()
  }

  private ensureWorker(): WorkerLike | undefined {
    if (this.worker !== undefined || this.failed || this.createWorker === undefined) return this.worker
    try {
      const worker = this.createWorker()
      worker.onmessage = (event) => {
        const resolve = this.pending.get(event.data.id)
        this.pending.delete(event.data.id)
        this.requests.delete(event.data.id)
        resolve?.(event.data)
      }
      worker.onerror = (event) => {
        event.preventDefault()
        // A worker that cannot load (or crashed) is not retried: what it had is refined here.
        this.worker?.terminate()
        this.worker = undefined
        this.failed = true
        this.finishInline()
      }
      this.worker = worker
    } catch {
      this.failed = true
    }
    return this.worker
  }

  /** Answers pending requests on this thread. */
  private finishInline(): void {
    for (const [id, resolve] of this.pending) resolve(this.inline(this.requests.get(id)!))
    this.pending.clear()
    this.requests.clear()
  }

  /** Refines a copy, like the worker (the caller's arrays stay as they were). */
  private inline(request: LayoutRequest): LayoutResponse {
    const problem = { ...request.problem, xs: request.problem.xs.slice(), ys: request.problem.ys.slice() }
    const result: RefineResult = refine(problem, request.options)
    return { id: request.id, xs: problem.xs, ys: problem.ys, result }
  }
}
