/**
 * A Kayenta-style canary judge: per metric it cleans the control and experiment samples, compares them with
 * a two-sided Mann-Whitney test (98% interval for the shift), applies a tolerance band and effect-size gates
 * in the metric's direction, then scores groups and a weighted total and maps the score to an analysis phase.
 *
 * ```ts
 * const judgement = Judge.judge({
 *   metrics: [{ name: "latency", control: [..], experiment: [..], direction: "increase", critical: true }],
 *   thresholds: { pass: 95, marginal: 75 }
 * })
 * judgement.phase // "Successful" | "Inconclusive" | "Failed"
 * ```
 *
 * Pure and synchronous; bad input is reported in {@link Judgement.errors} per metric (the metric counts as
 * `Error`, which fails its group like a `High`), never thrown. {@link validateRequest} checks untrusted JSON.
 *
 * @since 0.1.0
 */
import { cleanSample, type CleanedSample } from "./internal/judge/clean.js"
import { cles, type MannWhitneyResult, mannWhitney, summarize, type Summary } from "./Statistics.js"
import { type Direction, type JudgeRequest, type MetricInput, maxPairs, validateRequest } from "./JudgeRequest.js"
import type { Phase } from "./Phase.js"

export type { Direction, EffectSize, JudgeOptions, JudgeRequest, MetricInput } from "./JudgeRequest.js"
export { maxPairs, validateRequest } from "./JudgeRequest.js"

/**
 * How a metric was classified. `High`/`Low`/`HighVariance`/`NoDataFail`/`Error` count against the score;
 * `NoData` is left out of it.
 *
 * @since 0.1.0
 * @category models
 */
export type Classification = "Pass" | "High" | "Low" | "HighVariance" | "NoData" | "NoDataFail" | "Error"

/**
 * The statistics reported per metric.
 *
 * @since 0.1.0
 * @category models
 */
export interface MetricStatistics {
  readonly control: Summary & { readonly removedNaN: number; readonly removedOutliers: number }
  readonly experiment: Summary & { readonly removedNaN: number; readonly removedOutliers: number }
  readonly mannWhitney?: MannWhitneyResult
  /** The tolerance band `[-t|estimate|, +t|estimate|]` the interval is compared against. */
  readonly band?: { readonly lower: number; readonly upper: number }
  readonly meanRatio?: number
  readonly cles?: number
  /** The spread comparison of the variance-aware check. */
  readonly spread?: { readonly madRatio: number; readonly mannWhitney?: MannWhitneyResult }
}

/**
 * The verdict on one metric.
 *
 * @since 0.1.0
 * @category models
 */
export interface MetricJudgement {
  readonly name: string
  readonly group: string
  readonly classification: Classification
  readonly reason: string
  readonly critical: boolean
  readonly direction: Direction
  readonly statistics: MetricStatistics
}

/**
 * A group's score: the share of its scored metrics that passed, 0-100.
 *
 * @since 0.1.0
 * @category models
 */
export interface GroupScore {
  readonly name: string
  readonly score: number
  readonly weight: number
  readonly noData: boolean
  readonly counts: Readonly<Partial<Record<Classification, number>>>
}

/**
 * The judgement: total score, the classification Kayenta would give (`Pass`, `Marginal`, `Fail`) and the
 * analysis phase it maps to.
 *
 * @since 0.1.0
 * @category models
 */
export interface Judgement {
  readonly score: number
  readonly classification: "Pass" | "Marginal" | "Fail"
  readonly phase: Extract<Phase, "Successful" | "Inconclusive" | "Failed">
  readonly reason: string
  readonly thresholds: { readonly pass: number; readonly marginal: number }
  readonly groups: ReadonlyArray<GroupScore>
  readonly metrics: ReadonlyArray<MetricJudgement>
  /** Input problems, one line per bad field (`metrics[2].tolerance: must be a number >= 0`). */
  readonly errors: ReadonlyArray<string>
}

const failing: ReadonlySet<Classification> = new Set(["High", "Low", "HighVariance", "NoDataFail", "Error"])

/**
 * Classifies one metric.
 *
 * @since 0.1.0
 * @category judging
 */
