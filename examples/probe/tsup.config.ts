import type { Plugin } from "esbuild"
import { defineConfig } from "tsup"
import { packageBuild } from "../../tsup.config.js"

/**
 * `ws` requires `node:tls` and `node:https` when it loads, which costs the probe about 3 MB of RSS (OpenSSL's
 * TLS setup and the modules' code) although only a `wss://` app needs them. Inside the bundled `ws` they resolve
 * to objects that load the real module on first use.
 */
const lazyTlsForWs: Plugin = {
  name: "lazy-tls-for-ws",
  setup(build) {
    build.onResolve({ filter: /^(node:)?(tls|https)$/ }, (args) =>
      /[\\/]node_modules[\\/]ws[\\/]/.test(args.importer)
        ? { path: args.path.replace(/^node:/, ""), namespace: "lazy-builtin" }
        : undefined
    )
    build.onLoad({ filter: /.*/, namespace: "lazy-builtin" }, (args) => ({
      loader: "js",
      contents: `let real; module.exports = new Proxy({}, { get: (_, key) => (real ??= require("node:${args.path}"))[key] })`
    }))
  }
}

/**
 * Two minified files without source maps: `main.js`, a loader that turns on Node's compile cache, and `cli.js`,
 * the CLI it imports, self-contained. The workspace packages and `ws` are bundled from source and tree-shaken,
 * so the probe loads only what it runs (not the app server that shares @orchestrator/core). The libraries
 * collectors load lazily (`await import(...)` only when the feature is used) stay external, so their code is
 * neither in the bundle nor parsed at startup. `require` is defined for the CommonJS code in the bundle (`ws`).
 */
export default defineConfig(
  packageBuild(
    { main: "src/main.ts", cli: "src/cli.ts" },
    {
      dts: false,
      // main.js imports cli.js (the other entry) at run time rather than a copy of it.
      splitting: true,
      sourcemap: false,
      minify: true,
      noExternal: [/^@orchestrator\//, /^effect/, /^@effect\//, /^ws$/],
      external: ["typed-emitter", "@kubernetes/client-node", "dockerode", "systeminformation"],
      banner: {
        js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);'
      },
      esbuildPlugins: [lazyTlsForWs],
      esbuildOptions: (options) => {
        options.conditions = ["source"]
      }
    }
  )
)
