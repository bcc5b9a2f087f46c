/**
 * `@orchestrator/scheduler`: the allocator (weighted DRF with quotas), the cluster (master, agent, Docker
 * containerizer, leader election) and the rollout analyzer, each also importable on its own
 * (`@orchestrator/scheduler/allocator`, `/cluster`, `/rollout`).
 *
 * @since 0.1.0
 */
export * as Allocator from "./allocator/index.js"
export * as Apps from "./apps/index.js"
export * as Cluster from "./cluster/index.js"
export * as Rollout from "./rollout/index.js"
