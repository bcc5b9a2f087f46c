import { defineConfig } from "tsup"
import { packageBuild } from "../../tsup.config.js"

export default defineConfig(
  packageBuild(
    {
      index: "src/index.ts",
      zookeeper: "src/zookeeper.ts",
      groupByLabel: "src/groupByLabel.ts",
      signalControl: "src/signalControl.ts"
    },
    { dts: false, external: [/^@orchestrator\//, /^effect/] }
  )
)
