#!/usr/bin/env -S node --max-semi-space-size=1
/**
 * The probe host: parses flags and environment, runs a probe of this host (host, process, network, Docker and
 * Kubernetes collectors, Docker controls) publishing
 * to the app server, until SIGINT/SIGTERM.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Probe, ProbeConfig } from "@orchestrator/probe"
import { Effect, Layer } from "effect"

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
  --help                     show this help
`

const fail = (message: string): never => {
  process.stderr.write(`orchestrator-probe: ${message}\n\n${usage}`)
  process.exit(2)
}

const parsed = ProbeConfig.fromArgs(process.argv.slice(2), process.env)
if (parsed instanceof ProbeConfig.ConfigError) fail(parsed.message)
const { config, rest } = parsed as Exclude<typeof parsed, ProbeConfig.ConfigError>
if (rest.includes("--help") || rest.includes("-h")) {
  process.stdout.write(usage)
  process.exit(0)
}
if (rest.length > 0) fail(`unknown ${rest[0]!.startsWith("-") ? "flag" : "argument"} ${rest[0]}`)

NodeRuntime.runMain(
  Layer.launch(Probe.Probe.layer(config)).pipe(Effect.tapCause((cause) => Effect.logError("probe stopped", cause)))
)
