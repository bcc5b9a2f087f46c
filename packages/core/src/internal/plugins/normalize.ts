/**
 * Checks a plugin object against the shape of the API version it declares and decodes its options. Each
 * supported API version has its own normaliser into the registry's internal form, so a newer registry keeps
 * accepting plugins written against older versions.
 */
import { Effect, Exit, Predicate, Schema } from "effect"
import {
  type ApiVersion,
  type Collector,
  type Control,
  type PanelProvider,
  PluginDuplicateError,
  PluginInvalidError,
  PluginOptionsError,
  PluginVersionError,
  supportedApiVersions,
  type Tagger
} from "../../Plugin.js"
import type { ViewDefinition } from "../../views/View.js"
import { describeValue, firstIssue } from "./validate.js"

/** A plugin in the registry's internal form, whatever API version it was written against. */
export interface NormalizedPlugin {
  readonly name: string
  readonly version: string
  readonly apiVersion: ApiVersion
  readonly description: string | undefined
  readonly options: Schema.ConstraintDecoder<unknown> | undefined
  readonly collectors: ReadonlyArray<Collector>
  readonly taggers: ReadonlyArray<Tagger>
  readonly views: ReadonlyArray<ViewDefinition>
  readonly panels: ReadonlyArray<PanelProvider>
  readonly controls: ReadonlyArray<Control>
}

const Fn = Schema.declare((u: unknown): u is (...args: ReadonlyArray<never>) => unknown => typeof u === "function", {
  expected: "a function"
})
const AnySchema = Schema.declare((u: unknown): u is Schema.Top => Schema.isSchema(u), { expected: "a Schema" })
const Name = Schema.NonEmptyString
const Positive = Schema.Finite.check(Schema.isGreaterThan(0))
const settings = {
  order: Schema.optional(Schema.Literals(["pre", "post"])),
  timeoutMs: Schema.optional(Positive)
}

const CollectorV1 = Schema.Struct({ name: Name, intervalMs: Schema.optional(Positive), ...settings, collect: Fn })
const TaggerV1 = Schema.Struct({
  name: Name,
  ...settings,
  failClosed: Schema.optional(Schema.Array(Schema.String)),
  tag: Fn
})
const PanelV1 = Schema.Struct({
  name: Name,
  topologies: Schema.optional(Schema.Array(Schema.String)),
  ...settings,
  panels: Fn
})
const ControlV1 = Schema.Struct({
  id: Name,
  label: Schema.String,
  topologies: Schema.Array(Schema.String),
  permission: Name,
  icon: Schema.optional(Schema.String),
  confirm: Schema.optional(Schema.Boolean),
  stream: Schema.optional(Schema.Literals(["logs", "terminal"])),
  appliesTo: Schema.optional(Fn),
  ...settings,
  run: Fn
})
const ViewV1 = Schema.Struct({
  id: Name,
  label: Schema.String,
  reads: Schema.Array(Schema.String),
  countTopology: Schema.String,
  rank: Schema.Finite,
  render: Fn
})
const PluginV1 = Schema.Struct({
  name: Name,
  version: Schema.String,
  apiVersion: Schema.Literal(1),
  description: Schema.optional(Schema.String),
  options: Schema.optional(AnySchema),
  collectors: Schema.optional(Schema.Array(CollectorV1)),
  taggers: Schema.optional(Schema.Array(TaggerV1)),
  views: Schema.optional(Schema.Array(ViewV1)),
  panels: Schema.optional(Schema.Array(PanelV1)),
  controls: Schema.optional(Schema.Array(ControlV1))
})
const checkV1 = Schema.decodeUnknownExit(PluginV1)

type HookList = "collectors" | "taggers" | "views" | "panels" | "controls"
const listKind = {
  collectors: "collector",
  taggers: "tagger",
  views: "view",
  panels: "panel",
  controls: "control"
} as const

const hookKey = (list: HookList, hook: unknown): string =>
  Predicate.isObject(hook)
    ? String(list === "collectors" || list === "taggers" || list === "panels" ? hook.name : hook.id)
    : ""

