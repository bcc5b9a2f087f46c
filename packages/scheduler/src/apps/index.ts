/**
 * `@orchestrator/scheduler/apps`: Marathon-style long-running apps on the cluster: app definitions and groups,
 * health and readiness checks, scaling and an autoscaler, auto-healing with backoff, rolling updates with
 * deadlines and rollback, service discovery, secrets, and a TCP/HTTP load balancer.
 *
 * - `AppScheduler` (Effect service; `createAppScheduler` as a Promise facade): the framework that runs apps.
 * - `AppStore`: where apps and deployments live (ZooKeeper, or memory).
 * - `AppsApi`: the `/v2` REST API and `/v2/events`, served on the master; `AppsConfig`: the master host's flags.
 * - `AppDefinition`: the app JSON (Marathon's format); `Plan`: validation, constraints, backoff, rolling
 *   updates, deployment plans and autoscaling decisions (pure).
 * - `Health`, `Discovery`, `LoadBalancer`, `Secrets`: the parts the scheduler is built from, usable alone.
 *
 * @since 0.1.0
 */
export * as AppsApi from "./api/AppsApi.js"
export { appsRoutes, eventsRoute } from "./api/index.js"
export * as AppsConfig from "./config/AppsConfig.js"
export * as Discovery from "./discovery/index.js"
export * as AppEvents from "./events/index.js"
export * as Health from "./health/index.js"
export * as LoadBalancer from "./lb/index.js"
export * as Metrics from "./metrics/index.js"
export * as AppDefinition from "./model/AppDefinition.js"
export * as Plan from "./plan/index.js"
export { AppScheduler, type AppSchedulerOptions, type ChangeOptions } from "./scheduler/AppScheduler.js"
export * from "./scheduler/AppsError.js"
export {
  type CreateAppSchedulerOptions,
  createAppScheduler,
  type RunningAppScheduler
} from "./scheduler/RunningAppScheduler.js"
export type * from "./scheduler/Views.js"
export * as Secrets from "./secrets/index.js"
export { AppStore } from "./store/AppStore.js"
