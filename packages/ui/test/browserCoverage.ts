/**
 * Line coverage of the browser app (`app/*.ts`) from the end-to-end test: Chromium's V8 coverage of the bundled
 * JS, mapped back through the test build's source map with `ast-v8-to-istanbul` (the converter `vitest
 * --coverage` uses for the node-side tests, so both sides count the same statements), written as istanbul JSON
 * for `scripts/coverage-check.mjs` to merge with the node-side coverage of the same files.
 */
import { existsSync } from "node:fs"
import { mkdir, readFile, rename, writeFile } from "node:fs/promises"
import { dirname, join, sep } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import convert from "ast-v8-to-istanbul"
import libCoverage from "istanbul-lib-coverage"
import type { Page } from "playwright-core"
import { parseAstAsync } from "vite"

/** The app's sources: coverage of anything else in the bundle (Vite's preload helpers) is dropped. */
const appDir = `${fileURLToPath(new URL("../app/", import.meta.url)).replace(/[\\/]$/, "")}${sep}`

/** Where `scripts/coverage-check.mjs` looks for it (vitest empties `coverage/` when a run starts). */
export const browserCoverageFile = fileURLToPath(
  new URL("../../../coverage/ui-browser/coverage-final.json", import.meta.url)
)

/** The V8 script coverage Playwright reports for one script. */
type ScriptCoverage = Awaited<ReturnType<Page["coverage"]["stopJSCoverage"]>>[number]

/**
 * Collects the coverage of every page the test opens. Start it before the page's first navigation and stop it
 * before the page closes; {@link write} converts and writes what was collected.
 *
 * **Gotchas**: the bundle must be built with `build.sourcemap: true` into `buildDir`; an unminified build maps
 * statements back to the same places as the node-side transform does.
 */
export class BrowserCoverage {
  private readonly scripts: Array<ScriptCoverage> = []
  private readonly tracked = new Set<Page>()

  constructor(private readonly buildDir: string) {}

  /** Starts collecting on a page (keeps counting across navigations). */
  async track(page: Page): Promise<Page> {
    await page.coverage.startJSCoverage({ resetOnNavigation: false })
    this.tracked.add(page)
    return page
  }

  /** Stops collecting on a page and keeps its counts; call before `page.close()`. */
  async collect(page: Page): Promise<void> {
    if (!this.tracked.delete(page) || page.isClosed()) return
    this.scripts.push(...(await page.coverage.stopJSCoverage()))
  }

  /** Collects every page still tracked; call before `browser.close()`. */
  async collectAll(): Promise<void> {
    for (const page of [...this.tracked]) await this.collect(page)
  }

  /** Converts everything collected to istanbul data for `app/*.ts` and writes it (replacing the file). */
  async write(file: string = browserCoverageFile): Promise<libCoverage.CoverageMap> {
    const map = libCoverage.createCoverageMap({})
    for (const script of this.scripts) {
      const built = this.builtFile(script.url)
      if (built === undefined || script.source === undefined) continue
      const data = await convert({
        code: script.source,
        ast: parseAstAsync(script.source),
        sourceMap: JSON.parse(await readFile(`${built}.map`, "utf8")),
        coverage: { url: pathToFileURL(built).href, functions: script.functions },
        // The bundler rewrites `class X {}` as `var X = class {}`: a statement the source does not have.
        ignoreNode: (node, type) =>
          type === "statement" && node.type === "VariableDeclarator" && node.init?.type === "ClassExpression"
      })
      for (const [path, fileCoverage] of Object.entries(data)) {
        if (path.startsWith(appDir)) map.merge({ [path]: fileCoverage as libCoverage.FileCoverageData })
      }
    }
    await mkdir(dirname(file), { recursive: true })
    const partial = `${file}.${process.pid}.tmp`
    await writeFile(partial, JSON.stringify(map.toJSON()))
    await rename(partial, file)
    return map
  }

  /** The file of `buildDir` a script URL was served from, when it has a source map. */
  private builtFile(url: string): string | undefined {
    if (!/^https?:/.test(url)) return undefined
    const path = join(this.buildDir, decodeURIComponent(new URL(url).pathname))
    return path.startsWith(this.buildDir) && existsSync(`${path}.map`) ? path : undefined
  }
}
