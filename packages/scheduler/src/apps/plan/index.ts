/**
 * Planning for Marathon-style apps, as pure functions (no I/O, time is an input): semantic validation,
 * placement constraints, launch backoff, the rolling update step function, deployment plans and the
 * autoscaler's decision.
 *
 * @since 0.1.0
 */
export * from "./autoscale.js"
export * from "./backoff.js"
export * from "./constraints.js"
export * from "./deploymentPlan.js"
export * from "./InvalidApp.js"
export * from "./rollingUpdate.js"
export * from "./validate.js"
export * from "./validateGroup.js"
export * from "./recordCycle.js"
