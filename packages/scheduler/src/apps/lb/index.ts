/**
 * The load balancer of the apps: a TCP/HTTP proxy per service port with round robin or least connections,
 * weights (canaries), passive health, draining, stats and Prometheus metrics; and the service-port table.
 *
 * @since 0.1.0
 */
export * from "./Backend.js"
export * from "./canary.js"
export * from "./LbError.js"
export * from "./LoadBalancer.js"
export { render as renderMetrics } from "./metrics.js"
export * from "./RunningLoadBalancer.js"
export * as PortTable from "./PortTable.js"
export * from "./ServicePorts.js"
export * from "./Stats.js"
export * as Strategies from "./strategy/index.js"