export const classify = (input: MetricInput, confLevel = 0.98): MetricJudgement => {
  const direction = input.direction ?? "either"
  const critical = input.critical ?? false
  const group = input.group ?? "default"
  const control = cleanSample(input.control, input)
  const experiment = cleanSample(input.experiment, input)
  const base = { name: input.name, group, critical, direction }
  const statistics: MetricStatistics = { control: describe(control), experiment: describe(experiment) }
  const verdict = (classification: Classification, reason: string, extra: Partial<MetricStatistics> = {}) => ({
    ...base,
    classification,
    reason,
    statistics: { ...statistics, ...extra }
  })
  if (control.values.length === 0 || experiment.values.length === 0) {
    const missing = control.values.length === 0 ? (experiment.values.length === 0 ? "both" : "control") : "experiment"
    return input.mustHaveData
      ? verdict("NoDataFail", `no data (${missing}) and the metric must have data`)
      : verdict("NoData", `no data (${missing})`)
  }
  if (control.values.length * experiment.values.length > maxPairs) {
    return verdict(
      "Error",
      `${control.values.length} control × ${experiment.values.length} experiment values exceed ${maxPairs} pairs; aggregate them first`
    )
  }
  const sortedControl = Float64Array.from(control.values).sort()
  const sortedExperiment = Float64Array.from(experiment.values).sort()
  if (sameValues(sortedControl, sortedExperiment))
    return verdict("Pass", "the experiment and control data are identical")
  const first = control.values[0]!
  if (control.values.every((v) => v === first) && experiment.values.every((v) => v === first)) {
    return verdict("Pass", "every value is the same")
  }
  const mw = mannWhitney(experiment.values, control.values, { confLevel })
  if (mw === undefined) return verdict("Pass", "every value is the same")
  const tolerance = input.tolerance ?? 0.25
  const band = { lower: -tolerance * Math.abs(mw.estimate), upper: tolerance * Math.abs(mw.estimate) }
  const meanRatio = statistics.experiment.mean / statistics.control.mean
  const clesValue = cles(mw)
  const measure = input.effectSize?.measure ?? "meanRatio"
  const effect = measure === "cles" ? clesValue : meanRatio
  const neutral = measure === "cles" ? 0.5 : 1
  const allowedIncrease = input.effectSize?.allowedIncrease ?? neutral
  const allowedDecrease = input.effectSize?.allowedDecrease ?? neutral
  const extra: Partial<MetricStatistics> = { mannWhitney: mw, band, meanRatio, cles: clesValue }
  const interval = `${percent(confLevel)} interval of the shift [${fmt(mw.lower)}, ${fmt(mw.upper)}]`
  const checksIncrease = direction === "increase" || direction === "either"
  const checksDecrease = direction === "decrease" || direction === "either"
  if (checksIncrease && mw.lower > band.upper) {
    if (effect >= allowedIncrease) {
      return verdict(
        "High",
        `${interval} is above the tolerance band (+${fmt(band.upper)}); ${measure} ${fmt(effect)}`,
        extra
      )
    }
    return verdict(
      "Pass",
      `a significant increase, but ${measure} ${fmt(effect)} < allowed ${fmt(allowedIncrease)}`,
      extra
    )
  }
  if (checksDecrease && mw.upper < band.lower) {
    if (effect <= allowedDecrease) {
      return verdict(
        "Low",
        `${interval} is below the tolerance band (${fmt(band.lower)}); ${measure} ${fmt(effect)}`,
        extra
      )
    }
    return verdict(
      "Pass",
      `a significant decrease, but ${measure} ${fmt(effect)} > allowed ${fmt(allowedDecrease)}`,
      extra
    )
  }
  if (input.varianceCheck) {
    const maxSpreadRatio = typeof input.varianceCheck === "object" ? (input.varianceCheck.maxSpreadRatio ?? 1.5) : 1.5
    const spread = compareSpread(sortedControl, sortedExperiment, confLevel)
    const spreadStats = { ...extra, spread }
    if (spread.mannWhitney !== undefined && spread.mannWhitney.lower > 0 && spread.madRatio >= maxSpreadRatio) {
      return verdict(
        "HighVariance",
        `the experiment's spread is larger (MAD ratio ${fmt(spread.madRatio)} >= ${fmt(maxSpreadRatio)}, ${percent(confLevel)} interval of the deviation shift [${fmt(spread.mannWhitney.lower)}, ${fmt(spread.mannWhitney.upper)}])`,
        spreadStats
      )
    }
    return verdict(
      "Pass",
      `${interval} is within the tolerance band; spread ratio ${fmt(spread.madRatio)}`,
      spreadStats
    )
  }
  return verdict("Pass", `${interval} is within the tolerance band`, extra)
}

/**
 * Judges every metric, scores the groups and the total, and maps the score to a phase: a failed critical
 * metric fails the judgement with score 0; otherwise score >= `pass` is Successful, >= `marginal`
 * Inconclusive, else Failed. Default thresholds: pass 95, marginal 75.
 *
 * @since 0.1.0
 * @category judging
 */
