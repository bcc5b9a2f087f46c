import { defineConfig } from "tsup"
import { packageBuild } from "../../tsup.config.js"

const entries = {
  index: "src/index.ts",
  allocator: "src/allocator/index.ts",
  rollout: "src/rollout/index.ts",
  cluster: "src/cluster/index.ts",
  apps: "src/apps/index.ts"
}
const external = ["@orchestrator/core", "dockerode", "node-zookeeper-client"]

/**
 * The JavaScript of every entry in one build (shared chunks), and each entry's declarations in a build of its own:
 * the declaration bundler loses whether a name is a type when a namespace re-export (`Allocator` in the root
 * entry) reaches it through a shared chunk, and would emit `typeof` of an interface.
 */
export default defineConfig([
  packageBuild(entries, { external, dts: false }),
  ...Object.entries(entries).map(([name, path]) =>
    packageBuild({ [name]: path }, { external, clean: false, dts: { only: true } })
  )
])
