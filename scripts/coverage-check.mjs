#!/usr/bin/env node
// Reads coverage/coverage-summary.json (written by `vitest run --coverage`) and checks that every package's
// src/ has at least the minimum share of lines covered. Prints one line per package; exits 1 below the bar.
import { existsSync, readFileSync } from "node:fs"
import { dirname, join, relative, sep } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const minimum = Number(process.env.COVERAGE_MIN_LINES ?? 85)
const file = join(root, "coverage", "coverage-summary.json")
if (!existsSync(file)) {
  console.error(`coverage: ${relative(root, file)} is missing; run the tests with --coverage first`)
  process.exit(1)
}
const summary = JSON.parse(readFileSync(file, "utf8"))
const perPackage = new Map()
for (const [path, data] of Object.entries(summary)) {
  if (path === "total") continue
  const parts = relative(root, path).split(sep)
  if (parts[0] !== "packages" || parts[2] !== "src") continue
  const entry = perPackage.get(parts[1]) ?? { covered: 0, total: 0 }
  entry.covered += data.lines.covered
  entry.total += data.lines.total
  perPackage.set(parts[1], entry)
}
let failed = false
for (const [name, { covered, total }] of [...perPackage].sort()) {
  const pct = total === 0 ? 100 : (100 * covered) / total
  const ok = pct >= minimum
  failed ||= !ok
  console.log(
    `coverage: ${name.padEnd(12)} ${pct.toFixed(1).padStart(5)}% of ${total} lines ${ok ? "ok" : `BELOW ${minimum}%`}`
  )
}
process.exit(failed ? 1 : 0)
