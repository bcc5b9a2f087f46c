/** The provider part of a metric: Argo's `prometheus` and `web`, plus our `timeSeries` and `function` (internal). */
import type { Fields } from "./fields.js"

/** A Prometheus query; `range` makes it a range query (`/api/v1/query_range`). */
export interface PrometheusSpec {
  readonly type: "prometheus"
  readonly address: string
  readonly query: string
  readonly timeoutMs: number
  readonly headers: ReadonlyArray<{ readonly key: string; readonly value: string }>
  /** Start and end as offsets back from now in ms (Argo's `now() - duration("5m")`), step in ms. */
  readonly range?: { readonly startAgoMs: number; readonly endAgoMs: number; readonly stepMs: number }
}

/** An HTTP call whose JSON answer is picked by `jsonPath`. */
export interface WebSpec {
  readonly type: "web"
  readonly url: string
  readonly method: "GET" | "POST" | "PUT"
  readonly headers: ReadonlyArray<{ readonly key: string; readonly value: string }>
  readonly body?: string
  readonly jsonPath?: string
  readonly timeoutMs: number
}

/** A metric of the core time-series store, over a trailing window. */
export interface TimeSeriesSpec {
  readonly type: "timeSeries"
  readonly nodeId: string
  readonly metric: string
  readonly windowMs: number
  readonly aggregate: "latest" | "avg" | "min" | "max" | "values"
}

/** A function registered by name with the analysis (library users' own measurements). */
export interface FunctionProviderSpec {
  readonly type: "function"
  readonly name: string
  readonly timeoutMs: number
}

/** The provider of a metric. */
export type ProviderSpec = PrometheusSpec | WebSpec | TimeSeriesSpec | FunctionProviderSpec

const supported = ["prometheus", "web", "timeSeries", "function"]

/** Reads the `provider` object of a metric: exactly one provider. */
export const readProvider = (provider: Fields): ProviderSpec => {
  const present = Object.keys(provider.raw).filter((k) => provider.has(k))
  if (present.length !== 1) {
    return provider.fail("", `must name exactly one provider (${supported.join(", ")}), got ${present.length}`)
  }
  const type = present[0]!
  const spec = provider.object(type)!
  switch (type) {
    case "prometheus":
      return readPrometheus(spec)
    case "web":
      return readWeb(spec)
    case "timeSeries":
      return {
        type: "timeSeries",
        nodeId: spec.requiredString("nodeId"),
        metric: spec.requiredString("metric"),
        windowMs: spec.duration("window") ?? 60_000,
        aggregate: oneOf(spec, "aggregate", ["latest", "avg", "min", "max", "values"] as const) ?? "latest"
      }
    case "function":
      return {
        type: "function",
        name: spec.requiredString("name"),
        timeoutMs: (spec.int("timeoutSeconds", 1) ?? 30) * 1000
      }
    default:
      return provider.fail(type, `provider "${type}" is not supported here (supported: ${supported.join(", ")})`)
  }
}

const readHeaders = (spec: Fields): Array<{ key: string; value: string }> =>
  (spec.array("headers") ?? []).map((raw, i) => {
    const item = raw as Record<string, unknown> | null
    if (typeof item !== "object" || item === null || typeof item.key !== "string" || item.key === "") {
      return spec.fail(`headers[${i}]`, "must be { key, value }")
    }
    return { key: item.key, value: typeof item.value === "string" ? item.value : String(item.value ?? "") }
  })

const readUrl = (spec: Fields, field: string): string => {
  const url = spec.requiredString(field)
  const protocol = URL.canParse(url) ? new URL(url).protocol : undefined
  if (protocol === undefined) return spec.fail(field, `must be a URL, got "${url}"`)
  if (protocol !== "http:" && protocol !== "https:") spec.fail(field, `must be an http(s) URL, got "${url}"`)
  return url
}

const readPrometheus = (spec: Fields): PrometheusSpec => {
  const address = readUrl(spec, "address")
  const query = spec.requiredString("query")
  const timeoutMs = (spec.int("timeout", 1) ?? 30) * 1000
  const headers = readHeaders(spec)
  const rangeQuery = spec.object("rangeQuery")
  if (rangeQuery === undefined) return { type: "prometheus", address, query, timeoutMs, headers }
  const ago = (field: string): number => {
    const text = rangeQuery.requiredString(field).replace(/\s+/g, "")
    if (text === "now()") return 0
    const match = /^now\(\)-duration\(["']([^"']+)["']\)$/.exec(text)
    const ms = match === null ? undefined : parseGo(match[1]!)
    if (ms === undefined) return rangeQuery.fail(field, `must be now() or now() - duration("5m"), got "${text}"`)
    return ms
  }
  const startAgoMs = ago("start")
  const endAgoMs = ago("end")
  const stepMs = rangeQuery.duration("step") ?? rangeQuery.fail("step", "is required")
  if (stepMs <= 0) rangeQuery.fail("step", "must be greater than 0")
  if (startAgoMs < endAgoMs) rangeQuery.fail("start", "must be before end")
  return { type: "prometheus", address, query, timeoutMs, headers, range: { startAgoMs, endAgoMs, stepMs } }
}

const readWeb = (spec: Fields): WebSpec => {
  const url = readUrl(spec, "url")
  const method = oneOf(spec, "method", ["GET", "POST", "PUT"] as const) ?? "GET"
  const timeoutMs = (spec.int("timeoutSeconds", 1) ?? 10) * 1000
  const headers = readHeaders(spec)
  const jsonPath = spec.string("jsonPath")
  let body = spec.string("body")
  if (spec.has("jsonBody")) {
    if (body !== undefined) spec.fail("jsonBody", "cannot be combined with body")
    body = JSON.stringify(spec.raw.jsonBody)
    if (!headers.some((h) => h.key.toLowerCase() === "content-type"))
      headers.push({ key: "Content-Type", value: "application/json" })
  }
  if (body !== undefined && method === "GET") spec.fail("body", "needs method POST or PUT")
  return {
    type: "web",
    url,
    method,
    headers,
    timeoutMs,
    ...(body === undefined ? {} : { body }),
    ...(jsonPath === undefined || jsonPath === "" ? {} : { jsonPath })
  }
}

const oneOf = <const T extends string>(spec: Fields, field: string, allowed: ReadonlyArray<T>): T | undefined => {
  const v = spec.string(field)
  if (v === undefined) return undefined
  const match = allowed.find((a) => a.toLowerCase() === v.toLowerCase())
  return match ?? spec.fail(field, `must be one of ${allowed.join(", ")}, got "${v}"`)
}

const parseGo = (text: string): number | undefined => {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(text)
  if (match === null) return undefined
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as "ms" | "s" | "m" | "h" | "d"]
  return Number(match[1]) * unit
}
