#!/usr/bin/env node
// Checks the packages as a consumer sees them: builds them, runs publint and attw on each, packs them, installs
// the tarballs into a fresh Node 22 ESM project, type-checks a consumer (scripts/consumer) against the
// published types and runs it (each Promise facade, on loopback). Exits non-zero on the first failure.
import { execFileSync } from "node:child_process"
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const bin = (name) => join(root, "node_modules", ".bin", name)
const node = bin("node")
const run = (cmd, args, cwd = root) => {
  console.log(`$ ${[cmd, ...args].join(" ")}`)
  execFileSync(cmd, args, {
    cwd,
    stdio: "inherit",
    env: { ...process.env, PATH: `${join(root, "node_modules", ".bin")}:${process.env.PATH}` }
  })
}

const packages = readdirSync(join(root, "packages"))
  .map((name) => ({ name, dir: join(root, "packages", name) }))
  .filter(({ dir }) => {
    try {
      return JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).private !== true
    } catch {
      return false
    }
  })

if (!process.argv.includes("--no-build")) run("npm", ["run", "build"])

const work = mkdtempSync(join(tmpdir(), "orchestrator-consumer-"))
const tarballs = join(work, "tarballs")
mkdirSync(tarballs)
try {
  for (const { name, dir } of packages) {
    run(bin("publint"), ["--strict"], dir)
    run(bin("attw"), ["--pack", ".", "--profile", "esm-only"], dir)
    run("npm", ["pack", "--silent", "--pack-destination", tarballs], dir)
    console.log(`packed @orchestrator/${name}`)
  }
  const project = join(work, "project")
  mkdirSync(project)
  cpSync(join(root, "scripts", "consumer"), project, { recursive: true })
  const deps = Object.fromEntries(
    readdirSync(tarballs).map((file) => {
      const pkg = file.replace(/^orchestrator-/, "").replace(/-\d+\.\d+\.\d+.*\.tgz$/, "")
      return [`@orchestrator/${pkg}`, `file:${join(tarballs, file)}`]
    })
  )
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify(
      {
        name: "orchestrator-consumer",
        private: true,
        type: "module",
        engines: { node: ">=22" },
        // the optional peers a user of the Docker and ZooKeeper layers (core, scheduler, zk-migrate) installs
        dependencies: {
          ...deps,
          dockerode: "^5.0.1",
          "@types/dockerode": "^4.0.2",
          "node-zookeeper-client": "^1.1.3"
        },
        devDependencies: { "@types/node": "^22", typescript: "6.0.3" }
      },
      null,
      2
    )
  )
  run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], project)
  run(node, [join(project, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], project)
  // Every .ts file in scripts/consumer is one consumer check (index.ts: core, probe, plugins; one file per
  // further package), run on its own.
  for (const file of readdirSync(project)
    .filter((name) => name.endsWith(".ts"))
    .sort()) {
    run(node, ["--experimental-strip-types", "--no-warnings", file], project)
  }
  console.log("check-packages: all packages passed")
} finally {
  rmSync(work, { recursive: true, force: true })
}
