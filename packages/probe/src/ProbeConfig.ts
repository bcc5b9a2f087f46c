/**
 * The probe's own settings, as a Schema (so flags, environment variables and code are validated with clear
 * errors), with defaults and a parser for command-line flags.
 *
 * **Local settings and the app's agent config**
 *
 * The app keeps an agent config per probe (`AgentConfig`: interval, full-report cadence, collectors,
 * controls) that operators change at runtime. A config at version 1 is the app's untouched default: the
 * probe keeps its local settings. Once an operator changed it (version 2 and later), the app's values win,
 * except that controls refused locally (`controlsEnabled: false`, `--no-controls`) can never be turned on
 * remotely.
 *
 * @since 0.1.0
 */
import { type AgentConfig, Flags } from "@orchestrator/core"
import { Cause, Schema } from "effect"

const isHttpUrl = Schema.makeFilter<string>((text) => {
  try {
    const url = new URL(text)
    return url.protocol === "http:" || url.protocol === "https:" ? undefined : "must be an http:// or https:// URL"
  } catch {
    return `must be a URL like http://127.0.0.1:8080, got "${text}"`
  }
})

/**
 * Probe settings. Durations are in ms.
 *
 * @since 0.1.0
 * @category models
 */
export const ProbeConfig = Schema.Struct({
  /** The app server's base URL (default `http://127.0.0.1:8080`). */
  appUrl: Schema.String.check(isHttpUrl),
  /** Sent as `Authorization: Bearer <token>` on every request and on the control channel. */
  token: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1))),
  /** The agent id the probe registers with (default: the host id, i.e. the hostname). */
  probeId: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(200))),
  /** The host id and `hosts` node id (default: `os.hostname()`). */
  hostname: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(255))),
  /** Collect and publish this often (default 15 s). */
  intervalMs: Schema.Int.check(Schema.isGreaterThanOrEqualTo(100)),
  /** A full report every N publishes, deltas in between (default 10; 1 means always full). */
  fullReportEvery: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)),
  /** Whether the probe runs control requests at all (default true; `--no-controls` sets false). */
  controlsEnabled: Schema.Boolean,
  /** The most one HTTP request to the app may take (default 10 s). */
  requestTimeoutMs: Schema.Int.check(Schema.isGreaterThanOrEqualTo(100)),
  /** Collections kept while the app cannot be reached; older ones are dropped (default 4). */
  maxQueued: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1), Schema.isLessThanOrEqualTo(1000)),
  /** The first retry delay when the app is down or slow (default 500 ms; doubles, jittered). */
  backoffInitialMs: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)),
  /** The longest retry delay (default 30 s). */
  backoffMaxMs: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)),
  /** The most collectors may take per run (default: 60% of the interval). */
  collectBudgetMs: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(10))),
  /** Collect processes and network endpoints from /proc (default true; `--no-processes`). */
  processes: Schema.Boolean,
  /** Collect Docker containers and offer container controls (default true; `--no-docker`). */
  docker: Schema.Boolean,
  /** Collect Kubernetes objects when a kubeconfig or in-cluster config is present (default true; `--no-kubernetes`). */
  kubernetes: Schema.Boolean,
  /** Read conntrack flows for short-lived and NATed connections (default false; `--conntrack`). */
  conntrack: Schema.Boolean,
  /** Where the host's /proc is mounted (default `/proc`; a probe in a container mounts the host's). */
  procRoot: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1))),
  /** The Docker socket (default `/var/run/docker.sock`, or `DOCKER_HOST=unix://...`). */
  dockerSocket: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1))),
  /** A kubeconfig file (default `KUBECONFIG`, then `~/.kube/config`, then the in-cluster config). */
  kubeconfig: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1)))
})

/**
 * @since 0.1.0
 * @category models
 */
export type ProbeConfig = typeof ProbeConfig.Type

/**
 * The defaults.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaults: ProbeConfig = {
  appUrl: "http://127.0.0.1:8080",
  intervalMs: 15_000,
  fullReportEvery: 10,
  controlsEnabled: true,
  requestTimeoutMs: 10_000,
  maxQueued: 4,
  backoffInitialMs: 500,
  backoffMaxMs: 30_000,
  processes: true,
  docker: true,
  kubernetes: true,
  conntrack: false
}

/**
 * Raised for a bad flag, environment variable or setting; the message names it. The same error the app
 * server's config raises.
 *
 * @since 0.1.0
 * @category errors
 */
export const ConfigError = Flags.ConfigError

/**
 * @since 0.1.0
 * @category errors
 */
export type ConfigError = Flags.ConfigError

/**
 * Validates settings given in code, filling defaults; returns a `ConfigError` naming the bad field.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (settings: Partial<ProbeConfig> = {}): ProbeConfig | ConfigError => {
  const decoded = Schema.decodeUnknownExit(ProbeConfig)({ ...defaults, ...settings })
  if (decoded._tag === "Success") return decoded.value
  const error = Cause.squash(decoded.cause)
  const text = (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, " ")
  const at = /^(.*) at \["?([^"\]]+)"?\]$/.exec(text)
  return at === null
    ? new ConfigError({ setting: "config", reason: text })
    : new ConfigError({ setting: at[2]!, reason: at[1]! })
}

/**
 * Parses a duration such as `15s`, `1m`, `500ms` or a plain number of seconds into ms.
 *
 * @since 0.1.0
 * @category parsers
 */
