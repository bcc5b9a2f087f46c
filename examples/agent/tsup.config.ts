import { defineConfig } from "tsup"
import { packageBuild } from "../../tsup.config.js"

/**
 * One file, `main.js`: the workspace packages and Effect are bundled from source and tree-shaken; the
 * ZooKeeper driver stays external (loaded only with `--zk`).
 */
export default defineConfig(
  packageBuild(
    { main: "src/main.ts" },
    {
      dts: false,
      sourcemap: false,
      noExternal: [/^@orchestrator\//, /^effect/, /^@effect\//],
      external: ["node-zookeeper-client", "dockerode", "systeminformation", "ws", "typed-emitter"],
      esbuildOptions: (options) => {
        options.conditions = ["source"]
      }
    }
  )
)
