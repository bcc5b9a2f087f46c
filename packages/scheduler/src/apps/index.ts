/**
 * `@orchestrator/scheduler/apps`: Marathon-style long-running apps on the cluster: app definitions and groups,
 * health and readiness checks, scaling and an autoscaler, auto-healing with backoff, rolling updates with
 * deadlines and rollback, service discovery, and a TCP/HTTP load balancer.
 *
 * @since 0.1.0
 */
export * as AppDefinition from "./model/AppDefinition.js"
