/**
 * The master's Prometheus metrics (text exposition format 0.0.4).
 *
 * @since 0.1.0
 */
import * as Resources from "../Resources.js"
import { TaskState } from "../Task.js"
import type { MasterState } from "./MasterState.js"

const line = (name: string, value: number, labels: Record<string, string> = {}): string => {
  const entries = Object.entries(labels)
  const text =
    entries.length === 0 ? "" : `{${entries.map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, "_")}"`).join(",")}}`
  return `${name}${text} ${Number.isFinite(value) ? value : 0}`
}

const metric = (name: string, type: "gauge" | "counter", help: string, lines: ReadonlyArray<string>): string =>
  [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...lines].join("\n")

/**
 * Renders the metrics of a master (`state` is `undefined` when it does not lead).
 *
 * @since 0.1.0
 * @category formatting
 */
export const render = (leading: boolean, state: MasterState | undefined): string => {
  const p = "orchestrator_master"
  const parts = [metric(`${p}_leader`, "gauge", "1 when this master leads.", [line(`${p}_leader`, leading ? 1 : 0)])]
  if (state !== undefined) {
    const agents = [...state.agents.keys()].map((id) => state.agentView(id)!)
    const active = agents.filter((agent) => agent.active)
    const total = Resources.quantities(
      active.reduce((sum, agent) => Resources.add(sum, agent.resources), Resources.empty)
    )
    const used = Resources.quantities(active.reduce((sum, agent) => Resources.add(sum, agent.used), Resources.empty))
    const names = [...new Set([...Resources.scalarNames, ...Object.keys(total)])]
    const byState = new Map<string, number>(TaskState.literals.map((s) => [s, 0]))
    for (const status of state.taskList()) byState.set(status.state, (byState.get(status.state) ?? 0) + 1)
    const c = state.counters
    parts.push(
      metric(`${p}_agents`, "gauge", "Registered agents by activity.", [
        line(`${p}_agents`, active.length, { state: "active" }),
        line(`${p}_agents`, agents.length - active.length, { state: "inactive" })
      ]),
      metric(`${p}_frameworks`, "gauge", "Registered frameworks.", [line(`${p}_frameworks`, state.frameworks.size)]),
      metric(`${p}_offers_outstanding`, "gauge", "Offers not yet accepted or declined.", [
        line(`${p}_offers_outstanding`, state.offers.size)
      ]),
      metric(
        `${p}_tasks`,
        "gauge",
        "Known tasks by state.",
        [...byState].map(([s, n]) => line(`${p}_tasks`, n, { state: s }))
      ),
      metric(
        `${p}_resources_total`,
        "gauge",
        "Resources of active agents.",
        names.map((name) => line(`${p}_resources_total`, total[name] ?? 0, { resource: name }))
      ),
      metric(
        `${p}_resources_used`,
        "gauge",
        "Resources allocated (offered or used by tasks).",
        names.map((name) => line(`${p}_resources_used`, used[name] ?? 0, { resource: name }))
      ),
      metric(`${p}_tasks_launched_total`, "counter", "Tasks sent to agents.", [
        line(`${p}_tasks_launched_total`, c.tasksLaunched)
      ]),
      metric(`${p}_status_updates_total`, "counter", "Task status updates from agents.", [
        line(`${p}_status_updates_total`, c.statusUpdates)
      ]),
      metric(`${p}_offers_total`, "counter", "Offers made.", [line(`${p}_offers_total`, c.offersMade)]),
      metric(`${p}_offers_declined_total`, "counter", "Offers declined.", [
        line(`${p}_offers_declined_total`, c.offersDeclined)
      ]),
      metric(`${p}_allocation_cycles_total`, "counter", "Allocation cycles run.", [
        line(`${p}_allocation_cycles_total`, c.allocationCycles)
      ]),
      metric(`${p}_agents_lost_total`, "counter", "Agents marked lost for missing heartbeats.", [
        line(`${p}_agents_lost_total`, c.agentsLost)
      ])
    )
  }
  return `${parts.join("\n")}\n`
}
