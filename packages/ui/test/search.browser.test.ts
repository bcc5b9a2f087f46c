/**
 * End to end: search, filters, views, URL state, saved filters and the connection state of the built UI, in
 * headless Chromium, against a real app server fed by a real probe of this host (process and Docker
 * collectors) with three busybox containers on the shared dockerd: `web` (busy, held to a fifth of a CPU), `db`
 * (idle) and `job` (exited). The test reads only what a user sees (rows, tabs, the URL, messages).
 */
import type { App } from "@orchestrator/core"
import { createProbe } from "@orchestrator/probe"
import type { Browser, Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest"
import { engineRequest } from "../../../test/fixtures/dockerApi.js"
import { dockerFixture } from "../../../test/fixtures/index.js"
import { type BuiltUi, buildUi, coverageFileNamed, screenshots, watchErrors } from "./browser.js"

/** This file's share of the browser coverage, next to the one ui.browser.test.ts writes. */
const coverageFile = coverageFileNamed("search-coverage-final.json")

/** Labels that tell this run's containers apart from any other test's on the shared dockerd. */
const run = String(process.pid)
const prefix = `orch-ui-search-${run}-`
const names = { web: `${prefix}web`, db: `${prefix}db`, job: `${prefix}job` }
/** The views a probe without Kubernetes has data for, in the server's order. */
const expectedViews = ["processes", "processes-by-name", "containers", "containers-by-image", "hosts"]

const docker = dockerFixture()

/** The labels in the table, in the order shown. */
const labels = (page: Page) => page.locator("table.nodes tbody tr td.label").allTextContents()

/** The text of a column's cells, found by its header (other columns may come and go). */
const column = (page: Page, title: string): Promise<Array<string>> =>
  page.locator("table.nodes").evaluate((table, name) => {
    const at = [...table.querySelectorAll("thead th")].findIndex((th) => th.textContent?.startsWith(name))
    return [...table.querySelectorAll("tbody tr")].map((tr) => tr.children[at]?.textContent ?? "")
  }, title)

/** The connection state the header shows. */
const connectionText = (page: Page) => page.locator(".pill > span").nth(1).textContent()

/** The search box. */
const searchBox = (page: Page) => page.getByRole("searchbox", { name: "Search nodes" })

/** Types a query and confirms it with Enter (as a user does), replacing what the box held. */
const search = async (page: Page, query: string) => {
  await searchBox(page).fill(query)
  await searchBox(page).press("Enter")
}

/** The UI state in the URL, as a plain object (repeated keys joined with commas). */
const hashOf = (page: Page): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [k, v] of new URLSearchParams(new URL(page.url()).hash.slice(1))) out[k] = k in out ? `${out[k]},${v}` : v
  return out
}

