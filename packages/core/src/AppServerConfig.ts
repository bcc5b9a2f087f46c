/**
 * The app server's settings, as a Schema (so a config file or flags are validated with clear errors), with
 * defaults and a parser for command-line flags and environment variables.
 *
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"
import * as Flags from "./Flags.js"
import { formatDecodeFailure } from "./internal/schemaError.js"

/**
 * App server settings. Durations are in ms, sizes in bytes.
 *
 * @since 0.1.0
 * @category models
 */
export const AppServerConfig = Schema.Struct({
  /** Address to bind (default 127.0.0.1: safe by default). */
  host: Schema.String,
  /** Port to listen on (default 8080; 0 picks a free port). */
  port: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0), Schema.isLessThanOrEqualTo(65535)),
  /** When set, every request must carry it (`Authorization: Bearer …` or a session cookie). */
  token: Schema.optionalKey(Schema.String.check(Schema.isMinLength(8))),
  /** Keep time series this long (default 1 h). */
  maxDataAgeMs: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1_000)),
  /** How often old series are cleaned up (default 1 min). */
  cleanupIntervalMs: Schema.Int.check(Schema.isGreaterThanOrEqualTo(100)),
  /** Drop probes not heard from for this long (default 60 s). */
  staleNodeThresholdMs: Schema.Int.check(Schema.isGreaterThanOrEqualTo(100)),
  /** Largest accepted request body, after decompression (default 16 MiB). */
  maxBodyBytes: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1_024)),
  /** Time allowed to receive a request body (slow uploads are cut off; default 30 s). */
  bodyTimeoutMs: Schema.Int.check(Schema.isGreaterThanOrEqualTo(100)),
  /** Time allowed to receive request headers (slow-loris protection; default 10 s). */
  headersTimeoutMs: Schema.Int.check(Schema.isGreaterThanOrEqualTo(100)),
  /** Origins allowed by CORS (`*` for any; default none: same-origin only). */
  corsOrigins: Schema.Array(Schema.String),
  /** Most nodes kept per topology (default 1,000,000). */
  maxNodesPerTopology: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)),
  /** Most time series kept (default 1,000,000). */
  maxSeries: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)),
  /** Most registered agents (default 10,000). */
  maxAgents: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)),
  /** Most UI WebSocket clients (default 1,000). */
  maxClients: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)),
  /** A WebSocket client whose send buffer passes this is dropped (default 8 MiB). */
  maxClientBufferBytes: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1_024)),
  /** Changes are coalesced this long before deltas go out (default 100 ms). */
  deltaIntervalMs: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  /** How long to wait for a probe to answer a control (default 30 s). */
  controlTimeoutMs: Schema.Int.check(Schema.isGreaterThanOrEqualTo(100)),
  /** A folder of static files (the web UI) served at `/`; none when omitted. */
  uiAssetsDir: Schema.optionalKey(Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export type AppServerConfig = typeof AppServerConfig.Type

/**
 * The defaults.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaults: AppServerConfig = {
  host: "127.0.0.1",
  port: 8080,
  maxDataAgeMs: 60 * 60 * 1000,
  cleanupIntervalMs: 60 * 1000,
  staleNodeThresholdMs: 60 * 1000,
  maxBodyBytes: 16 * 1024 * 1024,
  bodyTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  corsOrigins: [],
  maxNodesPerTopology: 1_000_000,
  maxSeries: 1_000_000,
  maxAgents: 10_000,
  maxClients: 1_000,
  maxClientBufferBytes: 8 * 1024 * 1024,
  deltaIntervalMs: 100,
  controlTimeoutMs: 30_000
}

/**
 * Raised for a bad flag, environment variable or setting; the message names it (defined in `Flags`).
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
 * Whether an address is a loopback one (only this machine can reach it).
 *
 * @since 0.1.0
 * @category predicates
 */
export const isLoopback = (host: string): boolean =>
  host === "localhost" || host === "::1" || host.startsWith("127.") || host === "[::1]"

/**
 * Parses a duration such as `15s`, `1h`, `500ms` or a plain number of seconds into ms (defined in `Flags`).
 *
 * @since 0.1.0
 * @category parsers
 */
export const parseDuration: (text: string) => number | undefined = Flags.parseDuration

const flagToKey: Flags.Table = {
  "--host": { key: "host", kind: "string" },
  "--port": { key: "port", kind: "int" },
  "--token": { key: "token", kind: "string" },
  "--max-data-age": { key: "maxDataAgeMs", kind: "duration" },
  "--cleanup-interval": { key: "cleanupIntervalMs", kind: "duration" },
  "--stale-node-threshold": { key: "staleNodeThresholdMs", kind: "duration" },
  "--max-body-bytes": { key: "maxBodyBytes", kind: "int" },
  "--cors-origin": { key: "corsOrigins", kind: "list" },
  "--max-nodes-per-topology": { key: "maxNodesPerTopology", kind: "int" },
  "--ui-assets": { key: "uiAssetsDir", kind: "string" }
}

const envToFlag: Record<string, string> = {
  APP_HOST: "--host",
  APP_PORT: "--port",
  APP_TOKEN: "--token",
  MAX_DATA_AGE: "--max-data-age",
  CLEANUP_INTERVAL: "--cleanup-interval",
  STALE_NODE_THRESHOLD: "--stale-node-threshold"
}

/**
 * The flags {@link fromArgs} understands, for `--help` output.
 *
 * @since 0.1.0
 * @category constants
 */
export const flags: ReadonlyArray<string> = Object.keys(flagToKey)

/**
 * Builds a config from environment variables (`APP_HOST`, `APP_PORT`, `APP_TOKEN`, `MAX_DATA_AGE`,
 * `CLEANUP_INTERVAL`, `STALE_NODE_THRESHOLD`) then flags (`--port 8080` or `--port=8080`), flags winning.
 * Unknown flags are returned in `rest` for the host to handle.
 *
 * @since 0.1.0
 * @category parsers
 */
export const fromArgs = (
  args: ReadonlyArray<string>,
  env: Readonly<Record<string, string | undefined>> = {},
  base: AppServerConfig = defaults
): { config: AppServerConfig; rest: ReadonlyArray<string> } | ConfigError => {
  const parsed = Flags.parse(flagToKey, args, env, envToFlag)
  if (parsed instanceof ConfigError) return parsed
  const decoded = validate({ ...base, ...parsed.values })
  return decoded instanceof ConfigError ? Flags.blameSource(decoded, parsed) : { config: decoded, rest: parsed.rest }
}

const validate = (input: unknown): AppServerConfig | ConfigError => {
  const decoded = Schema.decodeUnknownExit(AppServerConfig)(input)
  if (decoded._tag === "Success") return decoded.value
  const message = formatDecodeFailure(decoded)
  const field = /at \["([^"]+)"\]/.exec(message)?.[1]
  return new ConfigError({
    setting: field ?? "config",
    reason: message.replace(/\s*at \[.*$/, "")
  })
}

/**
 * Validates a config (from code, a file or flags); fails with a `ConfigError` naming the setting.
 *
 * @since 0.1.0
 * @category parsers
 */
export const decodeConfig = (input: unknown): Effect.Effect<AppServerConfig, ConfigError> => {
  const result = validate(input)
  return result instanceof ConfigError ? Effect.fail(result) : Effect.succeed(result)
}
