/**
 * `@orchestrator/scheduler/allocator`: the weighted, hierarchical DRF allocator with quotas, reservations,
 * decline filters, suppress/revive, revocable resources and fairness exclusions (Mesos' hierarchical
 * allocator semantics, rules in `docs/scheduler.md`).
 *
 * The public API, kept stable for the cluster (master) built on it:
 * - `Resources`: the resource model (`Resources.parse("cpus:24;mem:4096;ports:[31000-32000]")`,
 *   `Resources.fromJson`, `add`/`subtract`/`contains`, reservations, revocable marking).
 * - `Role`: role name rules and hierarchy helpers.
 * - `DrfAllocator`: the pure state object. `addAgent`, `updateAgent`, `removeAgent`, `reserve`, `unreserve`,
 *   `addFramework`, `updateFramework`, `removeFramework`, `setActive`, `suppress`, `revive`, `setWeight`,
 *   `setQuota`, `recoverResources(allocation, { now, refuseSeconds })`, `allocate(now, agentIds?)` returning
 *   `Offer`s (`frameworkId`, `role`, `agentId`, `hostname`, `resources`), and the views `allocation`,
 *   `allocated`, `shares`, `agent`, `agentIds`, `frameworkIds`, `total`. Mutations return a `Result`: on
 *   failure a typed error and no change.
 * - `AllocatorService`: the Effect service (periodic and event-driven cycles, `offers`/`cycles` streams,
 *   `onCycle` callback), and `createAllocator`, its Promise facade.
 * - Errors: `InvalidResources`, `InvalidRole`, `InvalidWeight`, `InvalidQuota`, `InvalidOption`, `UnknownId`,
 *   `DuplicateId`, `InsufficientResources` (union `AllocatorError`).
 *
 * @since 0.1.0
 */
export type { AllocatorError } from "./AllocatorError.js"
export {
  DuplicateId,
  InsufficientResources,
  InvalidOption,
  InvalidQuota,
  InvalidResources,
  InvalidRole,
  InvalidWeight,
  UnknownId
} from "./AllocatorError.js"
export type { AllocatorServiceOptions, Cycle } from "./AllocatorService.js"
export { AllocatorService } from "./AllocatorService.js"
export type {
  AgentInfo,
  AgentView,
  Allocation,
  AllocatorOptions,
  FrameworkInfo,
  FrameworkShare,
  Offer,
  Quota,
  RefuseFilter,
  RoleShare
} from "./DrfAllocator.js"
export { DrfAllocator } from "./DrfAllocator.js"
export * as Resources from "./Resources.js"
export * as Role from "./Role.js"
export type { AllocatorEvents, RunningAllocator } from "./RunningAllocator.js"
export { createAllocator } from "./RunningAllocator.js"
