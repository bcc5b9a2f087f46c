/**
 * The registry of agents (probes): registration, heartbeats and per-agent configuration, bounded in size.
 *
 * @since 0.1.0
 */
import { randomUUID } from "node:crypto"
import { Schema } from "effect"
import {
  type AgentConfig,
  type AgentConfigPatch,
  type AgentInfo,
  applyPatch,
  defaultAgentConfig,
  type RegisterRequest
} from "./AgentConfig.js"
import type { ControlDescription } from "./NodeDetails.js"

/**
 * Raised for an agent id the app does not know.
 *
 * @since 0.1.0
 * @category errors
 */
export class UnknownAgent extends Schema.TaggedError<UnknownAgent>()("UnknownAgent", {
  agentId: Schema.String
}) {
  override get message(): string {
    return `unknown agent "${this.agentId}": register first with POST /api/v1/agents/register`
  }
}

/**
 * Raised when the registry is full.
 *
 * @since 0.1.0
 * @category errors
 */
export class TooManyAgents extends Schema.TaggedError<TooManyAgents>()("TooManyAgents", {
  limit: Schema.Int
}) {
  override get message(): string {
    return `too many agents: the limit is ${this.limit}`
  }
}

interface Entry {
  info: AgentInfo
  config: AgentConfig
  controls: ReadonlyArray<ControlDescription>
}

/**
 * Agents by id. Plain and synchronous: the app server wraps it.
 *
 * @since 0.1.0
 * @category models
 */
export class AgentRegistry {
  private readonly agents = new Map<string, Entry>()

  /**
   * @param maxAgents the most agents the registry holds (registration beyond it fails).
   * @param defaults the configuration a newly registered agent gets.
   */
  constructor(
    readonly maxAgents: number = 10_000,
    private readonly defaults: AgentConfig = defaultAgentConfig
  ) {}

  /** Registers (or re-registers) an agent and returns its id and configuration. */
  register(request: RegisterRequest, now: number): { agentId: string; config: AgentConfig } | TooManyAgents {
    const agentId = request.agentId ?? randomUUID()
    const existing = this.agents.get(agentId)
    if (existing === undefined && this.agents.size >= this.maxAgents)
      return new TooManyAgents({ limit: this.maxAgents })
    const config =
      existing?.config ??
      (request.config === undefined
        ? this.defaults
        : { ...applyPatch(this.defaults, request.config), configVersion: 1 })
    this.agents.set(agentId, {
      config,
      controls: request.controls ?? existing?.controls ?? [],
      info: {
        agentId,
        hostname: request.hostname,
        version: request.version,
        registeredAt: existing?.info.registeredAt ?? now,
        lastHeartbeat: now,
        lastReport: existing?.info.lastReport ?? null,
        connected: existing?.info.connected ?? false,
        configVersion: config.configVersion
      }
    })
    return { agentId, config }
  }

  /** The controls the agent said it can execute when it registered. */
  controls(agentId: string): ReadonlyArray<ControlDescription> {
    return this.agents.get(agentId)?.controls ?? []
  }

  /** Whether the agent is registered. */
  has(agentId: string): boolean {
    return this.agents.has(agentId)
  }

  /** Records a heartbeat. */
  heartbeat(agentId: string, now: number): AgentConfig | UnknownAgent {
    const entry = this.agents.get(agentId)
    if (entry === undefined) return new UnknownAgent({ agentId })
    entry.info = { ...entry.info, lastHeartbeat: now }
    return entry.config
  }

  /** Records that a report from the agent was accepted. */
  reported(agentId: string, now: number): void {
    const entry = this.agents.get(agentId)
    if (entry !== undefined) entry.info = { ...entry.info, lastReport: now, lastHeartbeat: now }
  }

  /** Records whether the agent's control channel is open. */
  setConnected(agentId: string, connected: boolean): void {
    const entry = this.agents.get(agentId)
    if (entry !== undefined) entry.info = { ...entry.info, connected }
  }

  /** The agent's configuration. */
  config(agentId: string): AgentConfig | UnknownAgent {
    return this.agents.get(agentId)?.config ?? new UnknownAgent({ agentId })
  }

  /** Changes the agent's configuration; the probe picks it up at its next heartbeat. */
  updateConfig(agentId: string, patch: AgentConfigPatch): AgentConfig | UnknownAgent {
    const entry = this.agents.get(agentId)
    if (entry === undefined) return new UnknownAgent({ agentId })
    entry.config = applyPatch(entry.config, patch)
    entry.info = { ...entry.info, configVersion: entry.config.configVersion }
    return entry.config
  }

  /** Forgets an agent. */
  remove(agentId: string): boolean {
    return this.agents.delete(agentId)
  }

  /** Forgets agents not heard from (no heartbeat, report or open control channel) since `cutoff`. */
  expire(cutoff: number): ReadonlyArray<string> {
    const expired: Array<string> = []
    for (const [agentId, entry] of this.agents) {
      const last = Math.max(entry.info.lastHeartbeat, entry.info.lastReport ?? 0)
      if (!entry.info.connected && last < cutoff) {
        this.agents.delete(agentId)
        expired.push(agentId)
      }
    }
    return expired
  }

  /** Every agent, oldest registration first. */
  list(): ReadonlyArray<AgentInfo> {
    return [...this.agents.values()].map((e) => e.info)
  }

  /** How many agents are registered. */
  get size(): number {
    return this.agents.size
  }
}
