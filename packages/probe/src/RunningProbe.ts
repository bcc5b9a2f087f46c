/**
 * A Promise facade over the probe for services that do not use Effect:
 *
 * ```ts
 * import { createProbe } from "@orchestrator/probe"
 *
 * const probe = await createProbe({ appUrl: "http://127.0.0.1:8080", token: process.env.PROBE_TOKEN })
 * probe.on("published", (event) => console.log(`report ${event.seq} (${event.kind}, ${event.bytes} bytes)`))
 * probe.on("error", (error) => console.warn(error.operation, error.message))
 * // ...
 * await probe.stop()
 * ```
 *
 * @since 0.1.0
 */
import { EventEmitter } from "node:events"
import { Cause, Effect, Exit, ManagedRuntime, Stream } from "effect"
import type TypedEmitter from "typed-emitter"
import { Probe, type ProbeEvent, type ProbeOptions, type ProbeStats } from "./Probe.js"
import type * as ProbeConfig from "./ProbeConfig.js"
import type { Snapshot } from "./ReportBuilder.js"

/**
 * Events a running probe emits.
 *
 * **Gotchas**
 *
 * `error` events are only emitted while someone listens (Node's `EventEmitter` throws an unheard `error`);
 * failures are also counted in `stats().publisher`.
 *
 * @since 0.1.0
 * @category models
 */
export type ProbeEvents = {
  /** The probe registered with the app (first time or again after an app restart). */
  registered: (event: { readonly agentId: string; readonly configVersion: number }) => void
  /** The app accepted a report. */
  published: (event: Extract<ProbeEvent, { _tag: "Published" }>) => void
  /** A request to the app failed (it will be retried). */
  error: (event: Extract<ProbeEvent, { _tag: "Failed" }>) => void
  /** The app asked for a full report, or one will be sent because an outcome was unknown. */
  resync: (event: { readonly reason: string }) => void
  /** The settings in force changed (the app's agent config). */
  config: (settings: ProbeConfig.Effective) => void
  /** A report was collected (before it is published). */
  collected: (event: Extract<ProbeEvent, { _tag: "Collected" }>) => void
}

/**
 * A running probe.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunningProbe extends TypedEmitter.default<ProbeEvents> {
  /** The agent id reports carry. */
  readonly probeId: string
  readonly hostId: string
  stats(): ProbeStats
  /** Runs the collectors once, now, and resolves with what they saw (not published). */
  collect(): Promise<Snapshot>
  /** Resolves once everything collected so far was published. */
  flush(): Promise<void>
  /** Stops every loop, closes the control channel and open pipes. */
  stop(): Promise<void>
}

/**
 * Starts a probe (host collector plus `plugins`) publishing to `appUrl`, and resolves once its loops run; it
 * does not wait for the app, which it keeps retrying. Rejects with a `ConfigError` for bad settings or a
 * `PluginError` for a plugin that does not register.
 *
 * @since 0.1.0
 * @category constructors
 */
export const createProbe = async (options: ProbeOptions = {}): Promise<RunningProbe> => {
  const runtime = ManagedRuntime.make(Probe.layer(options))
  const started = await runtime.runPromiseExit(
    Effect.gen(function* () {
      return yield* Probe
    })
  )
  if (Exit.isFailure(started)) {
    await runtime.dispose()
    throw Cause.squash(started.cause)
  }
  const probe = started.value
  const emitter = new EventEmitter() as TypedEmitter.default<ProbeEvents>
  runtime.runFork(
    Stream.runForEach(probe.events, (event) =>
      Effect.sync(() => {
        switch (event._tag) {
          case "Registered":
            emitter.emit("registered", { agentId: event.agentId, configVersion: event.configVersion })
            return
          case "Published":
            emitter.emit("published", event)
            return
          case "Failed":
            if (emitter.listenerCount("error") > 0) emitter.emit("error", event)
            return
          case "Resync":
            emitter.emit("resync", { reason: event.reason })
            return
          case "ConfigChanged":
            emitter.emit("config", event.settings)
            return
          case "Collected":
            emitter.emit("collected", event)
        }
      })
    )
  )
  let stopping: Promise<void> | undefined
  const running = Object.assign(emitter, {
    probeId: probe.probeId(),
    hostId: probe.hostId,
    stats: () => probe.stats(),
    collect: () => runtime.runPromise(probe.collect),
    flush: () => runtime.runPromise(probe.flush),
    stop: () => {
      stopping ??= runtime.dispose()
      return stopping
    }
  })
  Object.defineProperty(running, "probeId", { get: () => probe.probeId(), enumerable: true })
  return running
}
