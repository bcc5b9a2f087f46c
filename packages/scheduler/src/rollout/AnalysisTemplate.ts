/**
 * Analysis templates as Argo Rollouts writes them (`AnalysisTemplate`, `ClusterAnalysisTemplate`, or the
 * spec of an `AnalysisRun`), parsed from YAML or plain objects, and resolved with their arguments into a
 * validated {@link RunSpec} the analysis runs.
 *
 * ```ts
 * const templates = yield* AnalysisTemplate.parseYaml(yamlText)
 * const spec = yield* AnalysisTemplate.resolve(templates, { args: { "service-name": "checkout" } })
 * ```
 *
 * Resolution follows Argo: `{{args.name}}` placeholders are replaced in every field of every metric; an arg
 * from `valueFrom.secretKeyRef` is read from `secrets` and its value is redacted from every message;
 * several templates merge (their args by name, at most one of them giving a value; their metrics must have
 * distinct names); values given at run time override the templates' values. Every problem is a
 * {@link TemplateError} naming the metric and the field.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { parseAllDocuments } from "yaml"
import * as Expression from "./Expression.js"
import { FieldFailure, type Fields, fields } from "./internal/template/fields.js"
import { redact, substitute } from "./internal/template/resolveArgs.js"
import { readProvider } from "./internal/template/providers.js"
import type { ProviderSpec } from "./internal/template/providers.js"
import { ExpressionError, TemplateError } from "./RolloutError.js"

export type {
  FunctionProviderSpec,
  PrometheusSpec,
  ProviderSpec,
  TimeSeriesSpec,
  WebSpec
} from "./internal/template/providers.js"

/**
 * A template argument: a literal `value`, a secret (`valueFrom.secretKeyRef`), or neither (must be given
 * when the run is created).
 *
 * @since 0.1.0
 * @category models
 */
export interface Arg {
  readonly name: string
  readonly value?: string
  readonly secretKeyRef?: { readonly name: string; readonly key: string }
}

/**
 * A parsed, not yet resolved template: its metrics stay raw until their placeholders are resolved.
 *
 * @since 0.1.0
 * @category models
 */
export interface Template {
  readonly kind: string
  readonly name: string
  readonly args: ReadonlyArray<Arg>
  readonly metrics: ReadonlyArray<Readonly<Record<string, unknown>>>
  /** `metricName` patterns (Argo matches them as regular expressions, e.g. `.*`). */
  readonly dryRun: ReadonlyArray<string>
  readonly measurementRetention: ReadonlyArray<{ readonly metricName: string; readonly limit: number }>
}

/**
 * A metric ready to run: durations in milliseconds, limits with Argo's defaults, compiled conditions.
 *
 * @since 0.1.0
 * @category models
 */
export interface Metric {
  readonly name: string
  readonly intervalMs?: number
  readonly initialDelayMs?: number
  /** Argo's `EffectiveCount`: `count`, or 1 when neither count nor interval is set, else unbounded. */
  readonly count?: number
  /** Default 0; -1 turns the limit off. */
  readonly failureLimit: number
  /** Default 0. */
  readonly inconclusiveLimit: number
  /** Default 4. */
  readonly consecutiveErrorLimit: number
  /** Default 0 (off). */
  readonly consecutiveSuccessLimit: number
  readonly successCondition?: Expression.Compiled
  readonly failureCondition?: Expression.Compiled
  readonly provider: ProviderSpec
  readonly dryRun: boolean
  /** How many measurements are kept (Argo's default 10). */
  readonly retention: number
}

/**
 * A resolved analysis: metrics, the args' values, and the secret values to redact.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunSpec {
  readonly metrics: ReadonlyArray<Metric>
  readonly args: Readonly<Record<string, string>>
  readonly secrets: ReadonlyArray<string>
}

/**
 * What {@link resolve} needs besides the templates.
 *
 * @since 0.1.0
 * @category models
 */
export interface ResolveOptions {
  /** Argument values; they override the templates' literal values. */
  readonly args?: Readonly<Record<string, string>>
  /** Values of argument names that are secrets (redacted from messages), e.g. an API token. */
  readonly secretArgs?: Readonly<Record<string, string>>
  /** Secrets for `valueFrom.secretKeyRef`: secret name, then key. */
  readonly secrets?: Readonly<Record<string, Readonly<Record<string, string>>>>
}

