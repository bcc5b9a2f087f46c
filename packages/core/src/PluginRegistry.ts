/**
 * The plugin registry: registers plugins (see `Plugin`), orders their hooks, and runs them in isolation.
 *
 * - Ordering: `pre` hooks, then hooks without an order, then `post` hooks; ties keep registration order.
 * - Isolation: every hook call runs on its own fiber with a timeout (the smaller of the hook's `timeoutMs`
 *   and the caller's budget). A hook that throws, rejects, fails, dies, times out or returns a value of the
 *   wrong shape is reported with its plugin's name and skipped; the other hooks and the host go on. A
 *   promise-based hook's `AbortSignal` is aborted when it times out.
 * - Failure policy: after `maxConsecutiveFailures` failures in a row (3 by default) a collector, tagger,
 *   view or panel hook is disabled for a backoff period (30 s, doubling, capped at 10 min), then retried; its
 *   health shows `disabled` with the reason. Controls are never disabled: their failure is the answer to
 *   the user's request.
 *
 * Use the {@link PluginRegistry} service from Effect code and {@link PluginHost} without Effect.
 *
 * @since 0.1.0
 */
import { Cause, Clock, Context, Effect, Exit, Layer, Schema, type Scope } from "effect"
import type { ControlRequest } from "./ControlProtocol.js"
import { Engine } from "./internal/plugins/engine.js"
import { decodeOptions, normalize } from "./internal/plugins/normalize.js"
import type { MergedReport } from "./MergedReport.js"
import type { ControlDescription, Panel } from "./NodeDetails.js"
import type {
  AnyPlugin,
  ApiVersion,
  Collector,
  Control,
  ControlNotFoundError,
  HookHealth,
  HookKind,
  HookOrder,
  PluginError,
  PluginHookError,
  ProbeContext,
  RegisterArgs,
  ReportFragment,
  Tagger
} from "./Plugin.js"
import type { Node, ProbeHealth } from "./Report.js"
import type { ViewDefinition } from "./views/View.js"

/**
 * Settings of a registry. Every field is optional.
 *
 * @since 0.1.0
 * @category models
 */
export const PluginRegistryOptions = Schema.Struct({
  /** The timeout of a hook that declares none, in ms (default 10,000). */
  defaultTimeoutMs: Schema.optionalKey(Schema.Finite.check(Schema.isGreaterThan(0))),
  /** Failures in a row after which a hook is disabled (default 3). */
  maxConsecutiveFailures: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))),
  /** The first backoff period of a disabled hook, in ms (default 30,000). */
  backoffInitialMs: Schema.optionalKey(Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))),
  /** The longest backoff period, in ms (default 600,000). */
  backoffMaxMs: Schema.optionalKey(Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))),
  /** How much the backoff grows each time a retried hook fails again (default 2). */
  backoffFactor: Schema.optionalKey(Schema.Finite.check(Schema.isGreaterThanOrEqualTo(1)))
})

/**
 * @since 0.1.0
 * @category models
 */
export type PluginRegistryOptions = typeof PluginRegistryOptions.Type

/**
 * The settings a registry uses when none are given.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultOptions: Required<PluginRegistryOptions> = {
  defaultTimeoutMs: 10_000,
  maxConsecutiveFailures: 3,
  backoffInitialMs: 30_000,
  backoffMaxMs: 600_000,
  backoffFactor: 2
}

/**
 * A registered hook with what the registry resolved for it.
 *
 * @since 0.1.0
 * @category models
 */
export interface RegisteredHook<H> {
  /** `<plugin>/<kind>/<name>`, as in health entries. */
  readonly id: string
  readonly plugin: string
  readonly kind: HookKind
  /** The hook's `name` (a control's `id`). */
  readonly name: string
  readonly order: HookOrder | undefined
  /** The effective timeout in ms (the hook's own or the registry default). */
  readonly timeoutMs: number
  readonly hook: H
}

/**
 * A registered plugin.
 *
 * @since 0.1.0
 * @category models
 */
export interface PluginInfo {
  readonly name: string
  readonly version: string
  readonly apiVersion: ApiVersion
  readonly description?: string
}

/**
 * The result of running collectors or taggers: the merged nodes and one `ProbeHealth` entry per hook (named
 * by its hook id), followed by the entries the plugins reported themselves (named `<plugin>/<name>`).
 *
 * @since 0.1.0
 * @category models
 */
export interface CollectedFragment extends ReportFragment {
  readonly health: ReadonlyArray<ProbeHealth>
}

/**
 * What the app passes when it asks for a node's panels.
 *
 * @since 0.1.0
 * @category models
 */
export interface PanelRunContext {
  /** The merged report panel hooks may read (a report holding just the node when omitted). */
  readonly report?: MergedReport
  /** The most the whole call may take, in ms. */
  readonly budgetMs?: number
}

/**
 * What the probe passes when it runs a control.
 *
 * @since 0.1.0
 * @category models
 */
export interface ControlRunContext extends ProbeContext {
  /** The node the control runs on, when the probe knows it; `appliesTo` is checked against it. */
  readonly node?: Node
}

