/**
 * The app scheduler: a framework of the master that keeps Marathon-style apps running. It stores apps and
 * deployments in an {@link AppStore}, launches tasks on offers (resources, ports, constraints), watches their
 * health, feeds healthy+ready tasks into service discovery and the load balancer, heals lost or failed tasks
 * with backoff, runs deployments (rolling updates, scaling, rollback, deadlines, cancel), scales apps on
 * metrics, and numbers its events for `/v2/events`.
 *
 * **When to use**: `layerMaster` inside the master's process (it acts only while that master leads),
 * `layerRemote` from another process through `FrameworkClient`. `createAppScheduler` is the Promise facade.
 *
 * @since 0.1.0
 */
import { Context, type Effect, Layer, type Stream } from "effect"
import type { FrameworkClient } from "../../cluster/framework/FrameworkClient.js"
import type { Master } from "../../cluster/master/Master.js"
import type { AppEvent } from "../events/AppEvent.js"
import { HealthMonitor } from "../health/index.js"
import { LoadBalancer, type ServiceStats } from "../lb/index.js"
import { ServiceRegistry } from "../discovery/index.js"
import type { AppDefinition, Group } from "../model/AppDefinition.js"
import type { MetricSources } from "../metrics/MetricSource.js"
import type { AppStore } from "../store/AppStore.js"
import type { AppsError } from "./AppsError.js"
import { driverFromClient, driverFromMaster } from "./Driver.js"
import { make } from "./Runtime.js"
import type {
  AppStatus,
  AppTask,
  DeploymentRef,
  DeploymentView,
  GroupStatus,
  QueueEntry,
  SchedulerInfo
} from "./Views.js"

/**
 * Options of the app scheduler.
 *
 * @since 0.1.0
 * @category models
 */
export interface AppSchedulerOptions {
  /** The framework's name at the master; default `orchestrator-apps`. */
  readonly name?: string
  /** The role it takes offers in; default `*` (the master's default role). */
  readonly role?: string
  /** Seconds an agent is not offered again after a decline with nothing to launch; default 5. */
  readonly refuseSeconds?: number
  /** Long-poll wait for offers and status updates; default 1,000 ms. */
  readonly pollMs?: number
  /** Time between full task reconciliations with the master; default 10,000 ms. */
  readonly reconcileIntervalMs?: number
  /** Time between deployment and healing checks (changes also trigger one); default 250 ms. */
  readonly tickMs?: number
  /** The load balancer's service port range; default 10000-10100. */
  readonly servicePortRange?: { readonly begin: number; readonly end: number }
  /** The DNS domain of service names; default `orchestrator`. */
  readonly domain?: string
  /** Events kept for `events(after)` resumption; default 1,000. */
  readonly eventHistory?: number
  /**
   * Events that may wait for one `/v2/events` reader before it is cut with `event_stream_dropped` (it resumes
   * with `Last-Event-ID`); default 10,000.
   */
  readonly eventReaderBuffer?: number
  /** Versions of an app kept in the store; default 20. */
  readonly maxVersions?: number
  /** Metric sources of the autoscaler by metric name. */
  readonly metricSources?: MetricSources
  /** Time between autoscaler samples; default 5,000 ms. */
  readonly autoscaleIntervalMs?: number
  /** How long a task removed from the load balancer may finish its open connections before it is killed; default 5,000 ms. */
  readonly drainTimeoutMs?: number
  /** The address load-balanced service ports listen on; default `0.0.0.0`. */
  readonly lbHost?: string
  /** Where `{ env: NAME }` secrets are read from; default the scheduler's `process.env`. */
  readonly secretEnv?: Readonly<Record<string, string | undefined>>
}

/**
 * What `scale` and `restart` accept.
 *
 * @since 0.1.0
 * @category models
 */
export interface ChangeOptions {
  /** Cancel conflicting deployments (without rollback) instead of failing with `DeploymentConflict`. */
  readonly force?: boolean
}

/**
 * The app scheduler as an Effect API (the `/v2` REST API calls these).
 *
 * @since 0.1.0
 * @category services
 */
