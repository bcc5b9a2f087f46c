import { defineConfig } from "tsup"
import { packageBuild } from "../../tsup.config.js"

// `dist/ui/` belongs to the Vite build (the static UI): tsup's clean must leave it alone.
export default defineConfig(
  packageBuild({ index: "src/index.ts" }, { clean: ["!ui/**"], tsconfig: "../../tsconfig.json" })
)
