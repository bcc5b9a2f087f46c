/**
 * Serves the app scheduler's `/v2` API (apps, groups, tasks, deployments, queue, info, `/v2/events`, and
 * service discovery under `/v2/discovery`) on the master's port, and adds its metrics to the master's
 * `/metrics`.
 *
 * @since 0.1.0
 */
import { Effect, Layer } from "effect"
import { Master } from "../../cluster/master/Master.js"
import { discoveryRoutes } from "../discovery/index.js"
import { appPortsOf } from "../model/AppDefinition.js"
import { AppScheduler } from "../scheduler/AppScheduler.js"
import { eventsRoute } from "./events.js"
import { appsRoutes } from "./routes.js"

/**
 * Mounts the `/v2` API of the `AppScheduler` on the `Master`'s HTTP server for the layer's lifetime.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<never, never, Master | AppScheduler> = Layer.effectDiscard(
  Effect.gen(function* () {
    const master = yield* Master
    const scheduler = yield* AppScheduler
    /** An app's ports, `undefined` for an unknown app (discovery: 404 for a port it lacks). */
    const knownPorts = (appId: string) =>
      scheduler.app(appId).pipe(
        Effect.map((status) => appPortsOf(status.app).map(({ index, name, protocol }) => ({ index, name, protocol }))),
        Effect.catch(() => Effect.succeed(undefined))
      )
    // an app with no healthy task yet is known to discovery: 200 with no endpoints, not 404
    const knownApp = (appId: string) => Effect.map(knownPorts(appId), (ports) => ports !== undefined)
    yield* master.mount([
      eventsRoute(scheduler),
      ...discoveryRoutes(scheduler.discovery, { knownApp, knownPorts }),
      ...appsRoutes(scheduler)
    ])
    yield* master.addMetrics(scheduler.metrics)
  })
)
