import { defineConfig } from "tsup"
import { packageBuild } from "../../tsup.config.js"

export default defineConfig(packageBuild({ main: "src/main.ts" }, { dts: false, splitting: false }))
