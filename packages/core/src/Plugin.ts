/**
 * The plugin contract, API version 1. Collectors (probe), report taggers, topology views, node-detail panels
 * and controls are all registered as plugins, built-in ones included; the `PluginRegistry` runs them with
 * ordering, per-hook timeouts and failure isolation.
 *
 * A plugin is a plain object, usually made by a factory:
 *
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Plugin, Report } from "@orchestrator/core"
 *
 * export const uptime = Plugin.definePlugin({
 *   name: "uptime",
 *   version: "1.0.0",
 *   apiVersion: 1,
 *   options: Schema.Struct({ label: Schema.String }),
 *   collectors: [{
 *     name: "uptime",
 *     collect: (ctx) =>
 *       Effect.succeed({
 *         topologies: {
 *           hosts: { [ctx.hostId]: Report.makeNode("hosts", ctx.hostId, {
 *             latest: Report.latestFields(ctx.now, { [ctx.options.label]: process.uptime() })
 *           }) }
 *         }
 *       })
 *   }]
 * })
 * ```
 *
 * Hooks may return a plain value, a `Promise` or an `Effect`, so plugins can be written without Effect.
 * Version 1 is frozen: later versions only add optional fields and hooks, and the registry keeps accepting
 * every version in {@link supportedApiVersions}.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import type * as Effect from "effect/Effect"
import type { ControlRequest } from "./ControlProtocol.js"
import type { NodesByTopology } from "./Merge.js"
import type { MergedReport } from "./MergedReport.js"
import type { Panel } from "./NodeDetails.js"
import type { Node, ProbeHealth } from "./Report.js"
import type { ViewDefinition } from "./views/View.js"

/**
 * The plugin API version this library defines; a plugin declares the version it was written against.
 *
 * @since 0.1.0
 * @category constants
 */
export const currentApiVersion = 1

/**
 * Every plugin API version the registry accepts. Older versions stay listed so that plugins written against
 * them keep loading after an upgrade.
 *
 * @since 0.1.0
 * @category constants
 */
export const supportedApiVersions = [1] as const

/**
 * A plugin API version the registry accepts.
 *
 * @since 0.1.0
 * @category models
 */
export type ApiVersion = (typeof supportedApiVersions)[number]

/**
 * Where a hook runs relative to the others: `pre` hooks first, then hooks without an order, then `post`
 * hooks; ties keep registration order.
 *
 * @since 0.1.0
 * @category models
 */
export type HookOrder = "pre" | "post"

/**
 * Settings every runnable hook may carry.
 *
 * @since 0.1.0
 * @category models
 */
export interface HookSettings {
  /** Run before (`pre`) or after (`post`) hooks without an order. */
  readonly order?: HookOrder
  /** The most this hook may take, in ms; the registry's default applies when omitted (10,000 ms by default). */
  readonly timeoutMs?: number
}

/**
 * What a hook may return: a value, a `Promise` of it, or an `Effect` that produces it. A rejected promise, a
 * thrown exception, a failed or dying effect are all reported as a failure of the hook.
 *
 * @since 0.1.0
 * @category models
 */
export type HookResult<A> = A | PromiseLike<A> | Effect.Effect<A, unknown>

/**
 * What collectors produce and taggers transform: nodes by topology then id, and optionally health entries
 * of the plugin's own (a Docker collector may report that the socket is unreachable).
 *
 * **Gotchas**
 *
 * Each node must be keyed by its own `id` inside the map of its own `topology`; the registry drops nodes
 * that are not, and reports the collector as `degraded`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ReportFragment {
  readonly topologies: NodesByTopology
  readonly health?: ReadonlyArray<ProbeHealth>
}

/**
 * A logger for hooks written without Effect. Lines go to the host's Effect logger, annotated with the plugin
 * and hook names. Effect-based hooks can use `Effect.log` directly: it carries the same annotations.
 *
 * @since 0.1.0
 * @category models
 */
export interface PluginLogger {
  debug(message: string, ...rest: ReadonlyArray<unknown>): void
  info(message: string, ...rest: ReadonlyArray<unknown>): void
  warn(message: string, ...rest: ReadonlyArray<unknown>): void
  error(message: string, ...rest: ReadonlyArray<unknown>): void
}

/**
 * What every hook receives.
 *
 * @since 0.1.0
 * @category models
 */
