/**
 * The probe CLI, loaded by `main.ts`: parses flags and environment, runs a probe of this host (host, process,
 * network, Docker and Kubernetes collectors, Docker controls, plus the plugins named by `--plugin` / `--config`
 * and Weave Scope plugins with `--scope-plugins`) publishing to the app server, until SIGINT/SIGTERM.
 * `@orchestrator/plugins` (the loader) is imported only when a plugin flag is given, so a plain probe stays small.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Probe, ProbeConfig } from "@orchestrator/probe"
import { Effect, Layer } from "effect"
import { compactHeapAfterReports } from "./compactHeap.js"

const usage = `Usage: orchestrator-probe [flags]

  --app-url <url>            the app server (default http://127.0.0.1:8080; env PROBE_APP_URL)
  --interval <dur>           collect and publish this often, e.g. 15s, 500ms (default 15s; env PROBE_INTERVAL)
  --token <secret>           bearer token the app requires (env PROBE_TOKEN)
  --probe-id <id>            the agent id to register as (default: the hostname; env PROBE_ID)
  --hostname <name>          the host id to report (default: the hostname)
  --full-report-every <n>    a full report every n publishes, deltas in between (default 10)
  --request-timeout <dur>    the most one request to the app may take (default 10s)
  --no-controls              refuse every control request (cannot be re-enabled from the app)
  --no-processes             do not collect processes and network endpoints
  --no-docker                do not collect Docker containers (and offer no container controls)
  --no-kubernetes            do not watch Kubernetes (its client is then never loaded)
  --conntrack                add conntrack flows (short-lived and NATed connections, byte counts)
  --proc-root <dir>          the host's /proc when the probe runs in a container (default /proc)
  --docker-socket <path>     the Docker socket (default /var/run/docker.sock or DOCKER_HOST=unix://...)
  --kubeconfig <path>        a kubeconfig (default KUBECONFIG, ~/.kube/config, then the in-cluster config)
  --plugin <name-or-path>    load a plugin (package name or path; repeatable)
  --config <file>            orchestrator.config.{ts,js,mjs,json}: plugins with options, Scope plugins
  --scope-plugins[=<dir>]    run Weave Scope plugins from their sockets (default /var/run/scope/plugins)
  --help                     show this help
`

const fail = (message: string): never => {
  process.stderr.write(`orchestrator-probe: ${message}\n\n${usage}`)
  process.exit(2)
}

/** Takes `--plugin`, `--config` and `--scope-plugins` out of the arguments (the loader parses them later). */
const pluginFlags = (args: ReadonlyArray<string>) => {
  const ours: Array<string> = []
  const rest: Array<string> = []
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    const flag = arg.split("=")[0]
    if (flag === "--scope-plugins" || ((flag === "--plugin" || flag === "--config") && arg.includes("=")))
      ours.push(arg)
    else if (flag === "--plugin" || flag === "--config") {
      const value = args[i + 1]
      if (value === undefined || value.startsWith("--")) fail(`${flag} needs a value`)
      ours.push(arg, value!)
      i++
    } else rest.push(arg)
  }
  return { ours, rest }
}

const { ours, rest: args } = pluginFlags(process.argv.slice(2))
const parsed = ProbeConfig.fromArgs(args, process.env)
if (parsed instanceof ProbeConfig.ConfigError) fail(parsed.message)
const { config, rest } = parsed as Exclude<typeof parsed, ProbeConfig.ConfigError>
if (rest.includes("--help") || rest.includes("-h")) {
  process.stdout.write(usage)
  process.exit(0)
}
if (rest.length > 0) fail(`unknown ${rest[0]!.startsWith("-") ? "flag" : "argument"} ${rest[0]}`)

/** Compacts the heap after a report once the process grew by 2 MB (see compactHeap.ts). */
const compact = compactHeapAfterReports(2 * 1024 * 1024)

/** The probe, with the plugins the flags name and the Scope bridge when asked for. */
const probeProgram = async (): Promise<Effect.Effect<never, unknown>> => {
  if (ours.length === 0) return Layer.launch(compact.pipe(Layer.provideMerge(Probe.Probe.layer(config))))
  const { HostPlugins, PluginLoader, ScopeBridge } = await import("@orchestrator/plugins")
  const flags = HostPlugins.extractFlags(ours)
  if (flags instanceof HostPlugins.FlagError) return fail(flags.message)
  const setup = await HostPlugins.loadPromise(flags).catch((error: { readonly message: string }) => fail(error.message))
  const probe = compact.pipe(
    Layer.provideMerge(Probe.Probe.layer({ ...config, plugins: PluginLoader.toEntries(setup.plugins) }))
  )
  return Layer.launch(
    setup.scope === undefined ? probe : ScopeBridge.ScopeBridge.layer(setup.scope).pipe(Layer.provideMerge(probe))
  )
}

NodeRuntime.runMain((await probeProgram()).pipe(Effect.tapCause((cause) => Effect.logError("probe stopped", cause))))