/**
 * Argo's default number of measurements kept per metric.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultMeasurementRetention = 10

const kinds = new Set(["AnalysisTemplate", "ClusterAnalysisTemplate", "AnalysisRun"])

/**
 * Parses one or more YAML documents holding Argo `AnalysisTemplate`, `ClusterAnalysisTemplate` or
 * `AnalysisRun` resources (or a bare spec with `metrics`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const parseYaml = (text: string): Effect.Effect<Array<Template>, TemplateError> =>
  Effect.suspend(() => {
    const docs = parseAllDocuments(text)
    const list = Array.isArray(docs) ? docs : [docs]
    const templates: Array<Template> = []
    for (const [i, doc] of list.entries()) {
      const problem = doc.errors[0]
      if (problem !== undefined) {
        return Effect.fail(
          new TemplateError({ field: `document ${i + 1}`, reason: `invalid YAML: ${problem.message}` })
        )
      }
      const value: unknown = doc.toJS()
      if (value === null || value === undefined) continue
      const parsed = fromObjectSync(value)
      if (parsed instanceof TemplateError) return Effect.fail(parsed)
      templates.push(parsed)
    }
    if (templates.length === 0)
      return Effect.fail(new TemplateError({ field: "document", reason: "no template found" }))
    return Effect.succeed(templates)
  })

/**
 * Reads a template from a plain object (a resource with `spec`, or a bare spec).
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromObject = (value: unknown): Effect.Effect<Template, TemplateError> =>
  Effect.suspend(() => {
    const parsed = fromObjectSync(value)
    return parsed instanceof TemplateError ? Effect.fail(parsed) : Effect.succeed(parsed)
  })

/**
 * {@link fromObject} without Effect: the template or the error (returned, not thrown).
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromObjectSync = (value: unknown): Template | TemplateError => {
  try {
    const root = fields(value, "", undefined)
    const kind = root.string("kind") ?? "AnalysisTemplate"
    if (!kinds.has(kind))
      root.fail("kind", `must be AnalysisTemplate, ClusterAnalysisTemplate or AnalysisRun, got "${kind}"`)
    const name = root.object("metadata")?.string("name") ?? "analysis"
    const spec = root.has("spec") ? root.object("spec")! : root
    const metrics = spec.array("metrics")
    if (metrics === undefined || metrics.length === 0) spec.fail("metrics", "must list at least one metric")
    const seen = new Set<string>()
    const rawMetrics = metrics!.map((m, i) => {
      const metric = fields(m, `metrics[${i}]`, undefined)
      const metricName = metric.requiredString("name")
      if (seen.has(metricName)) metric.fail("name", `duplicate metric name "${metricName}"`)
      seen.add(metricName)
      return metric.raw
    })
    const args = (spec.array("args") ?? []).map((a, i) => readArg(fields(a, `spec.args[${i}]`, undefined)))
    const dryRun = (spec.array("dryRun") ?? []).map((d, i) =>
      fields(d, `spec.dryRun[${i}]`, undefined).requiredString("metricName")
    )
    const measurementRetention = (spec.array("measurementRetention") ?? []).map((r, i) => {
      const entry = fields(r, `spec.measurementRetention[${i}]`, undefined)
      return {
        metricName: entry.requiredString("metricName"),
        limit: entry.int("limit", 1) ?? defaultMeasurementRetention
      }
    })
    for (const pattern of [...dryRun, ...measurementRetention.map((r) => r.metricName)]) {
      if (toRegExp(pattern) === undefined) spec.fail("dryRun", `invalid metricName pattern "${pattern}"`)
    }
    return { kind, name, args, metrics: rawMetrics, dryRun, measurementRetention }
  } catch (e) {
    if (e instanceof FieldFailure) return e.error
    return new TemplateError({ field: "spec", reason: String(e) })
  }
}

const readArg = (arg: Fields): Arg => {
  const name = arg.requiredString("name")
  const value = arg.string("value")
  const from = arg.object("valueFrom")
  if (from !== undefined) {
    const ref = from.object("secretKeyRef")
    if (ref === undefined) from.fail("secretKeyRef", "is the only supported valueFrom (fieldRef needs Kubernetes)")
    return { name, secretKeyRef: { name: ref!.requiredString("name"), key: ref!.requiredString("key") } }
  }
  return value === undefined ? { name } : { name, value }
}

const toRegExp = (pattern: string): RegExp | undefined => {
  try {
    return new RegExp(`^(?:${pattern})$`)
  } catch {
    return undefined
  }
}

/**
 * Resolves templates with their arguments into a validated {@link RunSpec}: substitutes placeholders,
 * applies defaults, checks limits and durations, compiles the conditions.
 *
 * @since 0.1.0
 * @category constructors
 */
export const resolve = (
  templates: Template | ReadonlyArray<Template>,
  options: ResolveOptions = {}
): Effect.Effect<RunSpec, TemplateError> =>
  Effect.suspend(() => {
    const resolved = resolveSync(templates, options)
    return resolved instanceof TemplateError ? Effect.fail(resolved) : Effect.succeed(resolved)
  })

/**
 * {@link resolve} without Effect: the spec or the error (returned, not thrown).
 *
 * @since 0.1.0
 * @category constructors
 */