/** The hooks of one list, checked for names that repeat within the plugin. */
const uniqueHooks = <H>(
  plugin: string,
  list: HookList,
  hooks: unknown
): Effect.Effect<ReadonlyArray<H>, PluginDuplicateError> => {
  const items = (hooks ?? []) as ReadonlyArray<H>
  const seen = new Set<string>()
  for (const hook of items) {
    const key = hookKey(list, hook)
    if (seen.has(key)) {
      return Effect.fail(
        new PluginDuplicateError({
          plugin,
          kind: listKind[list],
          id: key,
          registeredBy: plugin,
          message: `plugin "${plugin}" declares ${listKind[list]} "${key}" twice`
        })
      )
    }
    seen.add(key)
  }
  return Effect.succeed(items)
}

const normalizeV1 = Effect.fnUntraced(function* (raw: { readonly [x: PropertyKey]: unknown }, name: string) {
  const exit = checkV1(raw)
  if (Exit.isFailure(exit)) {
    const { message, path } = firstIssue(exit.cause)
    return yield* new PluginInvalidError({
      plugin: name,
      path,
      message: `plugin "${name}" is not a valid API version 1 plugin: ${path === "" ? "" : `${path}: `}${message}`
    })
  }
  const plugin: NormalizedPlugin = {
    name,
    version: raw.version as string,
    apiVersion: 1,
    description: raw.description as string | undefined,
    options: raw.options as Schema.ConstraintDecoder<unknown> | undefined,
    collectors: yield* uniqueHooks<Collector>(name, "collectors", raw.collectors),
    taggers: yield* uniqueHooks<Tagger>(name, "taggers", raw.taggers),
    views: yield* uniqueHooks<ViewDefinition>(name, "views", raw.views),
    panels: yield* uniqueHooks<PanelProvider>(name, "panels", raw.panels),
    controls: yield* uniqueHooks<Control>(name, "controls", raw.controls)
  }
  return plugin
})

const normalizers: {
  readonly [V in ApiVersion]: (
    raw: { readonly [x: PropertyKey]: unknown },
    name: string
  ) => Effect.Effect<NormalizedPlugin, PluginInvalidError | PluginDuplicateError>
} = { 1: normalizeV1 }

const isSupported = (version: unknown): version is ApiVersion =>
  (supportedApiVersions as ReadonlyArray<unknown>).includes(version)

/** Checks a plugin object and brings it into the internal form. */
export const normalize = (
  raw: unknown
): Effect.Effect<NormalizedPlugin, PluginInvalidError | PluginVersionError | PluginDuplicateError> => {
  if (!Predicate.isObject(raw)) {
    return Effect.fail(
      new PluginInvalidError({
        plugin: "<unnamed>",
        path: "",
        message: `expected a plugin object, got ${describeValue(raw)}`
      })
    )
  }
  if (typeof raw.name !== "string" || raw.name === "") {
    return Effect.fail(
      new PluginInvalidError({
        plugin: "<unnamed>",
        path: "name",
        message: `a plugin needs a non-empty string name, got ${describeValue(raw.name)}`
      })
    )
  }
  const name = raw.name
  if (!isSupported(raw.apiVersion)) {
    return Effect.fail(
      new PluginVersionError({
        plugin: name,
        apiVersion: raw.apiVersion,
        supported: [...supportedApiVersions],
        message: `plugin "${name}" declares apiVersion ${describeValue(raw.apiVersion)}; this registry supports apiVersion ${supportedApiVersions.join(", ")}`
      })
    )
  }
  return normalizers[raw.apiVersion](raw, name)
}

/**
 * Decodes the options a plugin is registered with. Omitted options decode as `{}`; a plugin without an
 * options Schema accepts no options.
 */
export const decodeOptions = (plugin: NormalizedPlugin, input: unknown): Effect.Effect<unknown, PluginOptionsError> => {
  if (plugin.options === undefined) {
    if (input === undefined) return Effect.succeed(undefined)
    return Effect.fail(
      new PluginOptionsError({
        plugin: plugin.name,
        path: "",
        message: `plugin "${plugin.name}" takes no options (it declares no options Schema), got ${describeValue(input)}`
      })
    )
  }
  const exit = Schema.decodeUnknownExit(plugin.options)(input === undefined ? {} : input)
  if (Exit.isSuccess(exit)) return Effect.succeed(exit.value)
  const { message, path } = firstIssue(exit.cause)
  return Effect.fail(
    new PluginOptionsError({
      plugin: plugin.name,
      path,
      message: `plugin "${plugin.name}": invalid ${path === "" ? "options" : `option ${path}`}: ${message}`
    })
  )
}
