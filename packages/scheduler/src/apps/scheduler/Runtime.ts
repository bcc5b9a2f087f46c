/**
 * Builds the `AppScheduler` service: follows leadership (an engine runs while the scheduler may act, and is
 * rebuilt from the store after a change of leader), and answers `NotLeading` in between. The event log,
 * the redactor, discovery and the load balancer outlive a single engine.
 *
 * @since 0.1.0
 */
import { Effect, Schedule, Scope, Stream, SubscriptionRef } from "effect"
import * as EventLog from "../events/EventLog.js"
import { HealthMonitor } from "../health/index.js"
import { LoadBalancer } from "../lb/index.js"
import { ServiceRegistry } from "../discovery/index.js"
import { makeRedactor } from "../secrets/index.js"
import { AppStore } from "../store/AppStore.js"
import type { AppSchedulerOptions, AppScheduler } from "./AppScheduler.js"
import { NotLeading } from "./AppsError.js"
import type { Driver } from "./Driver.js"
import { type Engine, makeEngine, type Settings } from "./Engine.js"
import * as Metrics from "./Metrics.js"
import { makeWiring } from "./Wiring.js"

/**
 * The options with their defaults.
 *
 * @since 0.1.0
 * @category constructors
 */
export const settingsOf = (options: AppSchedulerOptions): Settings => ({
  name: options.name ?? "orchestrator-apps",
  role: options.role ?? "*",
  refuseSeconds: options.refuseSeconds ?? 5,
  pollMs: options.pollMs ?? 1_000,
  reconcileIntervalMs: options.reconcileIntervalMs ?? 10_000,
  tickMs: options.tickMs ?? 250,
  servicePortRange: options.servicePortRange ?? { begin: 10_000, end: 10_100 },
  domain: options.domain ?? "orchestrator",
  drainTimeoutMs: options.drainTimeoutMs ?? 5_000,
  autoscaleIntervalMs: options.autoscaleIntervalMs ?? 5_000,
  metricSources: options.metricSources ?? {},
  ...(options.secretEnv === undefined ? {} : { secretEnv: options.secretEnv })
})

/**
 * Builds the service over a driver. Scoped.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <R>(options: AppSchedulerOptions, driverOf: Effect.Effect<Driver, never, R>) =>
  Effect.gen(function* () {
    const scope = yield* Scope.Scope
    const driver = yield* driverOf
    const store = yield* AppStore
    const health = yield* HealthMonitor
    const registry = yield* ServiceRegistry
    const lb = yield* LoadBalancer
    const settings = settingsOf(options)
    const redactor = makeRedactor()
    const log = yield* EventLog.make({
      historySize: options.eventHistory ?? 1_000,
      redact: redactor.redactDeep,
      ...(options.eventReaderBuffer === undefined ? {} : { bufferSize: options.eventReaderBuffer })
    })
    const wiring = makeWiring(registry, lb, {
      domain: settings.domain,
      ...(options.lbHost === undefined ? {} : { lbHost: options.lbHost })
    })
    let engine: Engine | undefined
    const leadingRef = yield* SubscriptionRef.make(false)

    const lead = Effect.scoped(
      Effect.gen(function* () {
        const built = yield* makeEngine({ driver, store, health, wiring, redactor, log, settings })
        engine = built
        yield* SubscriptionRef.set(leadingRef, true)
        yield* Effect.logInfo("app scheduler leads").pipe(Effect.annotateLogs({ frameworkId: built.frameworkId }))
        return yield* Effect.never
      })
    ).pipe(
      Effect.tapError((error) => Effect.logWarning(`app scheduler cannot lead yet: ${error.message}`)),
      Effect.retry(Schedule.spaced("500 millis")),
      Effect.ensuring(
        Effect.suspend(() => {
          engine = undefined
          return SubscriptionRef.set(leadingRef, false)
        })
      )
    )

    yield* driver.leadership.pipe(
      Stream.changes,
      Stream.switchMap((leading) => (leading ? Stream.fromEffect(lead) : Stream.empty)),
      Stream.runDrain,
      Effect.catchCause((cause) => Effect.logError("app scheduler stopped", cause)),
      Effect.forkIn(scope)
    )

    const notLeading = Effect.flatMap(driver.leaderUrl, (leader) =>
      Effect.fail(new NotLeading(leader === undefined ? {} : { leader }))
    )
    const withEngine = <A, E>(f: (e: Engine) => Effect.Effect<A, E>): Effect.Effect<A, E | NotLeading> =>
      Effect.suspend((): Effect.Effect<A, E | NotLeading> => (engine === undefined ? notLeading : f(engine)))
    /** Changes also check that the master still leads (a deposed master's scheduler must not write). */
    const changing = <A, E>(f: (e: Engine) => Effect.Effect<A, E>): Effect.Effect<A, E | NotLeading> =>
      Effect.flatMap(driver.isLeading, (leading) => (leading ? withEngine(f) : notLeading))

    const service: AppScheduler["Service"] = {
      put: (app, o) => changing((e) => e.put(app, o)),
      putGroup: (group, o) => changing((e) => e.putGroup(group, o)),
      remove: (appId, o) => changing((e) => e.remove(appId, o)),
      removeGroup: (groupId, o) => changing((e) => e.removeGroup(groupId, o)),
      scale: (appId, instances, o) => changing((e) => e.scale(appId, instances, o)),
      restart: (appId, o) => changing((e) => e.restart(appId, o)),
      apps: (filter) => withEngine((e) => e.apps(filter)),
      app: (appId) => withEngine((e) => e.app(appId)),
      versions: (appId) => withEngine((e) => e.versions(appId)),
      appVersion: (appId, version) => withEngine((e) => e.appVersion(appId, version)),
      groups: withEngine((e) => e.groups),
      tasks: (appId) => withEngine((e) => e.tasks(appId)),
      killTasks: (ids, o) => changing((e) => e.killTasks(ids, o)),
      deployments: withEngine((e) => e.deployments),
      cancel: (id, o) => changing((e) => e.cancel(id, o)),
      queue: withEngine((e) => e.queue),
      resetDelay: (appId) => changing((e) => e.resetDelay(appId)),
      events: (after) => log.events(after),
      isLeading: SubscriptionRef.get(leadingRef),
      awaitLeading: SubscriptionRef.changes(leadingRef).pipe(
        Stream.filter((leading) => leading),
        Stream.runHead,
        Effect.asVoid
      ),
      discovery: registry,
      loadBalancerStats: lb.stats,
      metrics: Effect.gen(function* () {
        const eventSeq = yield* log.seq
        const state = engine === undefined ? undefined : yield* engine.metrics
        const own = Metrics.render({
          leading: engine !== undefined,
          apps: state?.apps ?? [],
          tasks: state?.tasks ?? [],
          deployments: state?.deployments ?? 0,
          eventSeq
        })
        return own + (yield* lb.metrics)
      }),
      info: Effect.gen(function* () {
        const leader = yield* driver.leaderUrl
        if (engine !== undefined) return yield* engine.info(leader)
        return {
          name: settings.name,
          version: "0.1.0",
          frameworkId: undefined,
          leader,
          elected: false,
          role: settings.role,
          servicePortRange: settings.servicePortRange,
          eventSeq: yield* log.seq
        }
      })
    }
    return service
  })