const until = async (what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 30_000) => {
  const deadline = Date.now() + timeoutMs
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

describe.skipIf(docker === null)("search, filters and views against a real probe and real containers", () => {
  const socketPath = docker?.socketPath ?? ""
  const image = docker?.testImage ?? ""
  let ui: BuiltUi
  let app: App.App
  let probe: Awaited<ReturnType<typeof createProbe>>
  let browser: Browser
  let page: Page
  let errors: Array<string>
  /** Container ids by name. */
  const ids = new Map<string, string>()

  const engine = async (method: string, path: string, body?: unknown) => {
    const answer = await engineRequest(socketPath, method, path, {
      ...(body === undefined ? {} : { body: Buffer.from(JSON.stringify(body)), contentType: "application/json" }),
      timeoutMs: 30_000
    })
    if (answer.status >= 300) throw new Error(`docker ${method} ${path}: ${answer.status} ${answer.body}`)
    return answer.body === "" ? undefined : (JSON.parse(answer.body) as unknown)
  }

  const removeContainers = async () => {
    const filters = encodeURIComponent(JSON.stringify({ label: [`ui-test-run=${run}`] }))
    const list = (await engine("GET", `/containers/json?all=1&filters=${filters}`)) as Array<{ Id: string }>
    const all = new Set([...list.map((c) => c.Id), ...ids.values()])
    ids.clear()
    await Promise.all([...all].map((id) => engineRequest(socketPath, "DELETE", `/containers/${id}?force=1&v=1`)))
  }

  const startContainer = async (name: string, role: string, cmd: ReadonlyArray<string>) => {
    const created = (await engine("POST", `/containers/create?name=${name}`, {
      Image: image,
      Cmd: cmd,
      Labels: { "ui-test-run": run, "ui-test-role": role },
      HostConfig: { NanoCpus: 200_000_000 }
    })) as { Id: string }
    ids.set(name, created.Id)
    await engine("POST", `/containers/${created.Id}/start`)
  }

  /** This run's containers as the app server renders them (label, status, CPU). */
  const rendered = (search = `ui-test-run:${run}`) =>
    app.aggregator
      .topology("containers", { search })
      .nodes.map((n) => ({ label: n.label, status: n.status, cpu: n.metrics.cpu }))

  /** Reloads a page, keeping the coverage counted so far (a reload starts the scripts' counts again). */
  const reload = async (target: Page) => {
    await ui.coverage.collect(target)
    await ui.coverage.track(target)
    await target.reload()
  }

  const startApp = (port = 0) => ui.serve({ port, deltaIntervalMs: 50 })

  beforeAll(async () => {
    vi.setConfig({ expect: { poll: { interval: 50, timeout: 15_000 } } })
    await removeContainers()
    await Promise.all([
      buildUi({ name: "search", coverageFile }).then((built) => {
        ui = built
      }),
      startContainer(names.web, "web", ["sh", "-c", "while :; do :; done"]),
      startContainer(names.db, "db", ["sleep", "3600"]),
      startContainer(names.job, "job", ["true"])
    ])
    app = await startApp()
    probe = await createProbe({
      appUrl: app.url,
      probeId: "ui-search-probe",
      intervalMs: 1_000,
      backoffInitialMs: 100,
      backoffMaxMs: 500,
      dockerSocket: socketPath,
      kubernetes: false,
      conntrack: false
    })
    // The busy container shows CPU once the collector has two samples of it; the job has exited by then.
    await until("the three containers, the busy one with CPU", () => {
      const nodes = rendered()
      return (
        nodes.length === 3 &&
        nodes.some((n) => n.label === names.web && (n.cpu ?? 0) > 0) &&
        nodes.some((n) => n.label === names.job && n.status === "stopped")
      )
    })
    browser = await ui.launch()
    // A context of its own, so a second tab can share the page's localStorage.
    const context = await browser.newContext({ viewport: { width: 1280, height: 760 } })
    page = await ui.coverage.track(await context.newPage())
    errors = watchErrors(page)
  })

  afterAll(async () => {
    vi.resetConfig()
    await ui?.finish()
    await probe?.stop()
    await app?.close()
    if (docker !== null) await removeContainers()
  })

  it("lists the views that have data, each with the server's node count", async () => {
    await page.goto(`${app.url}/#mode=table`)
    await expect
      .poll(() => page.locator('.views button[aria-current="true"]').getAttribute("data-view"))
      .toBe("containers")
    // The list is loaded once the page is up, then refreshed: wait for every view with data.
    await expect
      .poll(() => page.locator(".views button").evaluateAll((bs) => bs.map((b) => b.getAttribute("data-view"))))
      .toEqual(expectedViews)
    // Counts change as processes come and go: each tab must agree with the server at some moment.
    for (const view of expectedViews) {
      await expect
        .poll(async () => {
          const shown = await page.locator(`.views button[data-view="${view}"] .count`).textContent()
          const count = app.aggregator.views().find((v) => v.id === view)?.count
          return shown === String(count) && count! > 0
        })
        .toBe(true)
    }
    // this host is one of them (other suites' containers can add remote addresses as pseudo hosts)
    const hosts = app.aggregator.topology("hosts").nodes.filter((n) => n.pseudo !== true)
    expect(hosts.length).toBe(1)
    const title = await page.locator('.views button[data-view="hosts"]').getAttribute("title")
    const shown = Number(await page.locator('.views button[data-view="hosts"] .count').textContent())
    expect(title).toBe(shown === 1 ? "1 node" : `${shown} nodes`)
  })

  it("switches views from the tabs and the keyboard, and saves a screenshot of each", async () => {
    for (const view of expectedViews) {
      await page.locator(`.views button[data-view="${view}"]`).click()
      await expect.poll(() => labels(page).then((l) => l.length)).toBeGreaterThan(0)
      expect(hashOf(page).view).toBe(view)
      // The previous view's rows can still be on screen for a frame after the click: wait for this view's rows,
      // which are the server's (this host, plus remote addresses other suites' containers talk to, if any).
      if (view === "hosts")
        await expect
          .poll(async () => {
            const shown = [...(await labels(page))].sort()
            const served = app.aggregator
              .topology("hosts")
              .nodes.map((n) => n.label)
              .sort()
            return JSON.stringify(shown) === JSON.stringify(served) && served.length > 0
          })
          .toBe(true)
      if (view === "containers") {
        await search(page, `ui-test-run:${run}`)
        await expect.poll(() => labels(page)).toEqual([names.db, names.job, names.web])
      }
      await page.screenshot({ path: `${screenshots}view-${view}.png` })
      if (view === "containers") await search(page, "")
    }
    // One tab stop for the list: the arrow keys move between views, Enter picks one.
    const current = page.locator('.views button[aria-current="true"]')
    await current.focus()
    await page.keyboard.press("Home")
    expect(await page.evaluate("document.activeElement?.dataset.view")).toBe("processes")
    await page.keyboard.press("ArrowLeft")
    expect(await page.evaluate("document.activeElement?.dataset.view")).toBe("hosts")
    await page.keyboard.press("ArrowLeft")
    await page.keyboard.press("Enter")
    await expect.poll(() => hashOf(page).view).toBe("containers-by-image")
    expect(await page.evaluate("[...document.querySelectorAll('.views button')].map((b) => b.tabIndex)")).toEqual([
      -1, -1, -1, 0, -1
    ])
    // Back returns to the previous view.
    await page.goBack()
    await expect.poll(() => hashOf(page).view).toBe("hosts")
    await expect.poll(() => current.getAttribute("data-view")).toBe("hosts")
  })

  it("draws a view seen before at once, while a slow server's snapshot is on its way", async () => {
    const slow = await ui.coverage.track(await browser.newPage())
    const slowErrors = watchErrors(slow)
    // Every message from the server reaches this page 1.5 s late.
    await slow.routeWebSocket(/\/api\/v1\/ws$/, (ws) => {
      const server = ws.connectToServer()
      server.onMessage((message) => void setTimeout(() => ws.send(message), 1_500))
    })
    await slow.goto(`${app.url}/#view=containers&search=ui-test-run:${run}`)
    await expect.poll(() => labels(slow)).toEqual([names.db, names.job, names.web])
    // No host carries the containers' label: the hosts view is empty under this search.
    const noMatch = "No nodes match the search and filters."
    await slow.locator('.views button[data-view="hosts"]').click()
    await expect.poll(() => slow.locator("p.empty").textContent()).toBe(noMatch)
    /** Clicks a tab and reads the table two frames later (long before the delayed snapshot). */
    const switchTo = (view: string) =>
      slow.evaluate(`(async () => {
        document.querySelector('.views button[data-view="${view}"]').click()
        for (let i = 0; i < 2; i++) await new Promise(requestAnimationFrame)
        return {
          rows: [...document.querySelectorAll("table.nodes tbody td.label")].map((td) => td.textContent),
          empty: document.querySelector("p.empty:not([hidden])")?.textContent ?? null
        }
      })()`)
    expect(await switchTo("containers")).toEqual({ rows: [names.db, names.job, names.web], empty: null })
    // A view not seen yet has nothing to draw until its snapshot arrives.
    expect(await switchTo("processes")).toEqual({ rows: [], empty: "Loading…" })
    await expect.poll(() => slow.locator("p.empty").textContent()).toBe(noMatch)
    await ui.coverage.collect(slow)
    await slow.close()
    expect(slowErrors).toEqual([])
  })

  it("narrows the rows with free text, label:value and metric comparisons, and shows how many match", async () => {
    await page.goto(`${app.url}/#view=containers`)
    await search(page, `ui-test-run:${run}`)
    await expect.poll(() => labels(page)).toEqual([names.db, names.job, names.web])
    expect(await page.locator(".summary").textContent()).toMatch(/^3 nodes of \d+$/)
    await search(page, `label:${names.web}`)
    await expect.poll(() => labels(page)).toEqual([names.web])
    await search(page, `ui-test-role:db ui-test-run:${run}`)
    await expect.poll(() => labels(page)).toEqual([names.db])
    await search(page, `ui-test-run:${run} cpu > 0%`)
    await expect.poll(() => labels(page)).toEqual([names.web])
    await search(page, `ui-test-run:${run} (ui-test-role:db OR ui-test-role:job)`)
    await expect.poll(() => labels(page)).toEqual([names.db, names.job])
    expect(hashOf(page)).toEqual({
      view: "containers",
      search: `ui-test-run:${run} (ui-test-role:db OR ui-test-role:job)`
    })
    await page.screenshot({ path: `${screenshots}search-containers.png` })

    // The processes of this host: `cpu > 0%` keeps only busy ones, and every row shown has CPU.
    await page.locator('.views button[data-view="processes"]').click()
    await search(page, "")
    await expect.poll(() => labels(page).then((l) => l.length)).toBeGreaterThan(10)
    const all = (await labels(page)).length
    await search(page, "cpu > 0%")
    await expect
      .poll(async () => {
        const cpus = (await column(page, "CPU")).map((text) => Number.parseFloat(text))
        return cpus.length > 0 && cpus.length < all && cpus.every((cpu) => cpu > 0)
      })
      .toBe(true)
    expect(await page.locator(".summary").textContent()).toMatch(/^\d+ nodes? of \d+$/)
  })

  it("filters by running/stopped, application/system and node type", async () => {
    await page.goto(`${app.url}/#view=containers&search=ui-test-run:${run}`)
    await expect.poll(() => labels(page)).toEqual([names.db, names.job, names.web])
    await page.getByRole("button", { name: "Stopped" }).click()
    await expect.poll(() => labels(page)).toEqual([names.job])
    await page.getByRole("button", { name: "Running" }).click()
    await expect.poll(() => labels(page)).toEqual([names.db, names.web])
    expect(await page.getByRole("button", { name: "Running" }).getAttribute("aria-pressed")).toBe("true")

    // The probe marks itself a system process: it runs in this test's process.
    await page.locator('.views button[data-view="processes"]').click()
    await search(page, "")
    await page.getByRole("button", { name: "All", exact: true }).click()
    await expect.poll(() => labels(page).then((l) => l.length)).toBeGreaterThan(10)
    const allProcesses = (await labels(page)).length
    await page.getByRole("button", { name: "System" }).click()
    // wait for the filtered table (the probe's own row is in the unfiltered one too, so it cannot tell)
    await expect.poll(async () => (await labels(page)).length).toBeLessThan(allProcesses)
    await expect
      .poll(() => page.locator("table.nodes tbody td.minor").allTextContents())
      .toContainEqual(expect.stringContaining(`(${process.pid})`))
    await page.getByRole("button", { name: "Apps" }).click()
    await expect
      .poll(() => page.locator("table.nodes tbody td.minor").allTextContents())
      .not.toContainEqual(expect.stringContaining(`(${process.pid})`))
    await page.getByRole("button", { name: "Both" }).click()

    // Types: hiding unconnected nodes leaves only rows with connections.
    await page.getByRole("button", { name: "Types" }).click()
    await page.getByRole("checkbox", { name: /Unconnected nodes/ }).uncheck()
    await expect.poll(() => hashOf(page).hide).toBe("unconnected")
    await expect
      .poll(async () => {
        const [inbound, outbound] = [await column(page, "In"), await column(page, "Out")]
        return inbound.length < allProcesses && inbound.every((n, i) => Number(n) + Number(outbound[i]) > 0)
      })
      .toBe(true)
    expect(await page.getByRole("button", { name: /Types/ }).textContent()).toBe("Types1 hidden")
    await page.screenshot({ path: `${screenshots}filters-types.png` })
    await page.keyboard.press("Escape")
    expect(await page.getByRole("checkbox", { name: /Unconnected nodes/ }).isVisible()).toBe(false)
    expect(await page.evaluate("document.activeElement?.textContent")).toBe("Types1 hidden")
  })

  it("shows the server's error for a query it rejects, marking where, and clears it once fixed", async () => {
    await page.goto(`${app.url}/#view=containers&search=ui-test-run:${run}`)
    await expect.poll(() => labels(page)).toEqual([names.db, names.job, names.web])
    const query = "cpu > 5XB"
    const rest = (await (await fetch(`${app.url}/api/v1/query/search?q=${encodeURIComponent(query)}`)).json()) as {
      error: { code: string; message: string; details: { position: number } }
    }
    expect(rest.error).toEqual({
      code: "bad_search",
      message: "unknown unit 'XB' (use %, B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)",
      details: { position: 7 }
    })
    await search(page, query)
    const error = page.locator("#search-error")
    await expect
      .poll(() => error.textContent())
      .toBe(`The app server rejected the search: ${rest.error.message} (at character 8). ${query}`)
    expect(await error.locator("mark").textContent()).toBe("X")
    expect(await searchBox(page).getAttribute("aria-invalid")).toBe("true")
    // The rows of the last query that worked stay, and the URL keeps what was typed (to fix and share).
    expect(await labels(page)).toEqual([names.db, names.job, names.web])
    expect(hashOf(page).search).toBe(query)
    await page.screenshot({ path: `${screenshots}search-error.png` })
    await search(page, `ui-test-run:${run} cpu > 5%`)
    await expect.poll(() => error.isHidden()).toBe(true)
    await expect.poll(() => labels(page)).toEqual([names.web])
    expect(await searchBox(page).getAttribute("aria-invalid")).toBe("false")
  })

  it("keeps the whole state in the URL: a reload restores it, Back and Forward step through it", async () => {
    await page.goto(`${app.url}/#view=containers`)
    await search(page, `ui-test-run:${run}`)
    await page.getByRole("button", { name: "Running" }).click()
    await page.getByRole("button", { name: "Apps" }).click()
    await page.getByRole("button", { name: "Types" }).click()
    await page.getByRole("checkbox", { name: /Pseudo nodes/ }).uncheck()
    await page.keyboard.press("Escape")
    await expect.poll(() => labels(page)).toEqual([names.db, names.web])
    await page.locator("table.nodes tbody tr", { hasText: names.web }).click()
    await expect.poll(() => page.locator("aside.details h2").textContent()).toBe(names.web)
    const state = {
      view: "containers",
      search: `ui-test-run:${run}`,
      status: "running",
      kind: "application",
      hide: "pseudo",
      topology: "containers",
      node: ids.get(names.web)!
    }
    expect(hashOf(page)).toEqual(state)

    await reload(page)
    await expect.poll(() => labels(page)).toEqual([names.db, names.web])
    await expect.poll(() => page.locator("aside.details h2").textContent()).toBe(names.web)
    expect(hashOf(page)).toEqual(state)
    expect(await searchBox(page).inputValue()).toBe(`ui-test-run:${run}`)
    const pressed = await page.locator(".filters [aria-pressed='true']").allTextContents()
    expect(pressed).toEqual(["Running", "Apps"])
    await page.getByRole("button", { name: /Types/ }).click()
    expect(await page.getByRole("checkbox", { name: /Pseudo nodes/ }).isChecked()).toBe(false)
    expect(await page.getByRole("checkbox", { name: /Unconnected nodes/ }).isChecked()).toBe(true)
    await page.keyboard.press("Escape")

    // Each filter change is a step in the history; the selection rides along with the step it was made in.
    await page.goBack()
    await expect.poll(() => hashOf(page).hide).toBeUndefined()
    await expect.poll(() => page.locator("aside.details").isHidden()).toBe(true)
    await page.goBack()
    await expect.poll(() => hashOf(page).kind).toBeUndefined()
    expect(await page.locator(".filters [aria-pressed='true']").allTextContents()).toEqual(["Running", "Both"])
    await page.goForward()
    await page.goForward()
    await expect.poll(() => hashOf(page)).toEqual(state)
    await expect.poll(() => page.locator("aside.details h2").textContent()).toBe(names.web)
  })

  it("saves the current filters under a name, applies them later, keeps them across reloads, and deletes them", async () => {
    const saved = page.locator(".saved-filters")
    await page.getByRole("button", { name: /^Saved/ }).click()
    expect(await saved.locator("ul.saved-list").textContent()).toBe("No saved filters yet.")
    await page.getByRole("textbox", { name: "Saved filter name" }).fill("my running apps")
    await page.getByRole("button", { name: "Save current" }).click()
    await expect.poll(() => saved.locator("output").textContent()).toBe("Saved “my running apps”.")
    expect(await saved.locator("ul.saved-list li").allTextContents()).toEqual([
      `my running apps“ui-test-run:${run}” · running · application · no pseudo nodes×`
    ])
    expect(await saved.locator("button.saved-apply").getAttribute("aria-current")).toBe("true")
    await page.screenshot({ path: `${screenshots}saved-filters.png` })
    await page.keyboard.press("Escape")
    expect(await page.getByRole("button", { name: /^Saved/ }).textContent()).toBe("Saved: my running apps1")

    // Start over without filters, then apply the saved ones.
    await page.goto(`${app.url}/#view=containers`)
    await reload(page)
    await expect.poll(() => labels(page).then((l) => l.length)).toBeGreaterThanOrEqual(3)
    await page.getByRole("button", { name: /^Saved/ }).click()
    await page.getByRole("button", { name: /^my running apps/ }).click()
    await expect.poll(() => labels(page)).toEqual([names.db, names.web])
    expect(hashOf(page)).toEqual({
      view: "containers",
      search: `ui-test-run:${run}`,
      status: "running",
      kind: "application",
      hide: "pseudo"
    })
    expect(await searchBox(page).inputValue()).toBe(`ui-test-run:${run}`)
    expect(await page.evaluate("localStorage.getItem('orchestrator.ui.savedFilters')")).toBe(
      JSON.stringify({
        version: 1,
        filters: [
          {
            name: "my running apps",
            filters: { search: `ui-test-run:${run}`, status: "running", kind: "application", hide: ["pseudo"] }
          }
        ]
      })
    )

    await page.getByRole("button", { name: /^Saved/ }).click()
    await page.getByRole("button", { name: "Delete saved filter my running apps" }).click()
    await expect.poll(() => saved.locator("ul.saved-list").textContent()).toBe("No saved filters yet.")
    expect(await page.evaluate("JSON.parse(localStorage.getItem('orchestrator.ui.savedFilters')).filters")).toEqual([])
    await page.keyboard.press("Escape")

    // A filter saved in another tab shows up here without a reload.
    const other = await page.context().newPage()
    await other.goto(`${app.url}/api/v1/auth/session`)
    await other.evaluate(
      `localStorage.setItem("orchestrator.ui.savedFilters", ${JSON.stringify(
        JSON.stringify({ version: 1, filters: [{ name: "from another tab", filters: { status: "stopped" } }] })
      )})`
    )
    await other.close()
    await expect.poll(() => page.getByRole("button", { name: /^Saved/ }).textContent()).toBe("Saved1")
    await page.getByRole("button", { name: /^Saved/ }).click()
    await page.getByRole("button", { name: /^from another tab/ }).click()
    await expect.poll(() => hashOf(page)).toEqual({ view: "containers", status: "stopped" })
    expect(await page.getByRole("button", { name: /^Saved/ }).textContent()).toBe("Saved: from another tab1")
  })

  it("works from the keyboard: / focuses the search, Escape clears it, the syntax help inserts examples", async () => {
    await page.goto(`${app.url}/#view=containers&search=ui-test-run:${run}`)
    await expect.poll(() => labels(page)).toEqual([names.db, names.job, names.web])
    await page.locator("table.nodes tbody tr").first().focus()
    await page.keyboard.press("/")
    expect(await page.evaluate("document.activeElement?.id")).toBe("search")
    // Escape empties the box (all rows come back), a second one leaves it.
    await page.keyboard.press("Escape")
    await expect.poll(() => hashOf(page)).toEqual({ view: "containers" })
    await expect.poll(() => labels(page).then((l) => l.length)).toBeGreaterThanOrEqual(3)
    await page.keyboard.press("Escape")
    expect(await page.evaluate("document.activeElement?.id")).not.toBe("search")

    // Tab goes from the box to its help, which opens with focus on the first example.
    await searchBox(page).focus()
    await page.keyboard.press("Tab")
    expect(await page.evaluate("document.activeElement?.getAttribute('aria-label')")).toBe("Search syntax")
    await page.keyboard.press("Enter")
    const help = page.getByRole("region", { name: "Search syntax help" })
    await expect.poll(() => help.isVisible()).toBe(true)
    expect(await page.evaluate("document.activeElement?.textContent")).toBe("busybox")
    await page.screenshot({ path: `${screenshots}search-help.png` })
    await help.getByRole("button", { name: "cpu > 50%" }).click()
    await expect.poll(() => hashOf(page).search).toBe("cpu > 50%")
    expect(await help.isVisible()).toBe(false)
    expect(await page.evaluate("document.activeElement?.id")).toBe("search")
    await page.getByRole("button", { name: "Search syntax" }).click()
    await page.keyboard.press("Escape")
    await expect.poll(() => help.isVisible()).toBe(false)
    expect(await page.evaluate("document.activeElement?.getAttribute('aria-label')")).toBe("Search syntax")
    // The focused control shows it (the shared :focus-visible outline).
    expect(
      await page.evaluate(
        "getComputedStyle(document.activeElement).outlineStyle + ' ' + getComputedStyle(document.activeElement).outlineWidth"
      )
    ).toBe("solid 2px")
    // A click elsewhere closes the help too.
    await page.getByRole("button", { name: "Search syntax" }).click()
    await expect.poll(() => help.isVisible()).toBe(true)
    await page.locator(".brand").click()
    await expect.poll(() => help.isVisible()).toBe(false)
  })

  it("shows the connection going and coming back when the app server restarts on the same port", async () => {
    await page.goto(`${app.url}/#view=containers&search=ui-test-run:${run}`)
    await expect.poll(() => labels(page)).toEqual([names.db, names.job, names.web])
    await expect.poll(() => connectionText(page)).toBe("Live")
    const port = app.port
    await app.close()
    await expect.poll(() => connectionText(page)).toMatch(/^Offline · reconnecting in \d+s$/)
    expect(await page.getByRole("button", { name: "Retry now" }).isVisible()).toBe(true)
    expect(await page.locator("main.layout").getAttribute("class")).toContain("stale")
    await page.screenshot({ path: `${screenshots}reconnecting.png` })
    app = await startApp(port)
    // The probe registers again and reports; the page reconnects on its own (no click) and re-subscribes.
    await expect.poll(() => connectionText(page), { timeout: 30_000 }).toBe("Live")
    await until("the containers on the restarted app", () => rendered().length === 3)
    await expect.poll(() => labels(page)).toEqual([names.db, names.job, names.web])
    expect(await page.locator("main.layout").getAttribute("class")).not.toContain("stale")

    // Without a network, the page stops retrying and says so; when the network is back it reconnects at once.
    const sockets: Array<string> = []
    page.on("websocket", (socket) => sockets.push(socket.url()))
    await app.close()
    await expect.poll(() => connectionText(page)).toMatch(/^(Reconnecting…|Offline · reconnecting in \d+s)$/)
    await page.context().setOffline(true)
    await expect.poll(() => connectionText(page)).toBe("Offline · no network")
    app = await startApp(port)
    await until("the containers on the restarted app", () => rendered().length === 3)
    const attempts = sockets.length
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    expect(sockets.length).toBe(attempts)
    expect(await connectionText(page)).toBe("Offline · no network")
    await page.context().setOffline(false)
    await expect.poll(() => connectionText(page)).toBe("Live")
    await expect.poll(() => labels(page)).toEqual([names.db, names.job, names.web])
    // The browser logs the refused connections while the server was down or the network off, and the 400 of the
    // REST search that located the bad query's error; nothing else may fail.
    expect(
      errors.filter(
        (e) =>
          !/WebSocket|ERR_CONNECTION_REFUSED|ERR_INTERNET_DISCONNECTED|Failed to fetch/.test(e) && !e.includes("400")
      )
    ).toEqual([])
  })
})
