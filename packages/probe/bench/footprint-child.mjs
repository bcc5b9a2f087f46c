// Runs the bundled probe CLI in this process and, when it exits, prints what this process used, measured by
// Node itself (process.cpuUsage / process.resourceUsage / process.memoryUsage).
import { fileURLToPath } from "node:url"

const main = fileURLToPath(new URL("../../../examples/probe/dist/main.js", import.meta.url))
const started = process.hrtime.bigint()
process.on("exit", () => {
  const cpu = process.cpuUsage()
  const usage = process.resourceUsage()
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6
  process.stderr.write(
    `FOOTPRINT ${JSON.stringify({ userUs: cpu.user, systemUs: cpu.system, maxRssKb: usage.maxRSS, rssBytes: process.memoryUsage().rss, heapUsedBytes: process.memoryUsage().heapUsed, wallMs })}\n`
  )
})
await import(main)
