import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { PluginRegistry } from "@orchestrator/core"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { ConfigFile, HostPlugins, loadConfig, loadPlugins, PluginLoader } from "../src/index.js"

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures")
const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect)
const failure = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(Effect.flip(effect))

describe("loadPlugins", () => {
  it("loads a plugin by path with options, and a factory called with its options", async () => {
    const loaded = await run(
      loadPlugins(
        [
          ["./hello-plugin.mjs", { greeting: "hi" }],
          ["./factory-plugin.mjs", { suffix: "x" }]
        ],
        { cwd: fixtures }
      )
    )
    expect(loaded.map((entry) => [entry.plugin.name, entry.options, entry.source])).toEqual([
      ["hello", { greeting: "hi" }, "./hello-plugin.mjs"],
      ["factory-x", undefined, "./factory-plugin.mjs"]
    ])
    // What it loaded registers and runs.
    const host = new PluginRegistry.PluginHost()
    for (const [plugin, options] of PluginLoader.toEntries(loaded)) host.register(plugin, options as never)
    const fragment = await host.runCollectors({ hostId: "h", probeId: "p" })
    expect(fragment.topologies.hosts?.h?.latest.greeting?.value).toBe("hi")
  })

  it("loads a plugin by package name, resolved from cwd", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plugin-pkg-"))
    try {
      const pkg = path.join(dir, "node_modules", "@acme", "orchestrator-noop")
      fs.mkdirSync(pkg, { recursive: true })
      fs.writeFileSync(
        path.join(pkg, "package.json"),
        JSON.stringify({ name: "@acme/orchestrator-noop", type: "module", exports: { ".": "./index.js" } })
      )
      fs.writeFileSync(path.join(pkg, "index.js"), 'export default { name: "noop", version: "2.0.0", apiVersion: 1 }\n')
      const [entry] = await run(loadPlugins(["@acme/orchestrator-noop"], { cwd: dir }))
      expect(entry?.plugin).toMatchObject({ name: "noop", version: "2.0.0" })
      const missing = await failure(loadPlugins(["@acme/absent"], { cwd: dir }))
      expect(missing).toMatchObject({ _tag: "PluginLoadError", reason: "not-found", source: "@acme/absent" })
      expect(missing.message).toMatch(/cannot find plugin "@acme\/absent"/)
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it("names the plugin and the bad option", async () => {
    const error = await failure(loadPlugins([["./hello-plugin.mjs", { greeting: 42 }]], { cwd: fixtures }))
    expect(error).toMatchObject({ _tag: "PluginLoadError", plugin: "hello", reason: "options", path: "greeting" })
    expect(error.message).toMatch(/^plugin "hello": invalid option greeting: .*\(loaded from \.\/hello-plugin\.mjs\)$/)
    const missing = await failure(loadPlugins(["./hello-plugin.mjs"], { cwd: fixtures }))
    expect(missing).toMatchObject({ plugin: "hello", path: "greeting" })
  })

  it("refuses what is not a usable plugin, saying why", async () => {
    const cases: ReadonlyArray<readonly [string, Partial<PluginLoader.PluginLoadError>, RegExp]> = [
      ["./absent.mjs", { reason: "not-found" }, /cannot import plugin "\.\/absent\.mjs"/],
      ["./throws-on-import.mjs", { reason: "import-failed" }, /cannot open \/etc\/acme\.conf/],
      ["./scopePlugins.ts", { reason: "no-plugin" }, /exports no plugin/],
      ["./old-api-plugin.mjs", { reason: "invalid", plugin: "from-the-future" }, /apiVersion 99/],
      ["./broken-plugin.mjs", { reason: "invalid", plugin: "broken", path: "collectors[0].collect" }, /collect/]
    ]
    for (const [source, fields, message] of cases) {
      const error = await failure(loadPlugins([source], { cwd: fixtures }))
      expect(error, source).toMatchObject({ _tag: "PluginLoadError", source, ...fields })
      expect(error.message, source).toMatch(message)
    }
    const twice = await failure(
      loadPlugins(
        [
          ["./hello-plugin.mjs", { greeting: "a" }],
          ["./hello-plugin.mjs", { greeting: "b" }]
        ],
        { cwd: fixtures }
      )
    )
    expect(twice.message).toBe('plugin "hello" is loaded twice (from ./hello-plugin.mjs and ./hello-plugin.mjs)')
  })
})

describe("loadConfig", () => {
  it("reads JSON, TypeScript and JavaScript configs; paths resolve from the config's folder", async () => {
    const json = await run(loadConfig(path.join(fixtures, "orchestrator.config.json")))
    expect(json.config.scopePlugins).toEqual({ dir: "/tmp/scope" })
    expect(json.cwd).toBe(fixtures)
    const ts = await run(loadConfig("orchestrator.config.ts", fixtures))
    const loaded = await run(loadPlugins(ts.config.plugins ?? [], { cwd: ts.cwd }))
    expect(loaded.map((entry) => entry.plugin.name)).toEqual(["hello", "factory-ts"])
  })

  it("says which field or file is wrong", async () => {
    const field = await failure(loadConfig(path.join(fixtures, "bad-field.config.json")))
    expect(field).toMatchObject({ _tag: "ConfigFileError", field: "plugin" })
    expect(field.message).toMatch(/unknown field "plugin" \(known: plugins, scopePlugins\)/)
    const absent = await failure(loadConfig(path.join(fixtures, "absent.json")))
    expect(absent.message).toMatch(/cannot read .*absent\.json/)
    const ext = await failure(loadConfig(path.join(fixtures, "hello.yaml")))
    expect(ext.message).toMatch(/unsupported config file type "\.yaml"/)
    expect(ConfigFile.configFileNames[0]).toBe("orchestrator.config.ts")
  })
})

describe("HostPlugins", () => {
  it("takes the plugin flags out of a host's arguments", () => {
    expect(
      HostPlugins.extractFlags([
        "--port",
        "9",
        "--plugin",
        "./a.js",
        "--plugin=b",
        "--config",
        "c.json",
        "--scope-plugins",
        "--no-ui"
      ])
    ).toEqual({ plugins: ["./a.js", "b"], config: "c.json", scopePlugins: true, rest: ["--port", "9", "--no-ui"] })
    expect(HostPlugins.extractFlags(["--scope-plugins=/run/x"])).toEqual({
      plugins: [],
      rest: [],
      scopePlugins: "/run/x"
    })
    const error = HostPlugins.extractFlags(["--plugin"])
    expect(error).toBeInstanceOf(HostPlugins.FlagError)
    expect((error as HostPlugins.FlagError).message).toBe("--plugin needs a value (a package name or path)")
  })

  it("loads the config's plugins then the flags', and the Scope settings", async () => {
    const setup = await HostPlugins.loadPromise(
      { plugins: ["./factory-plugin.mjs"], config: "orchestrator.config.ts", scopePlugins: "/run/scope" },
      fixtures
    )
    expect(setup.plugins.map((entry) => [entry.plugin.name, entry.source])).toEqual([
      ["hello", "./hello-plugin.mjs"],
      ["factory-ts", "./factory-plugin.mjs"],
      ["factory-plain", "./factory-plugin.mjs"]
    ])
    expect(setup.scope).toEqual({ dir: "/run/scope" })
    // The same plugin from the config and a flag is refused.
    const error = await HostPlugins.loadPromise(
      { plugins: ["./factory-plugin.mjs"], config: "orchestrator.config.json" },
      fixtures
    ).then(
      () => undefined,
      (failure: unknown) => failure
    )
    expect(error).toMatchObject({
      _tag: "PluginLoadError",
      message: 'plugin "factory-plain" is loaded twice (from ./factory-plugin.mjs and ./factory-plugin.mjs)'
    })
    const bad = await HostPlugins.loadPromise({ plugins: [], config: "bad-option.config.mjs" }, fixtures).then(
      () => undefined,
      (failure: unknown) => failure
    )
    expect(bad).toMatchObject({ _tag: "PluginLoadError", plugin: "hello", path: "greeting" })
  })
})
