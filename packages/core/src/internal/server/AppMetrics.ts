import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client"

/** The app's Prometheus metrics, in a registry of its own (several apps can live in one process). */
export class AppMetrics {
  readonly registry = new Registry()
  readonly reports = new Counter({
    name: "orchestrator_reports_total",
    help: "Reports received, by result (accepted, duplicate, resync, rejected)",
    labelNames: ["result"] as const,
    registers: [this.registry]
  })
  readonly reportBytes = new Histogram({
    name: "orchestrator_report_bytes",
    help: "Size of received report bodies as sent (compressed when gzip)",
    buckets: [1e3, 1e4, 1e5, 1e6, 4e6, 16e6],
    registers: [this.registry]
  })
  readonly ingestSeconds = new Histogram({
    name: "orchestrator_ingest_seconds",
    help: "Time to decode and apply one report",
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5],
    registers: [this.registry]
  })
  readonly renderSeconds = new Histogram({
    name: "orchestrator_render_seconds",
    help: "Time to render a view (cache misses only)",
    labelNames: ["view"] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 1, 5],
    registers: [this.registry]
  })

  readonly flushSeconds = new Histogram({
    name: "orchestrator_websocket_flush_seconds",
    help: "Time to render, diff and send the deltas of every subscribed view once",
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registers: [this.registry]
  })
  readonly clientsDropped = new Counter({
    name: "orchestrator_websocket_clients_dropped_total",
    help: "WebSocket clients dropped because they did not read their deltas",
    registers: [this.registry]
  })

  constructor(sources: {
    readonly nodes: () => Readonly<Record<string, number>>
    readonly probes: () => number
    readonly clients: () => number
    readonly series: () => number
  }) {
    new Gauge({
      name: "orchestrator_nodes",
      help: "Nodes in the merged report, by topology",
      labelNames: ["topology"] as const,
      registers: [this.registry],
      collect() {
        this.reset()
        for (const [topology, count] of Object.entries(sources.nodes())) this.set({ topology }, count)
      }
    })
    new Gauge({
      name: "orchestrator_probes",
      help: "Probes contributing to the merged report",
      registers: [this.registry],
      collect() {
        this.set(sources.probes())
      }
    })
    new Gauge({
      name: "orchestrator_websocket_clients",
      help: "Connected UI WebSocket clients",
      registers: [this.registry],
      collect() {
        this.set(sources.clients())
      }
    })
    new Gauge({
      name: "orchestrator_timeseries_series",
      help: "Series held by the time-series store",
      registers: [this.registry],
      collect() {
        this.set(sources.series())
      }
    })
    collectDefaultMetrics({ register: this.registry, prefix: "orchestrator_app_" })
  }
}
