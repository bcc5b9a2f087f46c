import { existsSync, readdirSync } from "node:fs"
import { defineConfig } from "vitest/config"

/** One test project per workspace package that has tests. */
const packages = readdirSync("packages").filter((name) => existsSync(`packages/${name}/test`))

export default defineConfig({
  resolve: { conditions: ["source"] },
  ssr: { resolve: { conditions: ["source"] } },
  test: {
    globalSetup: ["./test/globalSetup.ts"],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    coverage: {
      provider: "v8",
      include: ["**/src/**/*.ts"],
      exclude: ["**/test/**", "**/bench/**", "**/app/**"],
      reporter: ["text-summary", "json-summary"],
      reportsDirectory: "coverage"
    },
    projects: packages.map((name) => ({
      extends: true,
      test: { name, root: `packages/${name}`, include: ["test/**/*.test.ts"] }
    }))
  }
})
