/**
 * Health and readiness checks of running tasks (Marathon's semantics): HTTP, HTTPS, TCP and command checks,
 * one at a time ({@link checkOnce}, {@link readyOnce}) or continuously with grace periods, failure counts
 * and change events ({@link HealthMonitor}).
 *
 * @since 0.1.0
 */
export { checkOnce } from "./checkOnce.js"
export { type HttpAnswer, type HttpGetOptions, httpGet } from "./checks/httpGet.js"
export { HealthMonitor, type HealthMonitorOptions, type HealthResume } from "./HealthMonitor.js"
export {
  type CheckResult,
  type HealthTarget,
  portOf,
  type ReadinessResult,
  readinessPortOf
} from "./HealthTarget.js"
export { maxResponseBodyBytes, readyOnce } from "./readiness.js"
export {
  aliveOf,
  type CheckState,
  type HealthEvent,
  inGracePeriod,
  initialCheckState,
  reachedMaxFailures,
  readyOf,
  recordResult,
  type TaskHealth,
  taskHealthOf
} from "./TaskHealth.js"
