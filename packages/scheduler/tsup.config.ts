import { defineConfig } from "tsup"
import { packageBuild } from "../../tsup.config.js"

export default defineConfig(
  packageBuild(
    {
      index: "src/index.ts",
      allocator: "src/allocator/index.ts",
      rollout: "src/rollout/index.ts",
      cluster: "src/cluster/index.ts"
    },
    { external: ["@orchestrator/core", "dockerode", "node-zookeeper-client"] }
  )
)