export const resolveSync = (
  templates: Template | ReadonlyArray<Template>,
  options: ResolveOptions = {}
): RunSpec | TemplateError => {
  const list: ReadonlyArray<Template> = Array.isArray(templates) ? templates : [templates as Template]
  const args = new Map<string, string>()
  const secrets: Array<string> = []
  try {
    const valued = new Set<string>()
    for (const template of list) {
      for (const arg of template.args) {
        if (arg.value !== undefined || arg.secretKeyRef !== undefined) {
          if (valued.has(arg.name)) {
            throw new FieldFailure(
              new TemplateError({
                field: `args.${arg.name}`,
                reason: "has a value in two templates (Argo refuses to merge them)"
              })
            )
          }
          valued.add(arg.name)
        }
        if (arg.secretKeyRef !== undefined) {
          const { name, key } = arg.secretKeyRef
          const value = options.secrets?.[name]?.[key]
          if (value === undefined) {
            throw new FieldFailure(
              new TemplateError({ field: `args.${arg.name}`, reason: `secret "${name}" has no key "${key}"` })
            )
          }
          args.set(arg.name, value)
          secrets.push(value)
        } else if (arg.value !== undefined) args.set(arg.name, arg.value)
      }
    }
    for (const [name, value] of Object.entries(options.args ?? {})) args.set(name, value)
    for (const [name, value] of Object.entries(options.secretArgs ?? {})) {
      args.set(name, value)
      secrets.push(value)
    }
    const declared = new Set(list.flatMap((t) => t.args.map((a) => a.name)))
    for (const name of declared) {
      if (!args.has(name)) throw new FieldFailure(new TemplateError({ field: `args.${name}`, reason: "has no value" }))
    }
    const names = new Set<string>()
    const metrics: Array<Metric> = []
    for (const template of list) {
      const dryRun = template.dryRun.map((p) => toRegExp(p)!)
      const retention = template.measurementRetention.map((r) => ({ pattern: toRegExp(r.metricName)!, limit: r.limit }))
      for (const raw of template.metrics) {
        const name = String(raw.name)
        if (names.has(name)) {
          throw new FieldFailure(new TemplateError({ metric: name, field: "name", reason: "appears in two templates" }))
        }
        names.add(name)
        const missing = new Set<string>()
        const substituted = substitute(raw, args, missing)
        if (missing.size > 0) {
          throw new FieldFailure(
            new TemplateError({ metric: name, field: "args", reason: `unresolved {{args.${[...missing][0]}}}` })
          )
        }
        metrics.push(
          readMetric(
            fields(substituted, "", name),
            dryRun.some((r) => r.test(name)),
            retention.find((r) => r.pattern.test(name))?.limit ?? defaultMeasurementRetention
          )
        )
      }
    }
    return { metrics, args: Object.fromEntries(args), secrets }
  } catch (e) {
    const error = e instanceof FieldFailure ? e.error : new TemplateError({ field: "spec", reason: String(e) })
    return secrets.length === 0
      ? error
      : new TemplateError({
          ...(error.metric === undefined ? {} : { metric: error.metric }),
          field: error.field,
          reason: redact(error.reason, secrets)
        })
  }
}

const readMetric = (m: Fields, dryRun: boolean, retention: number): Metric => {
  const name = m.requiredString("name")
  const intervalMs = m.duration("interval")
  const initialDelayMs = m.duration("initialDelay")
  const count = m.int("count", 0)
  const failureLimit = m.int("failureLimit", -1) ?? 0
  const inconclusiveLimit = m.int("inconclusiveLimit", 0) ?? 0
  const consecutiveErrorLimit = m.int("consecutiveErrorLimit", 0) ?? 4
  const consecutiveSuccessLimit = m.int("consecutiveSuccessLimit", 0) ?? 0
  if (intervalMs === 0) m.fail("interval", "must be greater than 0")
  if (count !== undefined && count > 1 && intervalMs === undefined) m.fail("interval", "must be set when count > 1")
  if (count !== undefined && count > 0) {
    if (count < failureLimit) m.fail("count", `must be >= failureLimit (${failureLimit})`)
    if (count < inconclusiveLimit) m.fail("count", `must be >= inconclusiveLimit (${inconclusiveLimit})`)
    if (count < consecutiveSuccessLimit)
      m.fail("count", `must be >= consecutiveSuccessLimit (${consecutiveSuccessLimit})`)
  }
  const condition = (field: "successCondition" | "failureCondition") => {
    const source = m.string(field)
    if (source === undefined || source.trim() === "") return undefined
    const compiled = Expression.compileSync(source)
    if (compiled instanceof ExpressionError) m.fail(field, compiled.message)
    return compiled as Expression.Compiled
  }
  const successCondition = condition("successCondition")
  const failureCondition = condition("failureCondition")
  const provider = readProvider(m.object("provider") ?? m.fail("provider", "is required"))
  const effectiveCount = count ?? (intervalMs === undefined ? 1 : undefined)
  return {
    name,
    ...(intervalMs === undefined ? {} : { intervalMs }),
    ...(initialDelayMs === undefined ? {} : { initialDelayMs }),
    ...(effectiveCount === undefined ? {} : { count: effectiveCount }),
    failureLimit,
    inconclusiveLimit,
    consecutiveErrorLimit,
    consecutiveSuccessLimit,
    ...(successCondition === undefined ? {} : { successCondition }),
    ...(failureCondition === undefined ? {} : { failureCondition }),
    provider,
    dryRun,
    retention
  }
}
