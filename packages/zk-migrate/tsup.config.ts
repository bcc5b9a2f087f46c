import { defineConfig } from "tsup"
import { packageBuild } from "../../tsup.config.js"

export default defineConfig(
  packageBuild(
    { index: "src/index.ts", cli: "src/cli.ts" },
    { external: ["@orchestrator/core", "node-zookeeper-client"] }
  )
)