export const judge = (untrusted: JudgeRequest): Judgement => {
  const errors = validateRequest(untrusted)
  const request: JudgeRequest = Array.isArray(untrusted?.metrics) ? untrusted : { metrics: [] }
  const weights =
    typeof request.groupWeights === "object" && request.groupWeights !== null ? request.groupWeights : undefined
  if (weights !== undefined) {
    const missing = [...new Set(request.metrics.map((m) => m?.group ?? "default"))].filter((g) => !(g in weights))
    for (const group of missing) errors.push(`groupWeights: no weight for group "${group}"`)
  }
  const thresholds = request.thresholds ?? { pass: 95, marginal: 75 }
  const confLevel = request.confLevel ?? 0.98
  const badMetrics = new Set(errors.map((e) => /^metrics\[(\d+)\]/.exec(e)?.[1]).filter((i) => i !== undefined))
  const metrics = request.metrics.map((metric, i) =>
    badMetrics.has(String(i)) ? errorJudgement(metric, i, errors) : classify(metric, confLevel)
  )
  const groups = scoreGroups(metrics, request.groupWeights)
  const scored = groups.filter((g) => !g.noData)
  const weightSum = scored.reduce((sum, g) => sum + g.weight, 0)
  let score = weightSum > 0 ? scored.reduce((sum, g) => sum + (g.score * g.weight) / weightSum, 0) : 0
  const criticalFailures = metrics.filter((m) => m.critical && failing.has(m.classification))
  const requestErrors = errors.filter((e) => !e.startsWith("metrics["))
  let reason: string
  if (requestErrors.length > 0) {
    score = 0
    reason = `invalid request: ${requestErrors.join("; ")}`
  } else if (criticalFailures.length > 0) {
    score = 0
    reason = `critical metric ${criticalFailures.map((m) => `${m.name} (${m.classification})`).join(", ")} failed`
  } else if (scored.length === 0) {
    reason = "no metric had data"
  } else {
    reason = `score ${fmt(score)} (pass >= ${thresholds.pass}, marginal >= ${thresholds.marginal})`
  }
  const decisive = requestErrors.length === 0 && criticalFailures.length === 0 && scored.length > 0
  const classification =
    decisive && score >= thresholds.pass ? "Pass" : decisive && score >= thresholds.marginal ? "Marginal" : "Fail"
  const phase = classification === "Pass" ? "Successful" : classification === "Marginal" ? "Inconclusive" : "Failed"
  return { score, classification, phase, reason, thresholds, groups, metrics, errors }
}

const scoreGroups = (
  metrics: ReadonlyArray<MetricJudgement>,
  weights: Readonly<Record<string, number>> | undefined
): Array<GroupScore> => {
  const byGroup = new Map<string, Array<MetricJudgement>>()
  for (const m of metrics) {
    const list = byGroup.get(m.group)
    if (list === undefined) byGroup.set(m.group, [m])
    else list.push(m)
  }
  return [...byGroup].map(([name, members]) => {
    const counts: Partial<Record<Classification, number>> = {}
    for (const m of members) counts[m.classification] = (counts[m.classification] ?? 0) + 1
    const total = members.filter((m) => m.classification !== "NoData").length
    const pass = counts.Pass ?? 0
    return {
      name,
      score: total === 0 ? 0 : (pass / total) * 100,
      weight: weights === undefined ? 1 : (weights[name] ?? 0),
      noData: total === 0,
      counts
    }
  })
}

const errorJudgement = (metric: MetricInput, index: number, errors: ReadonlyArray<string>): MetricJudgement => {
  const prefix = `metrics[${index}]`
  const empty = { ...summarize([]), removedNaN: 0, removedOutliers: 0 }
  return {
    name: typeof metric?.name === "string" ? metric.name : prefix,
    group: typeof metric?.group === "string" ? metric.group : "default",
    classification: "Error",
    reason: errors.filter((e) => e.startsWith(prefix)).join("; "),
    critical: metric?.critical === true,
    direction: "either",
    statistics: { control: empty, experiment: empty }
  }
}

const compareSpread = (control: Float64Array, experiment: Float64Array, confLevel: number) => {
  const deviations = (sorted: Float64Array) => {
    const mid = summarize(Array.from(sorted)).median
    return Array.from(sorted, (v) => Math.abs(v - mid))
  }
  const dc = deviations(control)
  const de = deviations(experiment)
  const madControl = summarize(dc).median
  const madExperiment = summarize(de).median
  const madRatio = madControl === 0 ? (madExperiment === 0 ? 1 : Infinity) : madExperiment / madControl
  const mw = mannWhitney(de, dc, { confLevel })
  return mw === undefined ? { madRatio } : { madRatio, mannWhitney: mw }
}

const describe = (sample: CleanedSample) => ({
  ...summarize(sample.values),
  removedNaN: sample.removedNaN,
  removedOutliers: sample.removedOutliers
})

const sameValues = (a: Float64Array, b: Float64Array): boolean => {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

const fmt = (v: number): string => (Number.isFinite(v) ? String(Number(v.toPrecision(4))) : String(v))
const percent = (level: number): string => `${Number((level * 100).toPrecision(4))}%`
