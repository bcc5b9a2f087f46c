/**
 * Runs Weave Scope plugins unchanged: watches a directory (default `/var/run/scope/plugins`, recursively) for
 * Unix sockets appearing and disappearing, and registers each socket as a plugin `scope/<id>` in a plugin
 * registry (see `ScopePlugin`): its collector calls `GET /report` on every report (500 ms timeout, 50 MiB
 * cap) and merges the translated nodes, latest fields, metrics and controls into the probe's report; its
 * controls are forwarded to `POST /control`; its tables become node-detail panels. When a plugin's report
 * declares other controls or tables, the plugin is registered again with them. A socket that goes away is
 * unregistered.
 *
 * ```ts
 * Layer.launch(ScopeBridge.layer({ dir: "/var/run/scope/plugins" }).pipe(Layer.provideMerge(Probe.layer(config))))
 * ```
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { type Plugin, PluginRegistry } from "@orchestrator/core"
import { Context, Effect, Exit, Layer, Scope, Semaphore } from "effect"
import { type ScopePluginSettings, type ScopeState, scopePlugin, shapeOf } from "./ScopePlugin.js"
import { translate } from "./ScopeReport.js"
import { defaultLimits, getReport } from "./ScopeSocket.js"

/**
 * Settings of the bridge. Every field is optional.
 *
 * @since 0.1.0
 * @category models
 */
export interface ScopeBridgeOptions {
  /** The directory plugins put their sockets in (default `/var/run/scope/plugins`). */
  readonly dir?: string
  /** Per-request timeout in ms (default 500). */
  readonly timeoutMs?: number
  /** Largest accepted report in bytes (default 50 MiB). */
  readonly maxBytes?: number
  /** Rescan the directory this often besides watching it, in ms (default 5,000, as Scope's probe does). */
  readonly rescanMs?: number
  /** `AppID` sent with control requests (default `orchestrator`). */
  readonly appId?: string
}

/**
 * The default socket directory, as in Weave Scope.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultDir = "/var/run/scope/plugins"

/**
 * What registering into a registry looks like to the bridge: the Effect service and the `PluginHost` both
 * fit (`fromRegistry`, `fromHost`).
 *
 * @since 0.1.0
 * @category models
 */
export interface Registrar {
  register(plugin: Plugin.AnyPlugin): Effect.Effect<Effect.Effect<void>, Plugin.PluginError>
}

/**
 * A registrar over the `PluginRegistry` service.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromRegistry = (registry: PluginRegistry.PluginRegistryService): Registrar => ({
  register: (plugin) => registry.register(plugin)
})

/**
 * A registrar over a `PluginHost`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromHost = (host: PluginRegistry.PluginHost): Registrar => ({
  register: (plugin) =>
    Effect.try({
      try: () => {
        const unregister = host.register(plugin)
        return Effect.sync(unregister)
      },
      catch: (error) => error as Plugin.PluginError
    })
})

/**
 * The bridge as a service.
 *
 * @since 0.1.0
 * @category models
 */
export interface ScopeBridgeService {
  /** The sockets currently bridged, by plugin id. */
  readonly sockets: () => ReadonlyMap<string, string>
  /** Scans the directory now (the watcher and the periodic rescan call it too). */
  readonly rescan: Effect.Effect<void>
}

interface Bridged {
  readonly settings: ScopePluginSettings
  readonly state: ScopeState
  unregister: Effect.Effect<void>
  shape: string
  stale: boolean
}

/** Every Unix socket under a directory, recursively; an absent directory has none. */
const findSockets = (dir: string): ReadonlyArray<string> => {
  const out: Array<string> = []
  const walk = (folder: string, depth: number) => {
    let entries: Array<fs.Dirent>
    try {
      entries = fs.readdirSync(folder, { withFileTypes: true })
    } catch {
      return
    }
    for (const entry of entries) {
      const full = path.join(folder, entry.name)
      if (entry.isSocket()) out.push(full)
      else if (entry.isDirectory() && depth < 8) walk(full, depth + 1)
    }
  }
  walk(dir, 0)
  return out.sort()
}

/** A plugin id from its socket: the file name without `.sock`. */
export const pluginIdOf = (socket: string): string => path.basename(socket).replace(/\.sock$/, "")