export const parseDuration: (text: string) => number | undefined = Flags.parseDuration

const table: Flags.Table = {
  "--app-url": { key: "appUrl", kind: "string" },
  "--token": { key: "token", kind: "string" },
  "--interval": { key: "intervalMs", kind: "duration" },
  "--probe-id": { key: "probeId", kind: "string" },
  "--hostname": { key: "hostname", kind: "string" },
  "--full-report-every": { key: "fullReportEvery", kind: "int" },
  "--request-timeout": { key: "requestTimeoutMs", kind: "duration" },
  "--proc-root": { key: "procRoot", kind: "string" },
  "--docker-socket": { key: "dockerSocket", kind: "string" },
  "--kubeconfig": { key: "kubeconfig", kind: "string" },
  "--no-controls": { key: "controlsEnabled", kind: "switch", value: false },
  "--no-processes": { key: "processes", kind: "switch", value: false },
  "--no-docker": { key: "docker", kind: "switch", value: false },
  "--no-kubernetes": { key: "kubernetes", kind: "switch", value: false },
  "--conntrack": { key: "conntrack", kind: "switch", value: true }
}

const envToFlag: Record<string, string> = {
  PROBE_APP_URL: "--app-url",
  PROBE_TOKEN: "--token",
  PROBE_INTERVAL: "--interval",
  PROBE_ID: "--probe-id"
}

/**
 * The flags {@link fromArgs} understands, for `--help` output and for hosts that add their own.
 *
 * @since 0.1.0
 * @category constants
 */
export const flags: ReadonlyArray<string> = Object.keys(table)

/**
 * Builds settings from environment variables (`PROBE_APP_URL`, `PROBE_TOKEN`, `PROBE_INTERVAL`, `PROBE_ID`)
 * then flags (`--interval 15s` or `--interval=15s`), flags winning. `--no-controls` refuses every control.
 * Arguments it does not know (other flags, positional arguments) are returned in `rest` for the host to
 * handle or refuse.
 *
 * @since 0.1.0
 * @category parsers
 */
export const fromArgs = (
  args: ReadonlyArray<string>,
  env: Readonly<Record<string, string | undefined>> = {},
  base: Partial<ProbeConfig> = {}
): { readonly config: ProbeConfig; readonly rest: ReadonlyArray<string> } | ConfigError => {
  const parsed = Flags.parse(table, args, env, envToFlag)
  if (parsed instanceof ConfigError) return parsed
  const config = make({ ...base, ...(parsed.values as Partial<ProbeConfig>) })
  return config instanceof ConfigError ? Flags.blameSource(config, parsed) : { config, rest: parsed.rest }
}

/**
 * The settings a running probe applies: its local settings merged with the app's agent config (see the
 * module documentation for who wins).
 *
 * @since 0.1.0
 * @category models
 */
export interface Effective {
  readonly intervalMs: number
  readonly fullReportEvery: number
  readonly controlsEnabled: boolean
  /** Collector settings from the app, by plugin name, collector name or hook id. */
  readonly collectors: Readonly<Record<string, AgentConfig.CollectorConfig>>
  /** The agent config version applied; 0 before the app answered. */
  readonly configVersion: number
}

/**
 * Merges local settings with the app's agent config (none before registration).
 *
 * @since 0.1.0
 * @category combinators
 */
export const effective = (local: ProbeConfig, agent: AgentConfig.AgentConfig | undefined): Effective => {
  if (agent === undefined) {
    return {
      intervalMs: local.intervalMs,
      fullReportEvery: local.fullReportEvery,
      controlsEnabled: local.controlsEnabled,
      collectors: {},
      configVersion: 0
    }
  }
  const changed = agent.configVersion > 1
  return {
    intervalMs: changed ? agent.intervalMs : local.intervalMs,
    fullReportEvery: changed ? agent.fullReportEvery : local.fullReportEvery,
    controlsEnabled: local.controlsEnabled && agent.controlsEnabled,
    collectors: agent.collectors,
    configVersion: agent.configVersion
  }
}

/**
 * Whether the agent config leaves a collector enabled. It looks up, most specific first, the hook id
 * (`docker/collector/containers`), the collector's name, then the plugin's name; collectors not listed are
 * enabled.
 *
 * @since 0.1.0
 * @category predicates
 */
export const collectorEnabled = (settings: Effective, plugin: string, collector: string): boolean => {
  const entry =
    settings.collectors[`${plugin}/collector/${collector}`] ??
    settings.collectors[collector] ??
    settings.collectors[plugin]
  return entry?.enabled ?? true
}

/**
 * Whether two effective settings are the same.
 *
 * @since 0.1.0
 * @category predicates
 */
export const sameEffective = (a: Effective, b: Effective): boolean =>
  a.intervalMs === b.intervalMs &&
  a.fullReportEvery === b.fullReportEvery &&
  a.controlsEnabled === b.controlsEnabled &&
  a.configVersion === b.configVersion &&
  JSON.stringify(a.collectors) === JSON.stringify(b.collectors)
