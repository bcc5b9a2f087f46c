/**
 * The agent (probe) configuration contract: served by the app at `GET /api/v1/agents/config/:agent_id`,
 * changed with `PUT` on the same path, and applied by a probe without restarting (the heartbeat answer
 * carries `configVersion`; a probe refetches when it grows).
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { ControlDescription } from "./NodeDetails.js"

/**
 * One collector's settings.
 *
 * @since 0.1.0
 * @category models
 */
export const CollectorConfig = Schema.Struct({
  enabled: Schema.Boolean,
  /** Collector-specific options, validated by the collector's own options Schema. */
  options: Schema.optionalKey(Schema.Record(Schema.String, Schema.Unknown))
})

/**
 * @since 0.1.0
 * @category models
 */
export type CollectorConfig = typeof CollectorConfig.Type

/**
 * A probe's configuration.
 *
 * @since 0.1.0
 * @category models
 */
export const AgentConfig = Schema.Struct({
  /** Grows on every change; probes compare it to decide whether to refetch. */
  configVersion: Schema.Int,
  /** Collection and publish interval in ms (default 15,000). */
  intervalMs: Schema.Int.check(Schema.isGreaterThanOrEqualTo(100)),
  /** Send a full report every N publishes, deltas in between (default 10; 1 means always full). */
  fullReportEvery: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)),
  /** Collectors by name; a collector not listed keeps its default. */
  collectors: Schema.Record(Schema.String, CollectorConfig),
  /** Whether the probe executes control requests. */
  controlsEnabled: Schema.Boolean
})

/**
 * @since 0.1.0
 * @category models
 */
export type AgentConfig = typeof AgentConfig.Type

/**
 * A partial update of a probe's configuration (`PUT /api/v1/agents/config/:agent_id`).
 *
 * @since 0.1.0
 * @category models
 */
export const AgentConfigPatch = Schema.Struct({
  intervalMs: Schema.optionalKey(AgentConfig.fields.intervalMs),
  fullReportEvery: Schema.optionalKey(AgentConfig.fields.fullReportEvery),
  collectors: Schema.optionalKey(AgentConfig.fields.collectors),
  controlsEnabled: Schema.optionalKey(Schema.Boolean)
})

/**
 * @since 0.1.0
 * @category models
 */
export type AgentConfigPatch = typeof AgentConfigPatch.Type

/**
 * The configuration a probe gets before anyone changed it.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultAgentConfig: AgentConfig = {
  configVersion: 1,
  intervalMs: 15_000,
  fullReportEvery: 10,
  collectors: {},
  controlsEnabled: true
}

/**
 * Applies a patch, bumping `configVersion`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const applyPatch = (config: AgentConfig, patch: AgentConfigPatch): AgentConfig => ({
  configVersion: config.configVersion + 1,
  intervalMs: patch.intervalMs ?? config.intervalMs,
  fullReportEvery: patch.fullReportEvery ?? config.fullReportEvery,
  collectors: patch.collectors ? { ...config.collectors, ...patch.collectors } : config.collectors,
  controlsEnabled: patch.controlsEnabled ?? config.controlsEnabled
})

/**
 * `POST /api/v1/agents/register` body.
 *
 * @since 0.1.0
 * @category models
 */
export const RegisterRequest = Schema.Struct({
  /** A stable id the probe chose (e.g. from its host id); the app assigns one when omitted. */
  agentId: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(200))),
  hostname: Schema.String.check(Schema.isMaxLength(255)),
  version: Schema.String,
  /** Collector names the probe has. */
  collectors: Schema.optionalKey(Schema.Array(Schema.String)),
  /** The controls the probe can execute (nodes name them by id in `controls`). */
  controls: Schema.optionalKey(Schema.Array(ControlDescription)),
  /**
   * The probe's own settings (from its flags). A newly registered agent's configuration starts from them
   * (still `configVersion` 1); later changes through the API win over them.
   */
  config: Schema.optionalKey(AgentConfigPatch)
})

/**
 * @since 0.1.0
 * @category models
 */
export type RegisterRequest = typeof RegisterRequest.Type

/**
 * `POST /api/v1/agents/register` answer.
 *
 * @since 0.1.0
 * @category models
 */
export const RegisterResponse = Schema.Struct({
  agentId: Schema.String,
  config: AgentConfig
})

/**
 * `POST /api/v1/agents/heartbeat/:agent_id` answer.
 *
 * @since 0.1.0
 * @category models
 */
export const HeartbeatResponse = Schema.Struct({
  ok: Schema.Boolean,
  configVersion: Schema.Int,
  /** The next sequence number the app expects, so a probe knows to send a full report. */
  expectedSeq: Schema.NullOr(Schema.Int)
})

/**
 * One registered agent, as `GET /api/v1/agents/list` lists it.
 *
 * @since 0.1.0
 * @category models
 */
export const AgentInfo = Schema.Struct({
  agentId: Schema.String,
  hostname: Schema.String,
  version: Schema.String,
  registeredAt: Schema.Finite,
  lastHeartbeat: Schema.Finite,
  lastReport: Schema.NullOr(Schema.Finite),
  connected: Schema.Boolean,
  configVersion: Schema.Int
})

/**
 * @since 0.1.0
 * @category models
 */
export type AgentInfo = typeof AgentInfo.Type
