/**
 * End to end: the built UI served by a real app server, driven in headless Chromium. Reports go in the way a
 * probe sends them (register, then `POST /api/v1/reports`, which also feeds the time series behind the
 * sparklines), and a fake probe answers controls on its control channel. The test reads only what a user
 * sees (rows, the details panel, the URL).
 */
import { type App, Report } from "@orchestrator/core"
import { type Browser, errors as playwrightErrors, type Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest"
import { WebSocket } from "ws"
import { type BuiltUi, buildUi, screenshots, watchErrors } from "./browser.js"
import { browserCoverageFile } from "./browserCoverage.js"

const now = Date.now()
const containerId = (name: string) => `${name.replace(/[^a-z0-9]/g, "")}${"0".repeat(64)}`.slice(0, 64)

/** A probe reports every 15 s; the history is this many reports, the last one at `now`. */
const steps = 6
const stepTime = (step: number) => now - (steps - 1 - step) * 15_000

/** The samples a probe holds at `step`: one per earlier report, `null` where it recorded nothing. */
const samples = (values: ReadonlyArray<number | null>, step: number): Array<Report.Sample> =>
  values.slice(0, step + 1).flatMap((v, i) => (v === null ? [] : [[stepTime(i), v] as const]))

const host = (name: string, cpu: ReadonlyArray<number>) => (step: number) =>
  Report.makeNode("hosts", name, {
    latest: Report.latestFields(now, {
      name,
      os: "Debian GNU/Linux 12",
      cpu_cores: 4,
      memory_total_bytes: 8 * 1024 ** 3
    }),
    metrics: { cpu: samples(cpu, step), memory: samples([2e9, 2.1e9, 2.2e9, 2.1e9, 2.3e9, 2.2e9], step) }
  })

const container =
  (name: string, hostName: string, state: string, cpu: ReadonlyArray<number | null> = []) =>
  (step: number) =>
    Report.makeNode("containers", containerId(name), {
      latest: Report.latestFields(now, {
        docker_container_name: `/${name}`,
        docker_container_state: state,
        docker_image_name: name.startsWith("web") ? "nginx:1.27" : "busybox:latest"
      }),
      labels: Report.latestFields(now, { "com.example.team": "platform" }),
      parents: { hosts: [hostName] },
      metrics:
        cpu.length === 0
          ? {}
          : {
              cpu: samples(cpu, step),
              memory: samples(
                cpu.map((c) => (c === null ? null : 64e6 + c * 1e6)),
                step
              )
            },
      controls: state === "running" ? ["docker.stop", "docker.restart"] : ["docker.start", "docker.remove"]
    })

const endpoint =
  (address: string, port: number, owner: string, adjacency: ReadonlyArray<string> = []) =>
  (_step: number) =>
    Report.makeNode("endpoints", `;${address};${port}`, {
      latest: Report.latestFields(now, { addr: address, port }),
      parents: { containers: [containerId(owner)] },
      adjacency
    })

const report = (
  probeId: string,
  kind: "full" | "delta",
  seq: number,
  nodes: ReadonlyArray<Report.Node>,
  removed: Record<string, Array<string>> = {},
  timestamp = now
): Report.Report => {
  const topologies: Record<string, { nodes: Record<string, Report.Node>; removed?: Array<string> }> = {}
  for (const node of nodes) {
    topologies[node.topology] ??= { nodes: {} }
    topologies[node.topology]!.nodes[node.id] = node
  }
  for (const [topology, ids] of Object.entries(removed)) {
    topologies[topology] ??= { nodes: {} }
    topologies[topology]!.removed = ids
  }
  return { version: 1, probeId, hostname: probeId, kind, seq, timestamp, topologies }
}

/** A probe's reports over the last `steps` intervals: a full report, then deltas (seq 1, 2...). */
const history = (probeId: string, nodes: ReadonlyArray<(step: number) => Report.Node>) =>
  Array.from({ length: steps }, (_, step) =>
    report(
      probeId,
      step === 0 ? "full" : "delta",
      step,
      nodes.map((node) => node(step)),
      {},
      stepTime(step)
    )
  )

/** web-1's CPU: a lone first sample (drawn as a dot), a gap, then a run (drawn as a line). */
const web1Cpu = [12, null, 18, 25, 30, 22]

/** Two hosts, four containers (one stopped) and one connection, from web-1 to db-1. */
const probeA = history("probe-a", [
  host("node-a", [20, 25, 22, 24, 21, 20]),
  container("web-1", "node-a", "running", web1Cpu),
  container("db-1", "node-a", "running", [40, 42, 41, 45, 44, 43]),
  endpoint("10.0.0.2", 41000, "web-1", [";10.0.0.3;5432"]),
  endpoint("10.0.0.3", 5432, "db-1")
])
const probeB = history("probe-b", [
  host("node-b", [60, 62, 65, 61, 60, 64]),
  container("cache-1", "node-b", "running", [5, 6, 5, 7, 6, 5]),
  container("old-job", "node-b", "exited")
])

/** Controls the fake probes offer (the details panel shows these labels). */
const controls = [
  { id: "docker.stop", label: "Stop", confirm: true },
  { id: "docker.restart", label: "Restart" },
  { id: "docker.start", label: "Start" },
  { id: "docker.remove", label: "Remove", confirm: true }
]

/** Publishes reports like a probe: registers the agent (idempotent), then posts the reports in order. */
const publish = async (app: App.App, reports: ReadonlyArray<Report.Report>, token?: string) => {
  const headers = {
    "content-type": "application/json",
    ...(token === undefined ? {} : { authorization: `Bearer ${token}` })
  }
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${app.url}${path}`, { method: "POST", headers, body: JSON.stringify(body) })
    if (!response.ok) throw new Error(`POST ${path}: ${response.status} ${await response.text()}`)
  }
  const first = reports[0]!
  await post("/api/v1/agents/register", { agentId: first.probeId, hostname: first.hostname, version: "test", controls })
  for (const report of reports) await post("/api/v1/reports", report)
}

/** A probe's control channel that answers every control with `{ ok: true, result: { action } }`. */
const fakeControlChannel = async (app: App.App, probeId: string) => {
  const socket = new WebSocket(`${app.url.replace(/^http/, "ws")}/api/v1/probe/ws?agent_id=${probeId}`)
  const received: Array<{ action: string; nodeId: string; topology: string }> = []
  socket.on("message", (data) => {
    const message = JSON.parse(String(data)) as {
      type: string
      request?: { id: string; action: string; nodeId: string; topology: string }
    }
    if (message.type !== "control" || message.request === undefined) return
    const { id, action, nodeId, topology } = message.request
    received.push({ action, nodeId, topology })
    socket.send(JSON.stringify({ type: "control.result", result: { id, ok: true, result: { action } } }))
  })
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve())
    socket.once("error", reject)
  })
  return { received, close: () => socket.close() }
}

/** The labels in the table, in the order shown. */
const labels = (page: Page) => page.locator("table.nodes tbody tr td.label").allTextContents()

/** The label of the table row that has keyboard focus, or `null`. */
const focusedRow = (page: Page) =>
  page.evaluate("document.activeElement?.querySelector('td.label')?.textContent ?? null")

/** The UI under test, built from the current source for this run (see {@link buildUi}). */
let ui: BuiltUi

beforeAll(async () => {
  // With other suites running (two cores, several Chromiums), a page can take seconds to react: poll longer.
  vi.setConfig({ expect: { poll: { interval: 50, timeout: 10_000 } } })
  ui = await buildUi({ name: "test", coverageFile: browserCoverageFile })
})

afterAll(async () => {
  vi.resetConfig()
  await ui?.finish()
})

describe("the web UI against a real app server", () => {
  let app: App.App
  let browser: Browser
  let page: Page
  let errors: Array<string>
  let probe: Awaited<ReturnType<typeof fakeControlChannel>>

  beforeAll(async () => {
    app = await ui.serve()
    await publish(app, probeA)
    await publish(app, probeB)
    probe = await fakeControlChannel(app, "probe-a")
    browser = await ui.launch()
    page = await ui.coverage.track(await browser.newPage({ viewport: { width: 1280, height: 760 } }))
    errors = watchErrors(page)
  })

  afterAll(async () => {
    probe?.close()
    await ui.closeBrowsers()
    await app?.close()
  })

  it("lists the containers view with counts, statuses and connection counts", async () => {
    await page.goto(`${app.url}/#mode=table`)
    await expect.poll(() => labels(page)).toEqual(["cache-1", "db-1", "old-job", "web-1"])
    await expect.poll(() => page.locator(".pill").textContent()).toContain("Live")
    expect(await page.locator('.views button[aria-current="true"]').getAttribute("data-view")).toBe("containers")
    await expect.poll(() => page.locator('.views button[data-view="containers"] .count').textContent()).toBe("4")
    const row = (name: string) =>
      page.locator("table.nodes tbody tr", { has: page.locator("td.label", { hasText: name }) }).locator("td")
    expect(await row("web-1").allTextContents()).toEqual(["web-1", "node-a", "healthy", "22.0%", "82.0 MiB", "0", "1"])
    expect(await row("db-1").allTextContents()).toEqual(["db-1", "node-a", "healthy", "43.0%", "102 MiB", "1", "0"])
    expect(await row("old-job").allTextContents()).toEqual(["old-job", "node-b", "stopped", "–", "–", "0", "0"])
  })

  it("sorts by a column when its header is clicked", async () => {
    await page.getByRole("button", { name: "CPU" }).click()
    await expect.poll(() => labels(page)).toEqual(["db-1", "web-1", "cache-1", "old-job"])
    expect(page.url()).toContain("sort=cpu&dir=desc")
    await page.getByRole("button", { name: "Name" }).click()
    await expect.poll(() => labels(page)).toEqual(["cache-1", "db-1", "old-job", "web-1"])
  })

  it("filters by status and by search, and keeps both in the URL", async () => {
    await page.getByRole("button", { name: "Stopped" }).click()
    await expect.poll(() => labels(page)).toEqual(["old-job"])
    await page.getByRole("button", { name: "All" }).click()
    await expect.poll(() => labels(page)).toEqual(["cache-1", "db-1", "old-job", "web-1"])
    await page.getByRole("searchbox", { name: "Search nodes" }).fill("web")
    await expect.poll(() => labels(page)).toEqual(["web-1"])
    expect(new URL(page.url()).hash).toBe("#view=containers&search=web")
  })

  it("opens a node's details with sparklines when its row is clicked", async () => {
    await page.locator("table.nodes tbody tr", { hasText: "web-1" }).click()
    const details = page.locator("aside.details")
    await expect.poll(() => details.locator("h2").textContent()).toBe("web-1")
    // Per metric: the run of samples as a line, the lone first sample as a dot.
    const sparklines = details.locator("section.panel-metrics .metric")
    const shapes = () =>
      sparklines.evaluateAll((metrics) =>
        metrics.map((m) => [
          m.getAttribute("data-metric"),
          m.querySelectorAll("svg polyline").length,
          m.querySelectorAll("svg circle").length
        ])
      )
    await expect.poll(shapes).toEqual([
      ["cpu", 1, 1],
      ["memory", 1, 1]
    ])
    expect(await page.locator("table.nodes tbody tr.selected td.label").textContent()).toBe("web-1")
    const hash = new URLSearchParams(new URL(page.url()).hash.slice(1))
    expect(Object.fromEntries(hash)).toEqual({
      view: "containers",
      search: "web",
      topology: "containers",
      node: containerId("web-1")
    })
    await page.screenshot({ path: `${screenshots}containers-details.png` })
  })

  it("runs a control after confirming it and shows the probe's answer", async () => {
    await page.locator("aside.details").getByRole("button", { name: "Stop" }).click()
    await page.getByRole("dialog", { name: "Stop web-1?" }).getByRole("button", { name: "Stop" }).click()
    await expect
      .poll(() => page.locator('aside.details output[data-control="docker.stop"]').textContent())
      .toBe('Done: {"action":"docker.stop"}')
    expect(probe.received).toEqual([{ action: "docker.stop", nodeId: containerId("web-1"), topology: "containers" }])
  })

  it("removes a row live when a report removes the container", async () => {
    await page.getByRole("searchbox", { name: "Search nodes" }).fill("")
    await expect.poll(() => labels(page)).toEqual(["cache-1", "db-1", "old-job", "web-1"])
    await publish(app, [report("probe-b", "delta", steps, [], { containers: [containerId("cache-1")] })])
    await expect.poll(() => labels(page)).toEqual(["db-1", "old-job", "web-1"])
    await expect.poll(() => page.locator('.views button[data-view="containers"] .count').textContent()).toBe("3")
    // The details were reloaded meanwhile; the control's outcome stays on screen.
    expect(await page.locator('aside.details output[data-control="docker.stop"]').textContent()).toBe(
      'Done: {"action":"docker.stop"}'
    )
    await page.screenshot({ path: `${screenshots}containers-after-delta.png` })
  })

  it("keeps keyboard focus on the same control when the details reload", async () => {
    const details = page.locator("aside.details")
    await details.getByRole("button", { name: "Restart" }).focus()
    // A report replaces the whole node: the same container, with one label changed.
    const relabelled = {
      ...container("web-1", "node-a", "running", web1Cpu)(steps - 1),
      labels: Report.latestFields(now, { "com.example.team": "storefront" })
    }
    await publish(app, [report("probe-a", "delta", steps, [relabelled])])
    // The details reload at most once a second.
    await expect
      .poll(() => details.locator('section[data-panel="labels"] li').allTextContents())
      .toEqual(["com.example.team=storefront"])
    expect(await page.evaluate("document.activeElement?.dataset?.focusKey")).toBe("control:docker.restart")
  })

  it("opens a connected node from the details, and Back returns to the previous one", async () => {
    const details = page.locator("aside.details")
    const connections = details.locator('section[data-panel="connections"] li')
    expect(await connections.allTextContents()).toEqual(["→db-1port 5432 · 1 connection"])
    await connections.getByRole("button").click()
    await expect.poll(() => details.locator("h2").textContent()).toBe("db-1")
    await expect.poll(() => page.locator("table.nodes tbody tr.selected td.label").textContent()).toBe("db-1")
    expect(new URLSearchParams(new URL(page.url()).hash.slice(1)).get("node")).toBe(containerId("db-1"))
    await page.goBack()
    await expect.poll(() => details.locator("h2").textContent()).toBe("web-1")
    await expect.poll(() => page.locator("table.nodes tbody tr.selected td.label").textContent()).toBe("web-1")
  })

  it("closes the details with Escape and returns focus to the row", async () => {
    await page.keyboard.press("Escape")
    await expect.poll(() => page.locator("aside.details").isHidden()).toBe(true)
    expect(new URL(page.url()).hash).toBe("#view=containers")
    expect(await page.evaluate("document.activeElement?.dataset?.id")).toBe(containerId("web-1"))
  })

  it("moves between rows with the arrow, Home and End keys, and opens a row with Enter", async () => {
    const moves: Array<[string, string]> = [
      ["ArrowUp", "old-job"],
      ["Home", "db-1"],
      ["ArrowDown", "old-job"],
      ["End", "web-1"],
      ["ArrowUp", "old-job"]
    ]
    for (const [key, row] of moves) {
      await page.keyboard.press(key)
      expect(await focusedRow(page)).toBe(row)
    }
    await page.keyboard.press("Enter")
    await expect.poll(() => page.locator("aside.details h2").textContent()).toBe("old-job")
    expect(await page.evaluate("document.activeElement?.id")).toBe("details-title")
  })

  it("shows why a control failed", async () => {
    await page.locator("aside.details").getByRole("button", { name: "Start" }).click()
    const output = page.locator('aside.details output[data-control="docker.start"]')
    await expect.poll(() => output.textContent()).toBe("Failed: probe probe-b has no open control channel")
    expect(await output.getAttribute("class")).toBe("result failed")
  })

  it("focuses the search on / and applies it on Enter", async () => {
    await page.keyboard.press("Escape")
    await expect.poll(() => focusedRow(page)).toBe("old-job")
    await page.keyboard.press("/")
    await page.keyboard.type("db")
    await page.keyboard.press("Enter")
    await expect.poll(() => labels(page)).toEqual(["db-1"])
    expect(new URL(page.url()).hash).toBe("#view=containers&search=db")
    await page.getByRole("searchbox", { name: "Search nodes" }).fill("")
    await page.keyboard.press("Enter")
    await expect.poll(() => labels(page)).toEqual(["db-1", "old-job", "web-1"])
  })

  it("switches views from the header, and Back returns to the previous view", async () => {
    await page.locator('.views button[data-view="hosts"]').click()
    await expect.poll(() => labels(page)).toEqual(["node-a", "node-b"])
    expect(new URL(page.url()).hash).toBe("#view=hosts")
    expect(await page.locator('.views button[aria-current="true"]').getAttribute("data-view")).toBe("hosts")
    await page.goBack()
    await expect.poll(() => labels(page)).toEqual(["db-1", "old-job", "web-1"])
    expect(await page.locator('.views button[aria-current="true"]').getAttribute("data-view")).toBe("containers")
  })

  it("restores the view, search and selected node from a shared link", async () => {
    const other = await ui.coverage.track(await browser.newPage())
    const otherErrors = watchErrors(other)
    await other.goto(`${app.url}/#view=containers&search=db&topology=containers&node=${containerId("db-1")}`)
    await expect.poll(() => labels(other)).toEqual(["db-1"])
    await expect.poll(() => other.locator("aside.details h2").textContent()).toBe("db-1")
    expect(await other.getByRole("searchbox", { name: "Search nodes" }).inputValue()).toBe("db")
    await ui.coverage.collect(other)
    await other.close()
    expect(otherErrors).toEqual([])
  })

  it("says so when a link names a view and a node the app server does not know", async () => {
    const other = await ui.coverage.track(await browser.newPage())
    const otherErrors = watchErrors(other)
    await other.goto(`${app.url}/#view=nope&topology=containers&node=gone`)
    await expect
      .poll(() => other.locator("p.banner").textContent())
      .toBe('The app server has no view "nope". Pick one above.')
    await expect
      .poll(() => other.locator("aside.details .notice").textContent())
      .toBe("This node is gone: the app server no longer knows it.")
    await other.getByRole("button", { name: "Close details" }).click()
    await expect.poll(() => other.locator("aside.details").isHidden()).toBe(true)
    expect(new URL(other.url()).hash).toBe("#view=nope")
    // The named view is shown as current, without a count.
    expect(await other.locator('.views button[aria-current="true"]').textContent()).toBe("nope")
    await other.locator('.views button[data-view="containers"]').click()
    await expect.poll(() => labels(other)).toEqual(["db-1", "old-job", "web-1"])
    expect(await other.locator("p.banner").isHidden()).toBe(true)
    await ui.coverage.collect(other)
    await other.close()
    // The browser logs the unknown node's 404; nothing else may fail.
    expect(otherErrors.filter((e) => !e.includes("404"))).toEqual([])
  })

  it("keeps asking for the session while the app server cannot be reached", async () => {
    const other = await ui.coverage.track(await browser.newPage())
    const otherErrors = watchErrors(other)
    await other.clock.install()
    await other.route("**/api/v1/auth/session", (route) => route.abort("connectionrefused"), { times: 1 })
    await other.goto(`${app.url}/#mode=table`)
    await expect
      .poll(() => other.getByRole("alert").textContent())
      .toBe("Cannot reach the app server (TypeError: Failed to fetch). Retrying…")
    // The next attempt is due a second later.
    await other.clock.fastForward(1_000)
    await expect.poll(() => labels(other)).toEqual(["db-1", "old-job", "web-1"])
    await ui.coverage.collect(other)
    await other.close()
    // The browser logs the refused request; nothing else may fail.
    expect(otherErrors.filter((e) => !e.includes("ERR_CONNECTION_REFUSED"))).toEqual([])
  })

  it("reconnects and re-subscribes after the app server restarts", async () => {
    const port = app.port
    await app.close()
    await expect.poll(() => page.locator(".pill").textContent()).toContain("Offline")
    await page.screenshot({ path: `${screenshots}offline.png` })
    app = await ui.serve({ port })
    await publish(app, probeB)
    // Skip the backoff wait. On a loaded machine the backoff timer can win the race: the page is live again
    // before the click and the button is hidden, which is as good.
    await page
      .getByRole("button", { name: "Retry now" })
      .click({ timeout: 2_000 })
      .catch((error: unknown) => {
        if (!(error instanceof playwrightErrors.TimeoutError)) throw error
      })
    await expect.poll(() => page.locator(".pill").textContent(), { timeout: 20_000 }).toContain("Live")
    await expect.poll(() => labels(page)).toEqual(["cache-1", "old-job"])
    // The page's own console reports the refused connections while the server was down; nothing else may fail.
    expect(errors.filter((e) => !e.includes("WebSocket") && !e.includes("ERR_CONNECTION_REFUSED"))).toEqual([])
  })
})