export class AppScheduler extends Context.Service<
  AppScheduler,
  {
    /**
     * Creates or replaces an app (a new version, named by its ISO time) and deploys it; it inherits the
     * dependencies of the stored groups around it. Refused (`InvalidApp` on `id`) at a group's id or under an app.
     */
    readonly put: (app: AppDefinition, options?: ChangeOptions) => Effect.Effect<DeploymentRef, AppsError>
    /**
     * Replaces everything under the group's id with the group's apps, in dependency order, and stores the group
     * and its subgroups as records with their dependencies (apps put into them later inherit those). Refused
     * (`InvalidApp` on `id`) at an app's id or under an app.
     */
    readonly putGroup: (group: Group, options?: ChangeOptions) => Effect.Effect<DeploymentRef, AppsError>
    /** Stops and removes an app. */
    readonly remove: (appId: string, options?: ChangeOptions) => Effect.Effect<DeploymentRef, AppsError>
    /**
     * Stops and removes every app under a group, and the records of the group and its subgroups; refused
     * (`InvalidApp` on the dependent's field) while an app or group record outside depends on them.
     */
    readonly removeGroup: (groupId: string, options?: ChangeOptions) => Effect.Effect<DeploymentRef, AppsError>
    /** Sets the app's instances (a new version). */
    readonly scale: (
      appId: string,
      instances: number,
      options?: ChangeOptions
    ) => Effect.Effect<DeploymentRef, AppsError>
    /** Replaces every task of the app with a new one (rolling, by its upgrade strategy). */
    readonly restart: (appId: string, options?: ChangeOptions) => Effect.Effect<DeploymentRef, AppsError>
    /** Apps with counts; `prefix` filters by id prefix, `label` by `key` or `key==value`. */
    readonly apps: (filter?: {
      readonly prefix?: string
      readonly label?: string
    }) => Effect.Effect<ReadonlyArray<AppStatus>, AppsError>
    readonly app: (appId: string) => Effect.Effect<AppStatus, AppsError>
    /** Stored versions of an app, newest first. */
    readonly versions: (appId: string) => Effect.Effect<ReadonlyArray<string>, AppsError>
    readonly appVersion: (appId: string, version: string) => Effect.Effect<AppDefinition, AppsError>
    /** The group tree from `/`, with the stored groups' dependencies and versions. */
    readonly groups: Effect.Effect<GroupStatus, AppsError>
    /** Tasks of one app or all. */
    readonly tasks: (appId?: string) => Effect.Effect<ReadonlyArray<AppTask>, AppsError>
    /**
     * Kills tasks. Without `scale` they are replaced (healing); with `scale` the app's instances drop by their
     * number (a new version). `force` overrides a conflicting deployment when scaling.
     */
    readonly killTasks: (
      taskIds: ReadonlyArray<string>,
      options?: { readonly scale?: boolean; readonly force?: boolean }
    ) => Effect.Effect<ReadonlyArray<AppTask>, AppsError>
    readonly deployments: Effect.Effect<ReadonlyArray<DeploymentView>, AppsError>
    /**
     * Cancels a deployment. With `rollback` (default, Marathon's DELETE without `force`) a new deployment
     * returns the affected apps to their previous versions and its ref is returned; without, the apps stay
     * as they are and `undefined` is returned.
     */
    readonly cancel: (
      deploymentId: string,
      options?: { readonly rollback?: boolean }
    ) => Effect.Effect<DeploymentRef | undefined, AppsError>
    /** Apps waiting for launches. */
    readonly queue: Effect.Effect<ReadonlyArray<QueueEntry>, AppsError>
    /** Forgets an app's backoff: its next launch goes at once. */
    readonly resetDelay: (appId: string) => Effect.Effect<void, AppsError>
    /**
     * Events after sequence number `after` (from the bounded history), then live ones, in order. Without
     * `after`, only live events.
     */
    readonly events: (after?: number) => Stream.Stream<AppEvent>
    /** Whether this scheduler leads now (acts on the cluster). */
    readonly isLeading: Effect.Effect<boolean>
    /** Succeeds once this scheduler leads (at once when it does). */
    readonly awaitLeading: Effect.Effect<void>
    /** The registry of healthy endpoints this scheduler feeds. */
    readonly discovery: ServiceRegistry["Service"]
    /** The load balancer's per-service and per-backend counters. */
    readonly loadBalancerStats: Effect.Effect<ReadonlyArray<ServiceStats>>
    /** Prometheus text: apps, tasks, deployments, events, plus the load balancer's metrics. */
    readonly metrics: Effect.Effect<string>
    readonly info: Effect.Effect<SchedulerInfo>
  }
>()("@orchestrator/scheduler/apps/AppScheduler") {
  /**
   * The app scheduler inside the master's process. It acts while that master leads (follows
   * `master.leadership`: starts on election, stops on losing it) and answers `NotLeading` otherwise.
   * Needs the `AppStore`, `HealthMonitor`, `ServiceRegistry` and `LoadBalancer` services.
   *
   * @since 0.1.0
   * @category layers
   */
  static readonly layerMaster = (
    options: AppSchedulerOptions = {}
  ): Layer.Layer<AppScheduler, never, Master | AppStore | HealthMonitor | ServiceRegistry | LoadBalancer> =>
    Layer.effect(AppScheduler, make(options, driverFromMaster))

  /**
   * The app scheduler in another process, through the `FrameworkClient` (always at the leading master). It
   * acts while it can register; needs the same services as {@link AppScheduler.layerMaster}.
   *
   * @since 0.1.0
   * @category layers
   */
  static readonly layerRemote = (
    options: AppSchedulerOptions = {}
  ): Layer.Layer<AppScheduler, never, FrameworkClient | AppStore | HealthMonitor | ServiceRegistry | LoadBalancer> =>
    Layer.effect(AppScheduler, make(options, driverFromClient))

  /**
   * {@link AppScheduler.layerMaster} with its own health monitor, service registry and load balancer.
   *
   * @since 0.1.0
   * @category layers
   */
  static readonly layerMasterWithServices = (
    options: AppSchedulerOptions = {}
  ): Layer.Layer<AppScheduler | ServiceRegistry | LoadBalancer, never, Master | AppStore> =>
    AppScheduler.layerMaster(options).pipe(Layer.provideMerge(services(options)))

  /**
   * {@link AppScheduler.layerRemote} with its own health monitor, service registry and load balancer.
   *
   * @since 0.1.0
   * @category layers
   */
  static readonly layerRemoteWithServices = (
    options: AppSchedulerOptions = {}
  ): Layer.Layer<AppScheduler | ServiceRegistry | LoadBalancer, never, FrameworkClient | AppStore> =>
    AppScheduler.layerRemote(options).pipe(Layer.provideMerge(services(options)))
}

const services = (options: AppSchedulerOptions) =>
  Layer.mergeAll(
    HealthMonitor.layer,
    options.domain === undefined ? ServiceRegistry.layer : ServiceRegistry.layerWith({ domain: options.domain }),
    LoadBalancer.layer({ drainTimeoutMs: options.drainTimeoutMs ?? 5_000 })
  )
