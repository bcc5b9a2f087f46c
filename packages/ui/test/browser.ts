/**
 * What every browser test of the UI shares: headless Chromium with the project's flags, the folder screenshots
 * go to, a build of the UI from the current source with {@link BrowserCoverage} collecting what the pages run,
 * and the page errors that fail a test at its end.
 */
import { existsSync } from "node:fs"
import { mkdir, mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { App } from "@orchestrator/core"
import { type Browser, chromium, type Page } from "playwright-core"
import { build } from "vite"
import { BrowserCoverage, browserCoverageFile } from "./browserCoverage.js"

/**
 * Debian's Chromium (`apt-get install -y chromium`); never a browser downloaded by Playwright.
 *
 * @since 0.1.0
 * @category browser
 */
export const chromiumPath = "/usr/bin/chromium"

/**
 * Chromium's flags for a headless run as root that reaches nothing but the app server under test.
 *
 * @since 0.1.0
 * @category browser
 */
export const chromiumArgs: ReadonlyArray<string> = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run"
]

/**
 * The folder the browser tests save their screenshots in (with a trailing separator: append a file name).
 *
 * @since 0.1.0
 * @category browser
 */
export const screenshots = fileURLToPath(new URL("../../../test-results/ui/", import.meta.url))

/**
 * Where a browser test writes its share of the coverage: `name` in the folder `scripts/coverage-check.mjs`
 * merges every `*.json` of, next to {@link browserCoverageFile}.
 *
 * @since 0.1.0
 * @category coverage
 */
export const coverageFileNamed = (name: string): string => join(dirname(browserCoverageFile), name)

/**
 * Starts headless Chromium with {@link chromiumArgs}.
 *
 * @since 0.1.0
 * @category browser
 */
export const launch = (): Promise<Browser> =>
  chromium.launch({ executablePath: chromiumPath, args: [...chromiumArgs], headless: true })

/**
 * Collects a page's uncaught errors and console errors, which fail the test at the end.
 *
 * @since 0.1.0
 * @category browser
 */
export const watchErrors = (page: Page): Array<string> => {
  const errors: Array<string> = []
  page.on("pageerror", (error) => errors.push(`pageerror: ${error.message}`))
  page.on("console", (message) => {
    // other suites add and remove docker bridges while the browser runs; Chromium reports that as a failed load
    if (message.type() === "error" && !message.text().includes("net::ERR_NETWORK_CHANGED"))
      errors.push(`console: ${message.text()}`)
  })
  return errors
}

/**
 * The UI built for one test file, and the coverage of the pages that load it.
 *
 * @since 0.1.0
 * @category models
 */
export interface BuiltUi {
  /** The folder the app server serves (`uiAssetsDir`). */
  readonly dir: string
  /** Track every page before its first navigation; collect each before its browser closes. */
  readonly coverage: BrowserCoverage
  /** An app server serving this build on a free port, sending deltas every 20 ms, unless `options` say otherwise. */
  readonly serve: (options?: App.CreateAppOptions) => Promise<App.App>
  /** Headless Chromium ({@link launch}) that {@link BuiltUi.closeBrowsers} closes. */
  readonly launch: () => Promise<Browser>
  /** Collects the coverage of every page still tracked, then closes the browsers `launch` started. */
  readonly closeBrowsers: () => Promise<void>
  /** Closes the browsers, writes the coverage to the file named at build time and removes the build. */
  readonly finish: () => Promise<void>
}

/**
 * Builds the UI from the current source (never a stale `dist/`) into a folder of this run, so runs in parallel
 * do not replace each other's files and the shipped `dist/ui` stays as `npm run build` made it; the source map
 * and unminified code are for {@link BrowserCoverage}. Fails at once, with the fix, when Chromium is missing,
 * and makes the {@link screenshots} folder.
 *
 * **Gotchas**: `mode: "test"` builds expose the graph's test hook (`window.orchestratorGraph`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const buildUi = async (options: {
  /** Names the build's temporary folder (`orchestrator-ui-<name>-…`). */
  readonly name: string
  /** Where {@link BuiltUi.finish} writes the coverage. */
  readonly coverageFile: string
  readonly mode?: "test"
}): Promise<BuiltUi> => {
  if (!existsSync(chromiumPath)) throw new Error(`no Chromium at ${chromiumPath}: apt-get install -y chromium`)
  const dir = await mkdtemp(join(tmpdir(), `orchestrator-ui-${options.name}-`))
  const remove = () => rm(dir, { recursive: true, force: true })
  try {
    await Promise.all([
      build({
        configFile: fileURLToPath(new URL("../vite.config.ts", import.meta.url)),
        ...(options.mode === undefined ? {} : { mode: options.mode }),
        logLevel: "warn",
        build: { outDir: dir, emptyOutDir: true, sourcemap: true, minify: false, reportCompressedSize: false }
      }),
      mkdir(screenshots, { recursive: true })
    ])
  } catch (cause) {
    await remove()
    throw cause
  }
  const coverage = new BrowserCoverage(dir)
  const browsers = new Set<Browser>()
  const closeBrowsers = async () => {
    await coverage.collectAll()
    for (const browser of browsers) await browser.close()
    browsers.clear()
  }
  return {
    dir,
    coverage,
    serve: (serveOptions) => App.createApp({ port: 0, uiAssetsDir: dir, deltaIntervalMs: 20, ...serveOptions }),
    launch: async () => {
      const browser = await launch()
      browsers.add(browser)
      return browser
    },
    closeBrowsers,
    finish: async () => {
      try {
        await closeBrowsers()
        await coverage.write(options.coverageFile)
      } finally {
        await remove()
      }
    }
  }
}
