import { defineConfig } from "tsup"
import { packageBuild } from "../../tsup.config.js"

export default defineConfig(
  packageBuild(
    { index: "src/index.ts", docker: "src/docker/index.ts", zookeeper: "src/zookeeper/index.ts" },
    { external: ["dockerode", "node-zookeeper-client"] }
  )
)
