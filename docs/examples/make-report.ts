/**
 * Prints one of the example reports as JSON (timestamps: now), for curl:
 *
 *   npx tsx --conditions=source docs/examples/make-report.ts full-a > /tmp/full-a.json
 *   npx tsx --conditions=source docs/examples/make-report.ts full-b > /tmp/full-b.json
 *   npx tsx --conditions=source docs/examples/make-report.ts delta-a 1 > /tmp/delta-a.json
 */
import { deltaReportA, fullReportA, fullReportB } from "./fixture.js"

const [kind = "full-a", seqText = "1"] = process.argv.slice(2)
const seq = Number(seqText)
const now = Date.now()
const report =
  kind === "full-a"
    ? fullReportA(now)
    : kind === "full-b"
      ? fullReportB(now)
      : kind === "delta-a"
        ? deltaReportA(now, seq)
        : undefined
if (report === undefined) {
  process.stderr.write("usage: make-report.ts full-a | full-b | delta-a <seq>\n")
  process.exit(2)
}
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