/**
 * The registry as an Effect service.
 *
 * Reads (`plugins`, `collectors`, `views`, `controlsFor`, `health`...) are synchronous snapshots of the
 * current registrations; runs are Effects that never fail, except `runControl` whose caller needs an answer.
 *
 * @since 0.1.0
 * @category models
 */
export interface PluginRegistryService {
  /**
   * Validates and registers a plugin; succeeds with an Effect that unregisters it. Fails when the name (or a
   * view or control id) is taken, the API version is unsupported, the object is malformed, or the options
   * fail the plugin's options Schema.
   */
  register<P extends AnyPlugin>(plugin: P, ...options: RegisterArgs<P>): Effect.Effect<Effect.Effect<void>, PluginError>
  /** Like `register`, and unregisters the plugin when the scope closes. */
  registerScoped<P extends AnyPlugin>(
    plugin: P,
    ...options: RegisterArgs<P>
  ): Effect.Effect<void, PluginError, Scope.Scope>
  /** Unregisters a plugin by name; `false` when none has that name. */
  unregister(name: string): Effect.Effect<boolean>
  plugins(): ReadonlyArray<PluginInfo>
  /** Collectors in run order. */
  collectors(): ReadonlyArray<RegisteredHook<Collector>>
  /** Taggers in run order. */
  taggers(): ReadonlyArray<RegisteredHook<Tagger>>
  /**
   * Every plugin's views. A view whose `render` throws or returns garbage renders nothing and is reported
   * in `health()`; after repeated failures it is disabled like any hook.
   */
  views(): ReadonlyArray<ViewDefinition>
  /** The controls a node offers: those registered for its topology whose `appliesTo` accepts it. */
  controlsFor(node: Node): ReadonlyArray<ControlDescription>
  /** A control by id. */
  control(id: string): RegisteredHook<Control> | undefined
  /** Per-hook health, for the app's stats. */
  health(): ReadonlyArray<HookHealth>
  /**
   * Runs every enabled collector concurrently, each with the smaller of its timeout and `budgetMs`, and
   * merges their fragments. Collectors with an `intervalMs` reuse their last fragment until it elapses;
   * disabled collectors contribute only their `disabled` health entry.
   */
  runCollectors(probe: ProbeContext, budgetMs?: number): Effect.Effect<CollectedFragment>
  /**
   * Runs the taggers one after the other on a fragment, within `budgetMs` in total. A failing tagger leaves
   * the fragment as it found it; nodes it corrupts are restored from its input.
   */
  runTaggers(fragment: ReportFragment, probe: ProbeContext, budgetMs?: number): Effect.Effect<CollectedFragment>
  /** The panels plugins add to a node's details, in hook order; failing hooks add none. */
  panelsFor(node: Node, context?: PanelRunContext): Effect.Effect<ReadonlyArray<Panel>>
  /** Runs the control `request.action` for a request; fails when there is none or when it fails. */
  runControl(
    request: ControlRequest,
    context: ControlRunContext
  ): Effect.Effect<unknown, ControlNotFoundError | PluginHookError>
}

const makeEngine = (options: PluginRegistryOptions, now: () => number): Engine => {
  const settings = { ...defaultOptions, ...Schema.decodeUnknownSync(PluginRegistryOptions)(options) }
  return new Engine({
    defaultTimeoutMs: settings.defaultTimeoutMs,
    policy: {
      maxConsecutiveFailures: settings.maxConsecutiveFailures,
      backoffInitialMs: settings.backoffInitialMs,
      backoffMaxMs: Math.max(settings.backoffMaxMs, settings.backoffInitialMs),
      backoffFactor: settings.backoffFactor
    },
    now
  })
}

const serviceOf = (engine: Engine): PluginRegistryService => {
  const register = (plugin: AnyPlugin, options?: unknown) =>
    Effect.map(engine.register(plugin, options), (unregister) => Effect.sync(unregister))
  return {
    register: Effect.fn("PluginRegistry.register")(function* (plugin: AnyPlugin, options?: unknown) {
      return yield* register(plugin, options)
    }),
    registerScoped: Effect.fn("PluginRegistry.registerScoped")(function* (plugin: AnyPlugin, options?: unknown) {
      yield* Effect.acquireRelease(register(plugin, options), (unregister) => unregister)
    }),
    unregister: (name) => Effect.sync(() => engine.unregister(name)),
    plugins: () => engine.plugins(),
    collectors: () => engine.collectors(),
    taggers: () => engine.taggers(),
    views: () => engine.views(),
    controlsFor: (node) => engine.controlsFor(node),
    control: (id) => engine.control(id),
    health: () => engine.health(),
    runCollectors: Effect.fn("PluginRegistry.runCollectors")(function* (probe: ProbeContext, budgetMs?: number) {
      return yield* engine.runCollectors(probe, budgetMs)
    }),
    runTaggers: Effect.fn("PluginRegistry.runTaggers")(function* (
      fragment: ReportFragment,
      probe: ProbeContext,
      budgetMs?: number
    ) {
      return yield* engine.runTaggers(fragment, probe, budgetMs)
    }),
    panelsFor: Effect.fn("PluginRegistry.panelsFor")(function* (node: Node, context?: PanelRunContext) {
      return yield* engine.panelsFor(node, context)
    }),
    runControl: Effect.fn("PluginRegistry.runControl")(function* (request: ControlRequest, context: ControlRunContext) {
      return yield* engine.runControl(request, context)
    })
  }
}

