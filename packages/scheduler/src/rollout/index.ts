/**
 * `@orchestrator/scheduler/rollout`: the rollout analyzer. Analysis runs with Argo Rollouts' semantics
 * (templates from Argo's own YAML, Prometheus / web / time-series / function providers), a Kayenta-style
 * statistical judge, a canary driver, and an HTTP endpoint an Argo `web` metric can call.
 *
 * @since 0.1.0
 */
export * as Analysis from "./Analysis.js"
export * as AnalysisState from "./AnalysisState.js"
export * as AnalysisTemplate from "./AnalysisTemplate.js"
export * as ArgoRollout from "./ArgoRollout.js"
export * as Canary from "./Canary.js"
export * as Endpoint from "./Endpoint.js"
export * as Expression from "./Expression.js"
export * as Judge from "./Judge.js"
export * as JudgeRequest from "./JudgeRequest.js"
export * as Phase from "./Phase.js"
export * as Providers from "./providers/index.js"
export * from "./RolloutError.js"
export * as Statistics from "./Statistics.js"
export {
  type AnalysisController,
  type AnalysisInput,
  type ArgoCanaryInput,
  type CanaryController,
  type CanaryInput,
  type CanaryStepInput,
  judge,
  type RunAnalysisOptions,
  resolveAnalysis,
  runAnalysis,
  startAnalysis,
  startArgoCanary,
  startCanary,
  startEndpoint
} from "./Facade.js"
