import { AgentMetrics, type Store, toMetricSeries } from "../../TimeSeriesStore.js"
import type { SeriesFacade } from "./AppContext.js"

/** The time-series queries the API serves. */
export const makeSeriesFacade = (store: Store): SeriesFacade => ({
  node: (nodeId, metric, from, to) => {
    const options = { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) }
    const windows =
      metric === undefined
        ? store.queryNode(nodeId, options)
        : [store.query(nodeId, metric, options)].filter((w) => w !== undefined)
    return { nodeId, series: windows.map((window) => toMetricSeries(window)) }
  },
  agent: (agentId) => {
    const latest = store.latestForAgent(agentId)
    if (latest === undefined) return undefined
    return {
      latest,
      series: Object.values(AgentMetrics)
        .map((metric) => store.queryAgent(agentId, metric))
        .filter((w) => w !== undefined)
    }
  },
  stats: () => {
    const s = store.stats()
    return {
      series: s.series,
      nodes: s.nodes,
      agents: s.agents,
      bytes: s.bytes,
      droppedSeries: s.droppedSeries,
      maxSeries: s.maxSeries
    }
  }
})
