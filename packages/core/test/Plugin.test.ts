import { describe, expect, expectTypeOf, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import {
  type AnyPlugin,
  type CollectorContext,
  currentApiVersion,
  definePlugin,
  HookHealth,
  hookId,
  type OptionsInput,
  type OptionsOf,
  type Plugin,
  type RegisterArgs,
  type ReportFragment,
  supportedApiVersions
} from "../src/Plugin.js"
import { latestFields, makeNode } from "../src/Report.js"

const Options = Schema.Struct({
  label: Schema.String,
  port: Schema.Number.pipe(Schema.withDecodingDefaultKey(Effect.succeed(80)))
})

const labelled = definePlugin({
  name: "labelled",
  version: "1.0.0",
  apiVersion: 1,
  options: Options,
  collectors: [
    {
      name: "host",
      collect: (ctx) => {
        expectTypeOf(ctx).toEqualTypeOf<CollectorContext<{ readonly label: string; readonly port: number }>>()
        return Effect.succeed({
          topologies: {
            hosts: {
              [ctx.hostId]: makeNode("hosts", ctx.hostId, {
                latest: latestFields(ctx.now, { [ctx.options.label]: ctx.options.port })
              })
            }
          }
        })
      }
    }
  ],
  taggers: [{ name: "noop", tag: (fragment, ctx) => (ctx.options.port > 0 ? fragment : Promise.resolve(fragment)) }],
  controls: [
    {
      id: "labelled.echo",
      label: "Echo",
      topologies: ["hosts"],
      permission: "hosts:read",
      run: async (request, ctx) => `${request.nodeId}:${ctx.options.label}`
    }
  ]
})

/** A factory with settings from code, no options Schema. */
const fixed = (settings: { readonly hostname: string }) =>
  definePlugin({
    name: "fixed",
    version: "0.1.0",
    apiVersion: 1,
    collectors: [
      {
        name: "host",
        collect: (ctx): ReportFragment => {
          expectTypeOf(ctx.options).toEqualTypeOf<undefined>()
          return { topologies: { hosts: { [settings.hostname]: makeNode("hosts", settings.hostname) } } }
        }
      }
    ]
  })

declare const register: <P extends AnyPlugin>(plugin: P, ...options: RegisterArgs<P>) => void

describe("Plugin", () => {
  it("definePlugin returns the plugin object itself", () => {
    const plugin = { name: "same", version: "1.0.0", apiVersion: 1 } as const
    expect(definePlugin(plugin)).toBe(plugin)
  })

  it("a factory builds a fresh plugin per call", () => {
    expect(fixed({ hostname: "a" }).collectors?.[0]?.collect).not.toBe(
      fixed({ hostname: "b" }).collectors?.[0]?.collect
    )
    expect(fixed({ hostname: "a" }).name).toBe("fixed")
  })

  it("infers the literal name, the options and the input of the options Schema", () => {
    expectTypeOf(labelled.name).toEqualTypeOf<"labelled">()
    expectTypeOf<OptionsOf<typeof labelled>>().toEqualTypeOf<{ readonly label: string; readonly port: number }>()
    expectTypeOf<OptionsInput<typeof labelled>>().toEqualTypeOf<{ readonly label: string; readonly port?: number }>()
    expectTypeOf<OptionsOf<ReturnType<typeof fixed>>>().toEqualTypeOf<undefined>()
    expectTypeOf(labelled).toExtend<AnyPlugin>()
    expectTypeOf(fixed({ hostname: "a" })).toExtend<Plugin<"fixed">>()
  })

  it("types the options a host registers a plugin with", () => {
    expectTypeOf<RegisterArgs<typeof labelled>>().toEqualTypeOf<
      [options: { readonly label: string; readonly port?: number }]
    >()
    expectTypeOf<RegisterArgs<ReturnType<typeof fixed>>>().toEqualTypeOf<[options?: undefined]>()
    const optional = definePlugin({
      name: "optional",
      version: "1.0.0",
      apiVersion: 1,
      options: Schema.Struct({ port: Schema.optionalKey(Schema.Number) })
    })
    expectTypeOf<RegisterArgs<typeof optional>>().toEqualTypeOf<[options?: { readonly port?: number }]>()
    if (Math.random() > 2) {
      register(labelled, { label: "x" })
      register(optional)
      register(fixed({ hostname: "a" }))
      // @ts-expect-error label must be a string
      register(labelled, { label: 1 })
      // @ts-expect-error options are required: label has no default
      register(labelled)
      // @ts-expect-error a plugin without an options Schema takes no options
      register(fixed({ hostname: "a" }), { hostname: "b" })
    }
  })

  it("rejects an unsupported apiVersion and a hook without its function at compile time", () => {
    // @ts-expect-error apiVersion 2 does not exist yet
    const future = definePlugin({ name: "future", version: "1.0.0", apiVersion: 2 })
    const broken = definePlugin({
      name: "broken",
      version: "1.0.0",
      apiVersion: 1,
      // @ts-expect-error a collector needs collect
      collectors: [{ name: "c" }]
    })
    expect([future.name, broken.name]).toEqual(["future", "broken"])
  })

  it("freezes API version 1", () => {
    expect({ currentApiVersion, supportedApiVersions }).toEqual({ currentApiVersion: 1, supportedApiVersions: [1] })
  })

  it("names hooks <plugin>/<kind>/<name>", () => {
    expect(hookId("docker", "collector", "containers")).toBe("docker/collector/containers")
  })

  it("HookHealth is a Schema the app can encode for its stats", () => {
    const health: HookHealth = {
      id: "docker/collector/containers",
      plugin: "docker",
      kind: "collector",
      name: "containers",
      status: "disabled",
      message: "disabled",
      runs: 3,
      failures: 3,
      consecutiveFailures: 3,
      disabledUntil: 30_000
    }
    expect(Schema.decodeUnknownSync(HookHealth)(Schema.encodeSync(HookHealth)(health))).toEqual(health)
  })
})
