import { defineConfig } from "tsup"
import { packageBuild } from "../../tsup.config.js"

/**
 * One self-contained file: the workspace packages are bundled from source and tree-shaken, so the probe loads
 * only what it runs (not the app server that shares @orchestrator/core). `ws` stays external: it is CommonJS.
 */
export default defineConfig(
  packageBuild(
    { main: "src/main.ts" },
    {
      dts: false,
      splitting: false,
      noExternal: [/^@orchestrator\//, /^effect/, /^@effect\//],
      external: ["ws", "typed-emitter"],
      esbuildOptions: (options) => {
        options.conditions = ["source"]
      }
    }
  )
)
