import { defineConfig } from "tsup"
import { packageBuild } from "../../tsup.config.js"

/**
 * One self-contained, minified file without a source map: the workspace packages are bundled from source and
 * tree-shaken, so the probe loads only what it runs (not the app server that shares @orchestrator/core). `ws`
 * stays external (CommonJS), and so do the libraries collectors load lazily (`await import(...)` only when the
 * feature is used), so their code is neither in the bundle nor parsed at startup.
 */
export default defineConfig(
  packageBuild(
    { main: "src/main.ts" },
    {
      dts: false,
      splitting: false,
      sourcemap: false,
      minify: true,
      noExternal: [/^@orchestrator\//, /^effect/, /^@effect\//],
      external: ["ws", "typed-emitter", "@kubernetes/client-node", "dockerode", "systeminformation"],
      esbuildOptions: (options) => {
        options.conditions = ["source"]
      }
    }
  )
)
