#!/usr/bin/env node
// Checks that every package has at least the minimum share of lines covered: its src/, and for a package with a
// browser app (packages/ui) its app/ too. Reads coverage/coverage-final.json (written by `vitest run --coverage`)
// and merges in every coverage/ui-browser/*.json (each UI browser test maps Chromium's coverage of the bundle
// back to packages/ui/app/*.ts), so a line counts as covered when either side ran it. Prints one line per
// package; exits 1 below the bar.
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join, relative, sep } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const minimum = Number(process.env.COVERAGE_MIN_LINES ?? 85)
const nodeFile = join(root, "coverage", "coverage-final.json")
const browserDir = join(root, "coverage", "ui-browser")
if (!existsSync(nodeFile)) {
  console.error(`coverage: ${relative(root, nodeFile)} is missing; run the tests with --coverage first`)
  process.exit(1)
}
// The ui workspace declares istanbul-lib-coverage (it writes the browser side with it): resolve it from there.
const { createCoverageMap } = createRequire(join(root, "packages", "ui", "package.json"))("istanbul-lib-coverage")
const coverage = createCoverageMap(JSON.parse(readFileSync(nodeFile, "utf8")))
const browserFiles = existsSync(browserDir)
  ? readdirSync(browserDir)
      .filter((name) => name.endsWith(".json"))
      .map((name) => join(browserDir, name))
  : []
for (const file of browserFiles) coverage.merge(JSON.parse(readFileSync(file, "utf8")))
if (browserFiles.length === 0) {
  console.error(`coverage: ${relative(root, browserDir)} has no files; packages/ui/app counts node-side runs only`)
}

const perPackage = new Map()
for (const path of coverage.files()) {
  const parts = relative(root, path).split(sep)
  if (parts[0] !== "packages" || (parts[2] !== "src" && parts[2] !== "app")) continue
  const lines = coverage.fileCoverageFor(path).toSummary().lines
  const entry = perPackage.get(parts[1]) ?? { covered: 0, total: 0 }
  entry.covered += lines.covered
  entry.total += lines.total
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