export interface HookContext<Options> {
  /** The plugin's name. */
  readonly plugin: string
  /** The hook's name (a collector's `name`, a control's `id`...). */
  readonly hook: string
  /** The plugin's options, decoded by its `options` Schema (`undefined` when it has none). */
  readonly options: Options
  /** When the run started, ms since the epoch (the Effect `Clock`, so tests can control it). */
  readonly now: number
  /** Aborted when the hook times out or the run is interrupted; pass it to `fetch`, child processes... */
  readonly signal: AbortSignal
  readonly logger: PluginLogger
}

/**
 * Where a probe-side hook runs: supplied by the probe when it runs collectors, taggers and controls.
 *
 * @since 0.1.0
 * @category models
 */
export interface ProbeContext {
  /** The id of the host the probe runs on (the `hosts` node id). */
  readonly hostId: string
  readonly probeId: string
  /**
   * Asks for a report soon instead of at the next interval, because something changed that users should see
   * now (Docker says a container started or died). Requests are coalesced: at most one early report per
   * second. Absent when the host has no report loop (a registry run by hand).
   */
  readonly requestReport?: () => void
}

/**
 * What a collector receives.
 *
 * @since 0.1.0
 * @category models
 */
export interface CollectorContext<Options> extends HookContext<Options>, ProbeContext {}

/**
 * What a tagger receives.
 *
 * @since 0.1.0
 * @category models
 */
export interface TaggerContext<Options> extends HookContext<Options>, ProbeContext {}

/**
 * What a panel provider receives: the merged report, to look up related nodes.
 *
 * @since 0.1.0
 * @category models
 */
export interface PanelContext<Options> extends HookContext<Options> {
  readonly report: MergedReport
}

/**
 * What a control receives: the node it runs on when the probe knows it.
 *
 * @since 0.1.0
 * @category models
 */
export interface ControlContext<Options> extends HookContext<Options>, ProbeContext {
  readonly node: Node | undefined
}

/**
 * A collector hook: adds nodes, fields, metrics and sets to the probe's report. The registry runs every
 * collector concurrently on each report and merges their fragments.
 *
 * @since 0.1.0
 * @category models
 */
export interface Collector<Options = unknown> extends HookSettings {
  /** Unique within the plugin; health entries are named `<plugin>/collector/<name>`. */
  readonly name: string
  /**
   * Collect at most this often, in ms. Between runs the registry reuses the last fragment, so slow sources
   * (image lists, cloud metadata) need not be read on every report.
   */
  readonly intervalMs?: number
  collect(ctx: CollectorContext<Options>): HookResult<ReportFragment>
}

/**
 * A tagger hook: enriches the nodes collectors produced (parents from another collector, labels, derived
 * fields). Taggers run one after the other, in order, after every collector; each receives the fragment the
 * previous one returned and returns the whole fragment, changed.
 *
 * @since 0.1.0
 * @category models
 */
export interface Tagger<Options = unknown> extends HookSettings {
  /** Unique within the plugin. */
  readonly name: string
  tag(fragment: ReportFragment, ctx: TaggerContext<Options>): HookResult<ReportFragment>
  /**
   * Topologies that must not leave the probe untagged: when this tagger does not run to the end (it fails,
   * times out, is disabled after failures or finds the report's budget used up), the fragment goes on without
   * them for that report. For taggers that redact (a secret scrubber): their failure hides data, never shows it.
   */
  readonly failClosed?: ReadonlyArray<string>
}

/**
 * A panel hook: adds panels (described as data) to a node's details in the app.
 *
 * @since 0.1.0
 * @category models
 */
export interface PanelProvider<Options = unknown> extends HookSettings {
  /** Unique within the plugin. */
  readonly name: string
  /** Topologies whose nodes get these panels; all topologies when omitted. */
  readonly topologies?: ReadonlyArray<string>
  panels(node: Node, ctx: PanelContext<Options>): HookResult<ReadonlyArray<Panel>>
}

/**
 * A control hook: an action users can run on nodes, guarded by its own permission name.
 *
 * **Gotchas**
 *
 * Control ids are global (`docker.stop`): registering two controls with the same id fails. A control's
 * failure is the answer to the user's request, so it is reported but never disables the control.
 *
 * @since 0.1.0
 * @category models
 */
