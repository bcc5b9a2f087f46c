#!/usr/bin/env node
// What `npm test` runs: makes sure the machine has the test prerequisites (as root, via scripts/provision.sh,
// which does nothing when all are present), then runs `vitest run --coverage` with any extra arguments
// (`npm test -- --project core`) and exits with its code. Node builtins only.
import { spawn, spawnSync } from "node:child_process"
import { existsSync, readFileSync, rmSync } from "node:fs"
import { constants } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const isRoot = typeof process.getuid === "function" && process.getuid() === 0
const fixturesSkipped = (process.env.ORCH_FIXTURES ?? "").trim().toLowerCase() === "none" && process.env.CI !== "true"

if (!fixturesSkipped) {
  const provision = join(root, "scripts", "provision.sh")
  const args = isRoot ? [provision] : [provision, "--check"]
  const result = spawnSync("bash", args, { cwd: root, stdio: "inherit" })
  if (result.status !== 0) {
    if (isRoot) {
      console.error("test: scripts/provision.sh failed")
      process.exit(result.status ?? 1)
    }
    console.error("test: test prerequisites are missing (see above); the fixtures will fail to start.")
    console.error("test: install them as root (sudo bash scripts/provision.sh) or set ORCH_FIXTURES=none locally.")
  }
}

// vitest 5 wants Node 22+: prefer the project's own Node (the `node` devDependency) over whatever runs us
const localNode = join(root, "node_modules", ".bin", "node")
const node = existsSync(localNode) ? localNode : process.execPath
const vitest = join(root, "node_modules", "vitest", "vitest.mjs")
if (!existsSync(vitest)) {
  console.error("test: vitest is not installed; run `npm ci` first")
  process.exit(1)
}

// The JSON report lets us print the plain closing line CI reads: "vitest: N passed, N failed".
const resultsFile = join(root, "test-results", "vitest.json")
const reporters = ["--reporter=default", "--reporter=json", `--outputFile.json=${resultsFile}`]
rmSync(resultsFile, { force: true })
const child = spawn(node, [vitest, "run", "--coverage", ...reporters, ...process.argv.slice(2)], {
  cwd: root,
  stdio: "inherit"
})
const printTotals = () => {
  if (!existsSync(resultsFile)) return
  const results = JSON.parse(readFileSync(resultsFile, "utf8"))
  const skipped = (results.numPendingTests ?? 0) + (results.numTodoTests ?? 0)
  console.log(`vitest: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${skipped} skipped`)
}
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => child.kill(signal))
}
child.on("error", (error) => {
  console.error(`test: could not start vitest: ${error.message}`)
  process.exit(1)
})
child.on("exit", (code, signal) => {
  let status = code ?? (signal === null ? 1 : 128 + (constants.signals[signal] ?? 0))
  if (status === 0 && process.argv.length === 2) {
    // A full run: hold every package to the coverage bar.
    const check = spawnSync(node, [join(root, "scripts", "coverage-check.mjs")], { cwd: root, stdio: "inherit" })
    status = check.status ?? 1
  }
  printTotals()
  process.exit(status)
})
