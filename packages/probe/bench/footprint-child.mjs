// Runs the bundled probe CLI (the path in the first argument, the probe's flags after it) in this process and,
// when it exits, prints what this process used, measured by Node itself (process.cpuUsage / resourceUsage /
// memoryUsage).
import { pathToFileURL } from "node:url"

const main = process.argv[2]
process.argv.splice(2, 1)
const started = process.hrtime.bigint()
process.on("exit", () => {
  const cpu = process.cpuUsage()
  const usage = process.resourceUsage()
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6
  process.stderr.write(
    `FOOTPRINT ${JSON.stringify({ userUs: cpu.user, systemUs: cpu.system, maxRssKb: usage.maxRSS, rssBytes: process.memoryUsage().rss, heapUsedBytes: process.memoryUsage().heapUsed, wallMs })}\n`
  )
})
await import(pathToFileURL(main).href)