export interface Control<Options = unknown> extends HookSettings {
  /** Globally unique, conventionally `<plugin>.<action>`. */
  readonly id: string
  readonly label: string
  /** Topologies whose nodes offer the control. */
  readonly topologies: ReadonlyArray<string>
  /** The permission name a role needs to run it (e.g. `containers:write`). */
  readonly permission: string
  readonly icon?: string
  /** Ask the user before running it (destructive controls). */
  readonly confirm?: boolean
  /** The control opens a stream (logs, terminal) instead of returning a result. */
  readonly stream?: "logs" | "terminal"
  /** Narrows the control to some nodes of its topologies (only running containers can be stopped). */
  appliesTo?(node: Node): boolean
  run(request: ControlRequest, ctx: ControlContext<Options>): HookResult<unknown>
}

/**
 * A Schema for a plugin's options: decodes what the host passes (`Input`) into what hooks read (`Options`).
 *
 * @since 0.1.0
 * @category models
 */
export interface OptionsSchema<Options, Input> extends Schema.ConstraintCodec<Options, Input, never, unknown> {}

/**
 * A plugin, API version 1. Every hook list is optional.
 *
 * @since 0.1.0
 * @category models
 */
export interface Plugin<Name extends string = string, Options = undefined, Input = Options> {
  /** Unique in a registry; shown in every error and health entry about the plugin. */
  readonly name: Name
  /** The plugin's own version (semver). */
  readonly version: string
  /** The plugin API version it was written against. */
  readonly apiVersion: ApiVersion
  readonly description?: string
  /**
   * Validates the options the host registers the plugin with; hooks read the decoded value as
   * `ctx.options`. When the host passes none, `{}` is decoded, so a Struct with optional fields or
   * defaults works without options.
   */
  readonly options?: OptionsSchema<Options, Input>
  readonly collectors?: ReadonlyArray<Collector<Options>>
  readonly taggers?: ReadonlyArray<Tagger<Options>>
  readonly views?: ReadonlyArray<ViewDefinition>
  readonly panels?: ReadonlyArray<PanelProvider<Options>>
  readonly controls?: ReadonlyArray<Control<Options>>
}

/**
 * Any plugin, whatever its name and options: what a registry accepts.
 *
 * @since 0.1.0
 * @category models
 */
export type AnyPlugin = Plugin<string, unknown, unknown>

/**
 * The options a host passes when registering a plugin (the `Encoded` side of its options Schema).
 *
 * @since 0.1.0
 * @category type-level
 */
export type OptionsInput<P extends AnyPlugin> = P extends Plugin<string, infer _Options, infer Input> ? Input : never

/**
 * The options hooks of a plugin read (the `Type` side of its options Schema).
 *
 * @since 0.1.0
 * @category type-level
 */
export type OptionsOf<P extends AnyPlugin> = P extends Plugin<string, infer Options, infer _Input> ? Options : never

/**
 * The rest arguments of `register(plugin, ...)`: options are optional when the plugin has no options
 * Schema or when `{}` is a valid input.
 *
 * @since 0.1.0
 * @category type-level
 */
export type RegisterArgs<P extends AnyPlugin> = [OptionsInput<P>] extends [infer Input]
  ? undefined extends Input
    ? [options?: Input]
    : {} extends Input
      ? [options?: Input]
      : [options: Input]
  : never

/**
 * Declares a plugin. It returns its argument unchanged and exists for type inference: the name stays a
 * literal type, `options` infers the type of `ctx.options` in every hook, and `apiVersion` is checked.
 *
 * **When to use**
 *
 * Wrap every plugin object in it; for plugins that take settings from code, write a factory
 * `(settings) => definePlugin({...})`, or declare an `options` Schema so the host validates them.
 *
 * @since 0.1.0
 * @category constructors
 */
export const definePlugin = <const Name extends string, Options = undefined, Input = Options>(
  plugin: Plugin<Name, Options, Input>
): Plugin<Name, Options, Input> => plugin

/**
 * The kinds of hooks a plugin has.
 *
 * @since 0.1.0
 * @category models
 */
export const HookKind = Schema.Literals(["collector", "tagger", "view", "panel", "control"])

/**
 * @since 0.1.0
 * @category models
 */
export type HookKind = typeof HookKind.Type

/**
 * The options a plugin was registered with failed its options Schema.
 *
 * @since 0.1.0
 * @category errors
 */
export class PluginOptionsError extends Schema.TaggedError<PluginOptionsError>()("PluginOptionsError", {
  plugin: Schema.String,
  /** The option path, dot-separated (`servers.0.host`); empty for the options value itself. */
  path: Schema.String,
  message: Schema.String
}) {}