/**
 * Starts a bridge registering into `registrar`; it stops (and unregisters every Scope plugin) when the scope
 * closes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  registrar: Registrar,
  options: ScopeBridgeOptions = {}
): Effect.Effect<ScopeBridgeService, never, Scope.Scope> =>
  Effect.gen(function* () {
    const dir = options.dir ?? defaultDir
    const limits = {
      timeoutMs: options.timeoutMs ?? defaultLimits.timeoutMs,
      maxBytes: options.maxBytes ?? defaultLimits.maxBytes
    }
    const appId = options.appId ?? "orchestrator"
    const bridged = new Map<string, Bridged>()
    let rescanRequested = false

    const register = (entry: Bridged) =>
      Effect.gen(function* () {
        yield* entry.unregister
        entry.shape = shapeOf(entry.state.last)
        entry.stale = false
        entry.unregister = yield* registrar.register(scopePlugin(entry.settings, entry.state)).pipe(
          Effect.tapError((error) =>
            Effect.logWarning(`scope bridge: cannot register ${entry.settings.socket}`, error.message)
          ),
          Effect.orElseSucceed(() => Effect.void)
        )
      })

    const add = (socket: string) =>
      Effect.gen(function* () {
        const id = pluginIdOf(socket)
        if ([...bridged.values()].some((other) => other.settings.id === id)) {
          yield* Effect.logWarning(`scope bridge: two plugin sockets named ${id}; ignoring ${socket}`)
          return
        }
        const entry: Bridged = {
          settings: { id, socket, limits, appId },
          state: {
            last: undefined,
            onShapeChange: () => {
              entry.stale = true
            }
          },
          unregister: Effect.void,
          shape: "",
          stale: false
        }
        // A first report tells which controls and tables to register; a plugin that does not answer yet is
        // registered without them and registered again once it does.
        const now = Date.now()
        entry.state.last = yield* getReport(socket, limits).pipe(
          Effect.map((report) => translate(report, id, now)),
          Effect.orElseSucceed(() => undefined)
        )
        bridged.set(socket, entry)
        yield* register(entry)
        yield* Effect.logInfo(`scope bridge: plugin ${id} on ${socket}`)
      })

    const rescan = Effect.gen(function* () {
      rescanRequested = false
      const present = new Set(findSockets(dir))
      for (const [socket, entry] of bridged) {
        if (present.has(socket)) continue
        bridged.delete(socket)
        yield* entry.unregister
        yield* Effect.logInfo(`scope bridge: plugin ${entry.settings.id} went away (${socket})`)
      }
      for (const socket of present) if (!bridged.has(socket)) yield* add(socket)
      for (const entry of bridged.values()) {
        if (entry.stale && shapeOf(entry.state.last) !== entry.shape) yield* register(entry)
        else entry.stale = false
      }
    })
    const serialized = Semaphore.makeUnsafe(1).withPermits(1)(rescan)

    // Watch the directory (recursively) and rescan on any change; a periodic rescan catches what the watcher
    // misses (a directory created after start, sockets in new sub-directories) and re-registers plugins whose
    // controls changed.
    const watcher = yield* Effect.acquireRelease(
      Effect.sync(() => {
        try {
          return fs.watch(dir, { recursive: true, persistent: false }, () => {
            rescanRequested = true
          })
        } catch {
          return undefined
        }
      }),
      (watcher) => Effect.sync(() => watcher?.close())
    )
    watcher?.on("error", () => {})
    yield* serialized
    const rescanMs = options.rescanMs ?? 5_000
    yield* Effect.forkScoped(
      Effect.forever(
        Effect.gen(function* () {
          let waited = 0
          while (!rescanRequested && waited < rescanMs && ![...bridged.values()].some((entry) => entry.stale)) {
            yield* Effect.sleep(50)
            waited += 50
          }
          yield* serialized
        })
      )
    )
    yield* Effect.addFinalizer(() =>
      Effect.forEach([...bridged.values()], (entry) => entry.unregister, { discard: true })
    )
    return {
      sockets: () => new Map([...bridged].map(([socket, entry]) => [entry.settings.id, socket])),
      rescan: serialized
    }
  })

/**
 * The bridge service.
 *
 * @since 0.1.0
 * @category services
 */
export class ScopeBridge extends Context.Service<ScopeBridge, ScopeBridgeService>()(
  "@orchestrator/plugins/ScopeBridge"
) {
  /**
   * A bridge registering Scope plugins into the `PluginRegistry` in context (a probe's).
   *
   * @since 0.1.0
   * @category layers
   */
  static layer(options: ScopeBridgeOptions = {}): Layer.Layer<ScopeBridge, never, PluginRegistry.PluginRegistry> {
    return Layer.effect(
      ScopeBridge,
      Effect.gen(function* () {
        const registry = yield* PluginRegistry.PluginRegistry
        return yield* make(fromRegistry(registry), options)
      })
    )
  }
}

/**
 * Starts a bridge for hosts without Effect, registering into a `PluginHost`; `stop()` unregisters every
 * Scope plugin.
 *
 * @since 0.1.0
 * @category facades
 */
export const start = async (
  host: PluginRegistry.PluginHost,
  options: ScopeBridgeOptions = {}
): Promise<{
  readonly sockets: () => ReadonlyMap<string, string>
  readonly rescan: () => Promise<void>
  readonly stop: () => Promise<void>
}> => {
  const scope = Scope.makeUnsafe()
  const service = await Effect.runPromise(Scope.provide(scope)(make(fromHost(host), options)))
  return {
    sockets: service.sockets,
    rescan: () => Effect.runPromise(service.rescan),
    stop: () => Effect.runPromise(Scope.close(scope, Exit.void))
  }
}
