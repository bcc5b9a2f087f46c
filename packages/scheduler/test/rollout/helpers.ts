import { AnalysisTemplate } from "@orchestrator/scheduler/rollout"
import { Effect } from "effect"
import { TestClock } from "effect/testing"

const settle = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

/** Moves the test clock forward in 1 s steps, letting provider Promises settle in between. */
export const advance = (ms: number) =>
  Effect.gen(function* () {
    yield* settle
    for (let t = 0; t < ms; t += 1000) {
      yield* TestClock.adjust(1000)
      yield* settle
    }
  })

/** A resolved spec from plain metric fields (a function provider named `f` unless given). */
export const spec = (
  metrics: ReadonlyArray<Record<string, unknown>>,
  extra: Record<string, unknown> = {},
  options: AnalysisTemplate.ResolveOptions = {}
): AnalysisTemplate.RunSpec => {
  const template = AnalysisTemplate.fromObjectSync({
    spec: { metrics: metrics.map((m) => ({ provider: { function: { name: "f" } }, ...m })), ...extra }
  })
  if (!("metrics" in template)) throw new Error(template.message)
  const resolved = AnalysisTemplate.resolveSync(template, options)
  if (!("secrets" in resolved)) throw new Error(resolved.message)
  return resolved
}

/** One resolved metric named `m`. */
export const metric = (fields: Record<string, unknown>): AnalysisTemplate.Metric =>
  spec([{ name: "m", ...fields }]).metrics[0]!