/**
 * The plugin declares an API version the registry does not support.
 *
 * @since 0.1.0
 * @category errors
 */
export class PluginVersionError extends Schema.TaggedError<PluginVersionError>()("PluginVersionError", {
  plugin: Schema.String,
  apiVersion: Schema.Unknown,
  supported: Schema.Array(Schema.Number),
  message: Schema.String
}) {}

/**
 * A plugin name, view id or control id is already registered (by `registeredBy`), or a hook name repeats
 * within one plugin.
 *
 * @since 0.1.0
 * @category errors
 */
export class PluginDuplicateError extends Schema.TaggedError<PluginDuplicateError>()("PluginDuplicateError", {
  plugin: Schema.String,
  kind: Schema.Literals(["plugin", "collector", "tagger", "view", "panel", "control"]),
  id: Schema.String,
  registeredBy: Schema.String,
  message: Schema.String
}) {}

/**
 * The plugin object does not have the shape of its API version (a hook without its function, a name that is
 * not a string...). `path` names the offending field (`collectors.0.collect`).
 *
 * @since 0.1.0
 * @category errors
 */
export class PluginInvalidError extends Schema.TaggedError<PluginInvalidError>()("PluginInvalidError", {
  plugin: Schema.String,
  path: Schema.String,
  message: Schema.String
}) {}

/**
 * Everything registering a plugin can fail with.
 *
 * @since 0.1.0
 * @category errors
 */
export type PluginError = PluginOptionsError | PluginVersionError | PluginDuplicateError | PluginInvalidError

/**
 * Why a hook run did not produce a usable result.
 *
 * @since 0.1.0
 * @category models
 */
export const HookFailureReason = Schema.Literals(["failed", "timeout", "invalid", "disabled"])

/**
 * @since 0.1.0
 * @category models
 */
export type HookFailureReason = typeof HookFailureReason.Type

/**
 * A hook failed: it threw, rejected, failed or died (`failed`), ran past its timeout (`timeout`), returned a
 * value of the wrong shape (`invalid`), or is disabled after repeated failures (`disabled`).
 *
 * @since 0.1.0
 * @category errors
 */
export class PluginHookError extends Schema.TaggedError<PluginHookError>()("PluginHookError", {
  plugin: Schema.String,
  kind: HookKind,
  hook: Schema.String,
  reason: HookFailureReason,
  message: Schema.String,
  /** What the hook threw, rejected or failed with. */
  cause: Schema.optionalKey(Schema.Defect())
}) {}

/**
 * No registered control has the requested id, or it does not apply to the requested node.
 *
 * @since 0.1.0
 * @category errors
 */
export class ControlNotFoundError extends Schema.TaggedError<ControlNotFoundError>()("ControlNotFoundError", {
  action: Schema.String,
  topology: Schema.String,
  message: Schema.String
}) {}

/**
 * The health of one hook, as the registry's `health()` reports it for the app's stats.
 *
 * - `status`: `idle` (never ran), `ok`, `degraded` (ran but part of its output was dropped), `failed` (the
 *   last run failed), `disabled` (too many failures in a row; retried after `disabledUntil`).
 * - `consecutiveFailures` resets on success; `failures` and `runs` count since registration.
 *
 * @since 0.1.0
 * @category models
 */
export const HookHealth = Schema.Struct({
  /** `<plugin>/<kind>/<name>`, also the `name` of the hook's `ProbeHealth` entries. */
  id: Schema.String,
  plugin: Schema.String,
  kind: HookKind,
  name: Schema.String,
  status: Schema.Literals(["idle", "ok", "degraded", "failed", "disabled"]),
  message: Schema.optionalKey(Schema.String),
  durationMs: Schema.optionalKey(Schema.Finite),
  /** When the hook last ran, ms since the epoch. */
  lastRun: Schema.optionalKey(Schema.Finite),
  runs: Schema.Int,
  failures: Schema.Int,
  consecutiveFailures: Schema.Int,
  disabledUntil: Schema.optionalKey(Schema.Finite)
})

/**
 * @since 0.1.0
 * @category models
 */
export type HookHealth = typeof HookHealth.Type

/**
 * The id of a hook in health entries and logs: `<plugin>/<kind>/<name>`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const hookId = (plugin: string, kind: HookKind, name: string): string => `${plugin}/${kind}/${name}`
