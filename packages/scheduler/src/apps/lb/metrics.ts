/**
 * The load balancer's Prometheus metrics (text exposition format 0.0.4), per service and backend.
 *
 * @since 0.1.0
 */
import type { ServiceStats } from "./Stats.js"

const escapeLabel = (value: string): string => value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")

const labels = (entries: Record<string, string | number>): string =>
  `{${Object.entries(entries)
    .map(([k, v]) => `${k}="${escapeLabel(String(v))}"`)
    .join(",")}}`

const p = "orchestrator_lb"

type Family<A> = {
  readonly name: string
  readonly type: "gauge" | "counter"
  readonly help: string
  readonly value: (a: A) => number
  /** Rows that have this series (default all). */
  readonly when?: (a: A) => boolean
}

type Counted = Pick<ServiceStats, "active" | "total" | "failed" | "bytesIn" | "bytesOut">

const shared: ReadonlyArray<Omit<Family<Counted>, "name"> & { readonly suffix: string }> = [
  {
    suffix: "active",
    type: "gauge",
    help: "Open connections (tcp) or requests in flight (http).",
    value: (c) => c.active
  },
  {
    suffix: "requests_total",
    type: "counter",
    help: "Connections (tcp) or requests (http) taken.",
    value: (c) => c.total
  },
  { suffix: "failed_total", type: "counter", help: "Connections or requests that failed.", value: (c) => c.failed },
  { suffix: "bytes_in_total", type: "counter", help: "Bytes received from clients.", value: (c) => c.bytesIn },
  { suffix: "bytes_out_total", type: "counter", help: "Bytes sent to clients.", value: (c) => c.bytesOut }
]

type BackendRow = ServiceStats["backends"][number]

/** A counter of each service. */
const serviceCounter = (suffix: string, help: string, value: (s: ServiceStats) => number): Family<ServiceStats> => ({
  name: `${p}_service_${suffix}`,
  type: "counter",
  help,
  value
})

const serviceFamilies: ReadonlyArray<Family<ServiceStats>> = [
  ...shared.map((f) => ({ ...f, name: `${p}_service_${f.suffix}` })),
  {
    name: `${p}_service_backends`,
    type: "gauge",
    help: "Backends taking new traffic.",
    value: (s) => s.backends.filter((b) => b.state !== "draining" && b.weight > 0).length
  },
  serviceCounter("no_backend_total", "Clients turned away for lack of a backend.", (s) => s.noBackend),
  serviceCounter("retries_total", "Connections or requests retried on another backend.", (s) => s.retried),
  serviceCounter("idle_timeouts_total", "Proxied connections cut after the idle timeout.", (s) => s.idleTimeouts),
  serviceCounter("over_limit_total", "Clients refused at the service port's connection limit.", (s) => s.overLimit)
]

const backendFamilies: ReadonlyArray<Family<BackendRow>> = [
  ...shared.map((f) => ({ ...f, name: `${p}_backend_${f.suffix}` })),
  { name: `${p}_backend_weight`, type: "gauge", help: "Effective weight of a backend.", value: (b) => b.weight },
  {
    name: `${p}_backend_up`,
    type: "gauge",
    help: "1 when a backend takes new traffic (not down, not draining, weight > 0).",
    value: (b) => (b.state === "up" && b.weight > 0 ? 1 : 0)
  },
  {
    name: `${p}_backend_upstream_undici`,
    type: "gauge",
    help: "HTTP mode: 1 when requests go over undici (the backend keeps connections alive), 0 over node:http (it closes them).",
    value: (b) => (b.upstream === "undici" ? 1 : 0),
    when: (b) => b.upstream !== undefined
  }
]

/**
 * Renders the counters of every service (series labelled `service`, `port`, `mode` and, per backend,
 * `backend` and `address`).
 *
 * @since 0.1.0
 * @category formatting
 */
export const render = (services: ReadonlyArray<ServiceStats>): string => {
  const out: Array<string> = []
  const header = (f: Family<never>) => out.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`)
  for (const f of serviceFamilies) {
    header(f)
    for (const s of services)
      out.push(`${f.name}${labels({ service: s.name, port: s.servicePort, mode: s.mode })} ${f.value(s)}`)
  }
  for (const f of backendFamilies) {
    header(f)
    for (const s of services)
      for (const b of s.backends)
        if (f.when?.(b) !== false)
          out.push(
            `${f.name}${labels({ service: s.name, port: s.servicePort, backend: b.id, address: `${b.host}:${b.port}` })} ${f.value(b)}`
          )
  }
  return `${out.join("\n")}\n`
}
