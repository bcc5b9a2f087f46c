/**
 * Reads the canary strategy of an Argo Rollouts `Rollout` (`spec.strategy.canary`: `steps` and the
 * background `analysis`) into a {@link Canary.CanarySpec}, resolving each `templateName` against the
 * analysis templates you pass, so an existing Rollout manifest drives our canary driver unchanged.
 *
 * ```ts
 * const spec = yield* ArgoRollout.canarySpec(rolloutYaml, { templates: yield* AnalysisTemplate.parseYaml(templatesYaml) })
 * const canary = yield* Canary.start(spec, loadBalancer)
 * ```
 *
 * Supported steps: `setWeight`, `pause` (`duration` as `10m` or seconds, or none: until promoted) and
 * `analysis` (`templates`, `args`); the background `analysis` with `startingStep`. Other steps
 * (`experiment`, `setCanaryScale`, `setHeaderRoute`, `setMirrorRoute`, `plugin`) and `valueFrom` args that
 * need Kubernetes (`podTemplateHashValue`, `fieldRef`) are errors naming the step and the field.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { parseAllDocuments } from "yaml"
import * as AnalysisTemplate from "./AnalysisTemplate.js"
import type { CanarySpec, Step } from "./Canary.js"
import { FieldFailure, type Fields, fields } from "./internal/template/fields.js"
import { parseDuration } from "./internal/template/duration.js"
import { TemplateError } from "./RolloutError.js"

/**
 * What resolving a Rollout's analyses needs.
 *
 * @since 0.1.0
 * @category models
 */
export interface CanaryOptions extends AnalysisTemplate.ResolveOptions {
  /** The analysis templates the Rollout names (by `metadata.name`). */
  readonly templates: ReadonlyArray<AnalysisTemplate.Template>
}

/**
 * Reads a Rollout (YAML text, or a parsed object) into a canary spec with resolved analyses.
 *
 * @since 0.1.0
 * @category constructors
 */
export const canarySpec = (
  rollout: string | object,
  options: CanaryOptions
): Effect.Effect<CanarySpec, TemplateError> =>
  Effect.suspend(() => {
    let value: unknown = rollout
    if (typeof rollout === "string") {
      const docs = parseAllDocuments(rollout)
      const first = (Array.isArray(docs) ? docs : [docs])[0]
      const problem = first?.errors[0]
      if (first === undefined || problem !== undefined) {
        return Effect.fail(
          new TemplateError({ field: "rollout", reason: `invalid YAML: ${problem?.message ?? "empty"}` })
        )
      }
      value = first.toJS()
    }
    try {
      return Effect.succeed(read(value, options))
    } catch (e) {
      return Effect.fail(
        e instanceof FieldFailure ? e.error : new TemplateError({ field: "rollout", reason: String(e) })
      )
    }
  })

const read = (value: unknown, options: CanaryOptions): CanarySpec => {
  const root = fields(value, "", undefined)
  const kind = root.string("kind")
  if (kind !== undefined && kind !== "Rollout") root.fail("kind", `must be Rollout, got "${kind}"`)
  const canary = root.object("spec")?.object("strategy")?.object("canary")
  if (canary === undefined) return root.fail("spec.strategy.canary", "is required")
  const steps = (canary.array("steps") ?? []).map((raw, i) =>
    readStep(fields(raw, `spec.strategy.canary.steps[${i}]`, undefined), options)
  )
  const background = canary.object("analysis")
  if (background === undefined) return { steps }
  const startingStep = background.int("startingStep", 0)
  return {
    steps,
    background: { spec: resolveAnalysis(background, options), ...(startingStep === undefined ? {} : { startingStep }) }
  }
}

const readStep = (step: Fields, options: CanaryOptions): Step => {
  const kinds = Object.keys(step.raw).filter((k) => step.has(k))
  if (kinds.length !== 1)
    return step.fail("", `must have exactly one of setWeight, pause, analysis; got ${kinds.join(", ") || "none"}`)
  const kind = kinds[0]!
  switch (kind) {
    case "setWeight": {
      const weight = step.int("setWeight", 0)!
      if (weight > 100) step.fail("setWeight", `must be at most 100, got ${weight}`)
      return { setWeight: weight }
    }
    case "pause": {
      const pause = step.object("pause")
      const raw = pause?.raw.duration
      if (raw === undefined || raw === null) return { pause: {} }
      // Argo reads a bare number (or a numeric string) as seconds.
      const ms = typeof raw === "number" || /^\d+$/.test(String(raw)) ? Number(raw) * 1000 : parseDuration(String(raw))
      if (ms === undefined || ms < 0)
        return pause!.fail("duration", `must be a duration such as "10m" or seconds, got ${JSON.stringify(raw)}`)
      return { pause: { durationMs: ms } }
    }
    case "analysis":
      return { analysis: resolveAnalysis(step.object("analysis")!, options) }
    default:
      return step.fail(kind, `step "${kind}" is not supported here (supported: setWeight, pause, analysis)`)
  }
}

const resolveAnalysis = (analysis: Fields, options: CanaryOptions): AnalysisTemplate.RunSpec => {
  const refs = analysis.array("templates") ?? analysis.fail("templates", "must list at least one templateName")
  const templates = refs.map((raw, i) => {
    const ref = fields(raw, `templates[${i}]`, undefined)
    const name = ref.requiredString("templateName")
    const found = options.templates.find((t) => t.name === name)
    if (found === undefined) {
      const known = options.templates.map((t) => t.name)
      return ref.fail(
        "templateName",
        `no template "${name}" was given (given: ${known.length === 0 ? "none" : known.join(", ")})`
      )
    }
    return found
  })
  const args: Record<string, string> = {}
  for (const [i, raw] of (analysis.array("args") ?? []).entries()) {
    const arg = fields(raw, `args[${i}]`, undefined)
    const name = arg.requiredString("name")
    if (arg.has("valueFrom")) arg.fail("valueFrom", "needs Kubernetes; give the value instead")
    args[name] = arg.string("value") ?? arg.fail("value", "is required")
  }
  const resolved = AnalysisTemplate.resolveSync(templates, { ...options, args: { ...args, ...options.args } })
  if (resolved instanceof TemplateError) throw new FieldFailure(resolved)
  return resolved
}
