/**
 * Small measuring and printing helpers for the app benchmark: wall and CPU clocks, medians and percentiles,
 * the results table and the machine-readable `bench app ...` lines.
 *
 * @since 0.1.0
 */

/** CPU time of this process (all threads, user + system) in ms. */
export const cpuMs = (): number => {
  const usage = process.cpuUsage()
  return (usage.user + usage.system) / 1000
}

/** Wall and CPU time of a synchronous call. */
export const measure = <A>(f: () => A): { readonly ms: number; readonly cpuMs: number; readonly value: A } => {
  const cpu = cpuMs()
  const start = performance.now()
  const value = f()
  return { ms: performance.now() - start, cpuMs: cpuMs() - cpu, value }
}

/** Wall and CPU time of an asynchronous call. */
export const measureAsync = async <A>(
  f: () => Promise<A>
): Promise<{ readonly ms: number; readonly cpuMs: number; readonly value: A }> => {
  const cpu = cpuMs()
  const start = performance.now()
  const value = await f()
  return { ms: performance.now() - start, cpuMs: cpuMs() - cpu, value }
}

/** The value at quantile `q` (0..1) of `values` (nearest rank); `NaN` when empty. */
export const quantile = (values: ReadonlyArray<number>, q: number): number => {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[rank]!
}

/** The median of `values`. */
export const median = (values: ReadonlyArray<number>): number => quantile(values, 0.5)

/** A number with a precision that suits its size (whole numbers as they are). */
export const fmt = (value: number, digits?: number): string => {
  if (!Number.isFinite(value) || Number.isInteger(value)) return String(value)
  if (digits !== undefined) return value.toFixed(digits)
  const abs = Math.abs(value)
  return abs >= 100 ? value.toFixed(0) : abs >= 10 ? value.toFixed(1) : value.toFixed(2)
}

/** Bytes in MB (10^6). */
export const mb = (bytes: number): number => bytes / 1e6

/** Key/value pairs of one result. */
export type Fields = Readonly<Record<string, string | number | boolean>>

/** One machine-readable result line: `bench <bench> result=<key> k=v ...` (numbers rounded sensibly). */
export const benchLine = (key: string, fields: Fields, bench = "app"): string => {
  const parts = [`bench ${bench} result=${key}`]
  for (const name in fields) {
    const value = fields[name]!
    parts.push(`${name}=${typeof value === "number" ? fmt(value) : String(value)}`)
  }
  return parts.join(" ")
}

/** One row of the results table. */
export interface Row {
  readonly measure: string
  readonly value: string
  readonly target: string
  readonly baseline: string
  readonly ratio: string
}

/** Renders rows as a Markdown table (also readable in a terminal). */
export const table = (rows: ReadonlyArray<Row>): string => {
  const headers: Row = {
    measure: "measure",
    value: "value",
    target: "target",
    baseline: "baseline",
    ratio: "× baseline"
  }
  const keys = ["measure", "value", "target", "baseline", "ratio"] as const
  const widths = keys.map((k) => Math.max(headers[k].length, ...rows.map((r) => r[k].length)))
  const line = (r: Row) =>
    `| ${keys.map((k, i) => (i === 0 ? r[k].padEnd(widths[i]!) : r[k].padStart(widths[i]!))).join(" | ")} |`
  const rule = `|${widths.map((w, i) => (i === 0 ? `${"-".repeat(w + 1)}-` : `${"-".repeat(w + 1)}:`)).join("|")}|`
  return [line(headers), rule, ...rows.map(line)].join("\n")
}

/** `ok` / `MISSED` against a target (`lower`: the value must stay below it). */
export const verdict = (value: number, target: number): string => (value < target ? "ok" : "MISSED")