describe("the web UI against an app server that requires a token", () => {
  const token = "correct-horse-battery"
  let app: App.App
  let browser: Browser
  let page: Page
  let errors: Array<string>

  beforeAll(async () => {
    app = await ui.serve({ token })
    await publish(app, probeA, token)
    browser = await ui.launch()
    page = await ui.coverage.track(await browser.newPage())
    errors = watchErrors(page)
  })

  afterAll(async () => {
    await ui.closeBrowsers()
    await app?.close()
  })

  it("asks for the token, refuses a wrong one, then shows the views", async () => {
    await page.goto(`${app.url}/#mode=table`)
    const input = page.getByLabel("Token")
    await input.fill("not-the-token")
    await page.getByRole("button", { name: "Sign in" }).click()
    await expect.poll(() => page.getByRole("alert").textContent()).toBe("That token is not valid.")
    await page.screenshot({ path: `${screenshots}login.png` })
    await input.fill(token)
    await page.getByRole("button", { name: "Sign in" }).click()
    await expect.poll(() => labels(page)).toEqual(["db-1", "web-1"])
    await page.screenshot({ path: `${screenshots}login-then-containers.png` })
    // The wrong token's 401 is logged by the browser; nothing else may fail.
    expect(errors.filter((e) => !e.includes("401"))).toEqual([])
  })

  it("asks for the token again when the session ends, then opens what was clicked", async () => {
    // As if the user signed out in another tab: the next request (the details) is refused.
    expect(await page.evaluate(`fetch("api/v1/auth/session", { method: "DELETE" }).then((r) => r.status)`)).toBe(200)
    await page.locator("table.nodes tbody tr", { hasText: "web-1" }).click()
    await expect.poll(() => page.getByRole("alert").textContent()).toBe("Your session ended. Enter the token again.")
    await page.getByLabel("Token").fill(token)
    await page.getByRole("button", { name: "Sign in" }).click()
    await expect.poll(() => labels(page)).toEqual(["db-1", "web-1"])
    await expect.poll(() => page.locator("aside.details h2").textContent()).toBe("web-1")
    expect(errors.filter((e) => !e.includes("401"))).toEqual([])
  })
})
