/**
 * Metric sources for the app scheduler's autoscaler: plain functions (`fromFunction`), Docker container
 * stats (`DockerStats`, the engine the agents use) and the probes' reports (`ProbeReports`, every host; from another
 * process's app server with `AppServerReports`).
 *
 * @since 0.1.0
 */
export * as AppServerReports from "./AppServerReports.js"
export * as DockerStats from "./DockerStats.js"
export { fromFunction, type MetricSource, type MetricSources } from "./MetricSource.js"
export * as ProbeReports from "./ProbeReports.js"
