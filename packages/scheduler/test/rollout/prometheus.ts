/**
 * A private Prometheus for the rollout tests: a small exporter on loopback (metrics the test sets) and
 * Debian's `prometheus` scraping it every second from a temporary folder. Start it once per file.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { freePorts, spawnDetached, terminate, waitFor } from "../../../../test/fixtures/process.js"

/** Where Debian's package installs the server. */
export const prometheusBinary = "/usr/bin/prometheus"

/** The message a CI run fails with when the package is missing. */
export const missingMessage = "install Debian's prometheus package (scripts/provision.sh)"

/** Whether the tests can run here: the binary exists, or CI (where a missing binary must fail). */
export const prometheusAvailable = (): boolean => existsSync(prometheusBinary) || process.env.CI === "true"

/** A running exporter and Prometheus. */
export interface PrivatePrometheus {
  readonly url: string
  /** Sets a sample the exporter serves: `name{labels} value` (value may be NaN). */
  readonly set: (series: string, value: number) => void
  /** Waits until Prometheus has scraped `series` with `value` (instant query). */
  readonly waitForValue: (query: string, predicate: (values: ReadonlyArray<number>) => boolean) => Promise<void>
  readonly stop: () => Promise<void>
}

/** Starts the exporter and Prometheus, and waits until the exporter's target is up with data. */
export const startPrometheus = async (): Promise<PrivatePrometheus> => {
  if (!existsSync(prometheusBinary)) throw new Error(missingMessage)
  const series = new Map<string, number>()
  const exporter = http.createServer((req, res) => {
    if (req.url !== "/metrics") {
      res.writeHead(404).end()
      return
    }
    const lines = [...series].map(([name, value]) => `${name} ${Number.isNaN(value) ? "NaN" : value}`)
    res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4" }).end(`${lines.join("\n")}\n`)
  })
  await new Promise<void>((resolve) => exporter.listen(0, "127.0.0.1", resolve))
  const exporterPort = (exporter.address() as AddressInfo).port
  const [port] = await freePorts(1)
  const dir = mkdtempSync(join(tmpdir(), "orch-prometheus-"))
  writeFileSync(
    join(dir, "prometheus.yml"),
    [
      "global:",
      "  scrape_interval: 1s",
      "  evaluation_interval: 1s",
      "scrape_configs:",
      "  - job_name: exporter",
      "    static_configs:",
      `      - targets: ["127.0.0.1:${exporterPort}"]`,
      ""
    ].join("\n")
  )
  const pid = spawnDetached(
    prometheusBinary,
    [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn"
    ],
    { logPath: join(dir, "prometheus.log") }
  )
  const url = `http://127.0.0.1:${port}`
  const instant = async (query: string): Promise<Array<number> | undefined> => {
    try {
      const response = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query })}`)
      if (!response.ok) return undefined
      const body = (await response.json()) as { data?: { result?: Array<{ value: [number, string] }> } }
      return (body.data?.result ?? []).map((r) => Number(r.value[1]))
    } catch {
      return undefined
    }
  }
  const stop = async () => {
    await terminate(pid)
    await new Promise((resolve) => exporter.close(resolve))
    rmSync(dir, { recursive: true, force: true })
  }
  const waitForValue = async (query: string, predicate: (values: ReadonlyArray<number>) => boolean) => {
    await waitFor(
      async () => {
        const values = await instant(query)
        return values !== undefined && predicate(values) ? true : undefined
      },
      {
        timeoutMs: 30_000,
        intervalMs: 200,
        describe: () => `Prometheus at ${url} to answer ${query} (log: ${dir}/prometheus.log)`
      }
    )
  }
  series.set('orch_up_marker{instance_label="x"}', 1)
  try {
    await waitForValue('up{job="exporter"}', (values) => values[0] === 1)
    await waitForValue("orch_up_marker", (values) => values[0] === 1)
  } catch (e) {
    await stop()
    throw e
  }
  return { url, set: (name, value) => series.set(name, value), waitForValue, stop }
}
