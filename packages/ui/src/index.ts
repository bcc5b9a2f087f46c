/**
 * @orchestrator/ui: the web UI as built static assets. The app server serves {@link assetsDir} at `/`:
 *
 * ```ts
 * import { assetsDir } from "@orchestrator/ui"
 * const app = await App.createApp({ port: 8080, uiAssetsDir: assetsDir })
 * ```
 *
 * The assets are built with `base: "./"`, so they also work under a sub-path behind a proxy.
 *
 * @since 0.1.0
 */
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"

/**
 * The absolute path of the folder holding the built UI (`index.html` and hashed files under `assets/`).
 *
 * **Gotchas**: the folder exists only once the package is built (`npm run build -w @orchestrator/ui`); a
 * published package always ships it. Check {@link isBuilt} before serving it from a source checkout.
 *
 * @since 0.1.0
 * @category constants
 */
export const assetsDir: string = fileURLToPath(new URL("../dist/ui/", import.meta.url)).replace(/[\\/]$/, "")

/**
 * The absolute path of the UI's entry page, for hosts that serve it themselves (e.g. with a `<base>` rewrite).
 *
 * @since 0.1.0
 * @category constants
 */
export const indexHtml: string = fileURLToPath(new URL("../dist/ui/index.html", import.meta.url))

/**
 * Whether the built assets are present (always true in a published package; false in a fresh checkout
 * until the package is built).
 *
 * @since 0.1.0
 * @category predicates
 */
export const isBuilt = (): boolean => existsSync(indexHtml)