/**
 * Builds a registry. Synchronous reads (view renders, `controlsFor`) take the time from the `Clock` in
 * scope here, so a registry built under a `TestClock` follows it. Dies with a `SchemaError` when an option
 * is invalid.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: PluginRegistryOptions = {}): Effect.Effect<PluginRegistryService> =>
  Effect.map(Clock.clockWith(Effect.succeed), (clock) =>
    serviceOf(makeEngine(options, () => clock.currentTimeMillisUnsafe()))
  )

/**
 * Checks a plugin and the options it would be registered with, without registering it: the same checks as
 * `register` (shape of its API version, supported `apiVersion`, options against its options Schema) except
 * name conflicts. Succeeds with the decoded options. Loaders use it to reject a bad plugin or option before
 * a host starts.
 *
 * @since 0.1.0
 * @category validation
 */
export const check = (plugin: unknown, options?: unknown): Effect.Effect<unknown, PluginError> =>
  Effect.flatMap(normalize(plugin), (normalized) => decodeOptions(normalized, options))

/**
 * The plugin registry service.
 *
 * @since 0.1.0
 * @category services
 */
export class PluginRegistry extends Context.Service<PluginRegistry, PluginRegistryService>()(
  "@orchestrator/core/PluginRegistry"
) {
  /**
   * A registry with the default settings.
   *
   * @since 0.1.0
   * @category layers
   */
  static readonly layer: Layer.Layer<PluginRegistry> = Layer.effect(PluginRegistry, make())

  /**
   * A registry with the given settings.
   *
   * @since 0.1.0
   * @category layers
   */
  static layerWith(options: PluginRegistryOptions): Layer.Layer<PluginRegistry> {
    return Layer.effect(PluginRegistry, make(options))
  }
}

/**
 * The registry for hosts written without Effect: the same registry, with synchronous registration that
 * throws the `PluginError` and Promise-returning runs.
 *
 * ```ts
 * const host = new PluginHost()
 * const unregister = host.register(myPlugin, { port: 8080 })
 * const fragment = await host.runCollectors({ hostId: "node-1", probeId: "p1" }, 5_000)
 * ```
 *
 * **Gotchas**
 *
 * A hook that blocks the event loop (a synchronous busy loop) cannot be interrupted by any timeout; the
 * timeout only fires once it yields.
 *
 * @since 0.1.0
 * @category facades
 */
export class PluginHost {
  private readonly engine: Engine

  constructor(options: PluginRegistryOptions = {}) {
    this.engine = makeEngine(options, Date.now)
  }

  /**
   * Registers a plugin and returns a function that unregisters it; throws a `PluginError`
   * (`PluginOptionsError`, `PluginVersionError`, `PluginDuplicateError`, `PluginInvalidError`).
   */
  register<P extends AnyPlugin>(plugin: P, ...options: RegisterArgs<P>): () => void {
    const exit = Effect.runSyncExit(this.engine.register(plugin, options[0]))
    if (Exit.isSuccess(exit)) return exit.value
    throw Cause.squash(exit.cause)
  }

  /** Unregisters a plugin by name; `false` when none has that name. */
  unregister(name: string): boolean {
    return this.engine.unregister(name)
  }

  plugins(): ReadonlyArray<PluginInfo> {
    return this.engine.plugins()
  }

  collectors(): ReadonlyArray<RegisteredHook<Collector>> {
    return this.engine.collectors()
  }

  taggers(): ReadonlyArray<RegisteredHook<Tagger>> {
    return this.engine.taggers()
  }

  views(): ReadonlyArray<ViewDefinition> {
    return this.engine.views()
  }

  controlsFor(node: Node): ReadonlyArray<ControlDescription> {
    return this.engine.controlsFor(node)
  }

  control(id: string): RegisteredHook<Control> | undefined {
    return this.engine.control(id)
  }

  health(): ReadonlyArray<HookHealth> {
    return this.engine.health()
  }

  runCollectors(probe: ProbeContext, budgetMs?: number): Promise<CollectedFragment> {
    return Effect.runPromise(this.engine.runCollectors(probe, budgetMs))
  }

  runTaggers(fragment: ReportFragment, probe: ProbeContext, budgetMs?: number): Promise<CollectedFragment> {
    return Effect.runPromise(this.engine.runTaggers(fragment, probe, budgetMs))
  }

  panelsFor(node: Node, context?: PanelRunContext): Promise<ReadonlyArray<Panel>> {
    return Effect.runPromise(this.engine.panelsFor(node, context))
  }

  /** Runs a control; rejects with a `ControlNotFoundError` or a `PluginHookError`. */
  runControl(request: ControlRequest, context: ControlRunContext): Promise<unknown> {
    return Effect.runPromise(this.engine.runControl(request, context))
  }
}
