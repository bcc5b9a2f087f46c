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
