/**
 * Type-level tests: a wrong option, payload or hook result is a compile error. `tsc -p tsconfig.json` checks
 * them (an `@ts-expect-error` that is not needed fails the type-check); vitest runs the few runtime lines.
 */
import { type Plugin, PluginRegistry, type Report } from "@orchestrator/core"
import { Schema } from "effect"
import { describe, expectTypeOf, it } from "vitest"
import { definePlugin, definePluginFactory, defineConfig, type PluginLoader } from "../src/index.js"
import { testPlugin } from "../src/testing/index.js"

const Options = Schema.Struct({ port: Schema.Int, label: Schema.optionalKey(Schema.String) })

const typed = definePlugin({
  name: "typed",
  version: "1.0.0",
  apiVersion: 1,
  options: Options,
  collectors: [
    {
      name: "c",
      collect: (ctx) => {
        expectTypeOf(ctx.options).toEqualTypeOf<{ readonly port: number; readonly label?: string }>()
        expectTypeOf(ctx.hostId).toBeString()
        // @ts-expect-error: not an option of this plugin
        void ctx.options.host
        return { topologies: {} }
      }
    }
  ],
  controls: [
    {
      id: "typed.poke",
      label: "Poke",
      topologies: ["hosts"],
      permission: "hosts:write",
      run: (request, ctx) => {
        expectTypeOf(request.args).toEqualTypeOf<{ readonly [x: string]: unknown }>()
        expectTypeOf(ctx.node).toEqualTypeOf<Report.Node | undefined>()
        return { port: ctx.options.port }
      }
    }
  ]
})

describe("type-level contract", () => {
  it("keeps the literal name and infers options from the Schema", () => {
    expectTypeOf(typed.name).toEqualTypeOf<"typed">()
    expectTypeOf<Plugin.OptionsOf<typeof typed>>().toEqualTypeOf<{ readonly port: number; readonly label?: string }>()
  })

  it("makes a wrong or missing option a compile error when registering and testing", () => {
    const host = new PluginRegistry.PluginHost()
    host.register(typed, { port: 1 })
    // @ts-expect-error: port must be a number
    expectTypeOf(() => host.register(typed, { port: "1" })).toBeFunction()
    // @ts-expect-error: options are required (port has no default)
    expectTypeOf(() => host.register(typed)).toBeFunction()
    // @ts-expect-error: an unknown option
    expectTypeOf(() => host.register(typed, { port: 1, nope: true })).toBeFunction()
    expectTypeOf(() => testPlugin(typed, { options: { port: 2 } })).toBeFunction()
    // @ts-expect-error: the testing kit requires the options too
    expectTypeOf(() => testPlugin(typed)).toBeFunction()
    // @ts-expect-error: and checks their types
    expectTypeOf(() => testPlugin(typed, { options: { port: true } })).toBeFunction()
  })

  it("rejects an unsupported apiVersion and wrong hook results at compile time", () => {
    definePlugin({
      name: "v2",
      version: "1.0.0",
      // @ts-expect-error: only apiVersion 1 exists
      apiVersion: 2
    })
    definePlugin({
      name: "bad-collector",
      version: "1.0.0",
      apiVersion: 1,
      // @ts-expect-error: a collector returns a ReportFragment, not a number
      collectors: [{ name: "c", collect: () => 42 }]
    })
    definePlugin({
      name: "bad-panel",
      version: "1.0.0",
      apiVersion: 1,
      // @ts-expect-error: a panel needs its type-specific fields (rows)
      panels: [{ name: "p", panels: () => [{ type: "table", id: "x", title: "X" }] }]
    })
    definePlugin({
      name: "bad-control",
      version: "1.0.0",
      apiVersion: 1,
      // @ts-expect-error: a control needs its permission name
      controls: [{ id: "x.y", label: "Y", topologies: ["hosts"], run: () => undefined }]
    })
  })

  it("types plugin factories' options and config files", () => {
    const factory = definePluginFactory({
      name: "by-label",
      options: Schema.Struct({ label: Schema.String }),
      make: (options) => {
        expectTypeOf(options).toEqualTypeOf<{ readonly label: string }>()
        return definePlugin({ name: "by-label", version: "1.0.0", apiVersion: 1 })
      }
    })
    expectTypeOf(factory.pluginName).toEqualTypeOf<"by-label">()
    expectTypeOf(() => factory({ label: "team" })).toBeFunction()
    // @ts-expect-error: label must be a string
    expectTypeOf(() => factory({ label: 3 })).toBeFunction()
    defineConfig({ plugins: ["./a.js", ["./b.js", { x: 1 }], typed, [typed, { port: 1 }]] })
    // @ts-expect-error: unknown config field
    defineConfig({ plugin: ["./a.js"] })
    // @ts-expect-error: a plugin spec is a name, a plugin, or a pair
    defineConfig({ plugins: [42] })
    expectTypeOf<PluginLoader.PluginSpec>().toExtend<string | Plugin.AnyPlugin | readonly [unknown, unknown]>()
  })
})
