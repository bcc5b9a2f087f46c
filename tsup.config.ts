import type { Options } from "tsup"

/**
 * The one build recipe every workspace package uses: ESM with `.d.ts`, one output file per entry point,
 * Node 22 as the target. A package's own `tsup.config.ts` only names its entry points.
 */
export const packageBuild = (entry: Record<string, string>, overrides: Options = {}): Options => ({
  entry,
  format: ["esm"],
  target: "node22",
  platform: "node",
  dts: true,
  sourcemap: true,
  clean: true,
  splitting: true,
  treeshake: true,
  outDir: "dist",
  ...overrides
})

/**
 * The build of an example host (`examples/master`, `examples/agent`): one file, `main.js`, with the workspace
 * packages and Effect bundled from source and tree-shaken, and the libraries it loads only when a feature is
 * used left external. CommonJS libraries bundled with them (undici, tar-stream) `require` Node's built-in
 * modules, which an ES module bundle can only do through a real `require`: the banner makes one.
 */
export const exampleHostBuild = (external: ReadonlyArray<string>): Options =>
  packageBuild(
    { main: "src/main.ts" },
    {
      dts: false,
      sourcemap: false,
      noExternal: [/^@orchestrator\//, /^effect/, /^@effect\//],
      external: [...external],
      banner: {
        js: 'import { createRequire as __orchestratorRequire } from "node:module"\nconst require = __orchestratorRequire(import.meta.url)'
      },
      esbuildOptions: (options) => {
        options.conditions = ["source"]
      }
    }
  )
