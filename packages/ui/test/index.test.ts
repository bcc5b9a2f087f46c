import { existsSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { assetsDir, indexHtml, isBuilt } from "@orchestrator/ui"
import { describe, expect, it } from "vitest"

describe("@orchestrator/ui", () => {
  it("points at the built UI in the package's dist/ui, whether or not it was built", () => {
    expect(assetsDir).toBe(fileURLToPath(new URL("../dist/ui", import.meta.url)))
    expect(indexHtml).toBe(join(assetsDir, "index.html"))
    expect(isBuilt()).toBe(existsSync(indexHtml))
  })
})
