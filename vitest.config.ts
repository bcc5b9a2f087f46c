import { existsSync, readdirSync } from "node:fs"
import { defineConfig } from "vitest/config"

/** One test project per workspace package that has tests. */
const packages = readdirSync("packages").filter((name) => existsSync(`packages/${name}/test`))
/** And one per example host that has tests (examples/plugins). */
const examples = readdirSync("examples").filter((name) => existsSync(`examples/${name}/test`))

export default defineConfig({
  resolve: { conditions: ["source"] },
  ssr: { resolve: { conditions: ["source"] } },
  test: {
    globalSetup: ["./test/globalSetup.ts"],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // packages/ui/app is the browser app: measured here for what its unit tests run, and merged with the
    // browser test's coverage (coverage/ui-browser/) by scripts/coverage-check.mjs, which reads coverage-final.json.
    // Globs are relative to the root, or to each selected project's root under `--project`: hence `{packages/ui/,}`.
    coverage: {
      provider: "v8",
      include: ["**/src/**/*.ts", "{packages/ui/,}app/**/*.ts"],
      // zk-migrate's CLI entry runs only in the child processes its tests spawn (and kill -9), which v8 coverage
      // here does not see; its argument parser and metrics server are covered in-process.
      exclude: ["**/test/**", "**/bench/**", "examples/app/**", "{packages/zk-migrate/,}src/cli.ts"],
      reporter: ["text-summary", "json-summary", "json"],
      reportsDirectory: "coverage"
    },
    projects: [
      ...packages.map((name) => ({
        extends: true,
        test: { name, root: `packages/${name}`, include: ["test/**/*.test.ts"] }
      })),
      ...examples.map((name) => ({
        extends: true,
        test: { name: `example-${name}`, root: `examples/${name}`, include: ["test/**/*.test.ts"] }
      }))
    ]
  }
})
