/**
 * End to end, against the real thing: the built UI served by a real app server, a real probe in this process
 * (the Docker collector and controls on the shared dockerd, reporting every second), real busybox containers,
 * headless Chromium. The test acts the way a person does (clicks, keys) and checks the outcome in Docker through
 * the Engine API: containers stop, logs stream, a terminal runs a command.
 */
import { hostname } from "node:os"
import type { App } from "@orchestrator/core"
import { createProbe, type RunningProbe } from "@orchestrator/probe"
import type { Browser, Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest"
import { engineRequest } from "../../../test/fixtures/dockerApi.js"
import { dockerFixture, requireDocker } from "../../../test/fixtures/index.js"
import { type BuiltUi, buildUi, coverageFileNamed, screenshots, watchErrors } from "./browser.js"

/** This file's browser coverage, next to the one `ui.browser.test.ts` writes (both are merged by the check). */
const coverageFile = coverageFileNamed("controls.json")

/** Names of this file's containers (an interrupted earlier run's leftovers are removed first). */
const prefix = "orch-ui-ctl-"
const name = (suffix: string) => `${prefix}${suffix}-${process.pid}`

/** Prints a numbered line every second until stopped (and stops at once on SIGTERM). */
const ticker = ["sh", "-c", "trap 'exit 0' TERM; i=0; while :; do i=$((i+1)); echo tick-$i; sleep 1; done"]

describe.skipIf(dockerFixture() === null)("container controls, logs and terminals in the browser", () => {
  const { socketPath, testImage } = dockerFixture() === null ? { socketPath: "", testImage: "" } : requireDocker()

  const engine = async (method: string, path: string, body?: unknown) => {
    const answer = await engineRequest(socketPath, method, path, {
      ...(body === undefined ? {} : { body: Buffer.from(JSON.stringify(body)), contentType: "application/json" }),
      timeoutMs: 30_000
    })
    if (answer.status >= 300) throw new Error(`docker ${method} ${path}: ${answer.status} ${answer.body}`)
    return answer.body === "" ? undefined : JSON.parse(answer.body)
  }
  /** A container's state as Docker says (`running`, `exited`), or `gone`. */
  const dockerState = async (id: string): Promise<string> => {
    const answer = await engineRequest(socketPath, "GET", `/containers/${id}/json`, { timeoutMs: 10_000 })
    if (answer.status === 404) return "gone"
    return (JSON.parse(answer.body) as { State: { Status: string } }).State.Status
  }
  const removeOurs = async () => {
    const filters = encodeURIComponent(JSON.stringify({ name: [prefix] }))
    const list = (await engine("GET", `/containers/json?all=1&filters=${filters}`)) as Array<{ Id: string }>
    await Promise.all(
      list.map((c) => engineRequest(socketPath, "DELETE", `/containers/${c.Id}?force=1&v=1`, { timeoutMs: 30_000 }))
    )
  }
  const run = async (suffix: string) => {
    const { Id } = (await engine("POST", `/containers/create?name=${name(suffix)}`, {
      Image: testImage,
      Cmd: ticker,
      Env: ["GREETING=hello-from-env"],
      Labels: { "orchestrator.test": "ui-controls" },
      ExposedPorts: { "8080/tcp": {} }
    })) as { Id: string }
    await engine("POST", `/containers/${Id}/start`)
    return { id: Id as string, name: name(suffix) }
  }

  let ui: BuiltUi
  let app: App.App
  let probe: RunningProbe.RunningProbe
  let browser: Browser
  let page: Page
  let errors: Array<string>
  let alpha: { id: string; name: string }
  let bravo: { id: string; name: string }
  let charlie: { id: string; name: string }

  const labels = () => page.locator("table.nodes tbody tr td.label").allTextContents()
  const row = (container: { name: string }) =>
    page.locator("table.nodes tbody tr", { has: page.locator("td.label", { hasText: container.name }) })
  const details = () => page.locator("aside.details")
  /** A property of the element that has keyboard focus. */
  const focused = (property: "textContent" | "className" | "ariaLabel") =>
    page.evaluate(`document.activeElement?.${property} ?? null`)

  beforeAll(async () => {
    vi.setConfig({ expect: { poll: { interval: 50, timeout: 15_000 } } })
    await removeOurs()
    const [, containers] = await Promise.all([
      buildUi({ name: "controls", coverageFile }).then((built) => {
        ui = built
      }),
      Promise.all([run("alpha"), run("bravo"), run("charlie")])
    ])
    ;[alpha, bravo, charlie] = containers
    app = await ui.serve()
    probe = await createProbe({
      appUrl: app.url,
      probeId: "ui-controls-probe",
      hostname: "ui-controls-host",
      intervalMs: 1_000,
      processes: false,
      kubernetes: false,
      dockerSocket: socketPath,
      backoffInitialMs: 50,
      backoffMaxMs: 500
    })
    browser = await ui.launch()
    page = await ui.coverage.track(await browser.newPage({ viewport: { width: 1400, height: 900 } }))
    errors = watchErrors(page)
  })

  afterAll(async () => {
    vi.resetConfig()
    await ui?.finish()
    await probe?.stop()
    await app?.close()
    if (socketPath !== "") await removeOurs()
  })

  it("shows the engine's containers in the containers view", async () => {
    // The table view of the containers, named in the link so a different default mode does not matter.
    await page.goto(`${app.url}/#view=containers&mode=table&search=${prefix}`)
    await expect.poll(labels).toEqual([alpha.name, bravo.name, charlie.name])
    await expect.poll(() => row(alpha).locator(".status").textContent()).toBe("healthy")
    await page.screenshot({ path: `${screenshots}controls-containers.png` })
  })

  it("opens a container's details: controls, sparklines, metadata, labels, environment, ports and parents", async () => {
    await row(alpha).locator("td.label").click()
    await expect.poll(() => details().locator("h2").textContent()).toBe(alpha.name)
    const buttons = details().locator('section[data-panel="controls"] button')
    await expect
      .poll(() => buttons.allTextContents())
      .toEqual(["Stop", "Restart", "Pause", "Logs", "Exec shell", "Attach", "Inspect"])
    // Samples arrive every second: each metric shows a line or a dot, its latest value, and the window's range.
    const metric = details().locator('section[data-panel="metrics"] .metric[data-metric="memory"]')
    await expect.poll(() => metric.locator("svg polyline, svg circle").count()).toBeGreaterThan(0)
    expect(await metric.locator(".latest").textContent()).toMatch(/^[\d.]+ (B|KiB|MiB)$/)
    expect(await metric.locator(".range").textContent()).toMatch(/^min [\d.]+ \w+ · max [\d.]+ \w+$/)
    expect(await metric.locator(".metric-window").textContent()).toMatch(/^last \d+ (s|min) · 15 s steps$/)
    const info = details().locator('section[data-panel="info"]')
    expect(
      await info
        .locator("dt", { hasText: /^State$/ })
        .locator("+ dd")
        .textContent()
    ).toBe("running")
    expect(await details().locator('section[data-panel="labels"] li').allTextContents()).toContain(
      "orchestrator.test=ui-controls"
    )
    expect(await details().locator('section[data-panel="environment"] dl').textContent()).toContain(
      "GREETINGhello-from-env"
    )
    expect(await details().locator('section[data-panel="ports"] dd').allTextContents()).toEqual(["8080/tcp"])
    // The host node is "ui-controls-host" (the probe's host id), labelled with the machine's name.
    const parents = details().locator('section[data-panel="relatives"] button')
    expect(await parents.allTextContents()).toContain(`↑${hostname()}hosts`)
    await page.screenshot({ path: `${screenshots}controls-details.png` })
    // A parent is a link: it opens the host, and Back returns.
    await parents.filter({ hasText: `${hostname()}hosts` }).click()
    await expect.poll(() => details().locator("h2").textContent()).toBe(hostname())
    expect(new URLSearchParams(new URL(page.url()).hash.slice(1)).get("node")).toBe("ui-controls-host")
    await page.goBack()
    await expect.poll(() => details().locator("h2").textContent()).toBe(alpha.name)
  })

  it("streams a container's logs live, pauses auto-scroll when scrolled up, and releases the pipe on close", async () => {
    await details().getByRole("button", { name: "Logs" }).click()
    const panel = page.locator("section.stream-logs")
    await expect.poll(() => panel.locator(".stream-status").textContent()).toBe("Live")
    const output = panel.locator("pre.logs-output")
    const lastTick = async () => Math.max(0, ...((await output.textContent()) ?? "").match(/\d+/g)!.map(Number))
    await expect.poll(() => output.textContent()).toMatch(/tick-\d+\n/)
    const first = await lastTick()
    // New lines keep arriving while the panel is open.
    await expect.poll(lastTick).toBeGreaterThanOrEqual(first + 2)
    expect(probe.stats().controls.pipesOpen).toBe(1)
    expect(await focused("className")).toBe("logs-output")
    // Opening them again while they run goes to the same panel.
    await details().getByRole("button", { name: "Logs" }).click()
    await expect
      .poll(() => details().locator('output[data-control="docker.logs"]').textContent())
      .toBe("Already open below")
    expect(await panel.count()).toBe(1)
    expect(probe.stats().controls.pipesOpen).toBe(1)
    // Scrolled up: auto-scroll pauses; the button resumes it and jumps to the newest line.
    await output.evaluate((el) => {
      el.style.maxHeight = "60px"
    })
    // scrolling up means something only once the lines overflow the box
    await expect
      .poll(() => output.evaluate((el) => el.scrollHeight > el.clientHeight + 10), { timeout: 15_000 })
      .toBe(true)
    await output.evaluate((el) => {
      el.scrollTop = 0
      el.dispatchEvent(new Event("scroll"))
    })
    const follow = panel.getByRole("button", { name: "Auto-scroll" })
    await expect.poll(() => follow.getAttribute("aria-pressed")).toBe("false")
    await follow.click()
    expect(await follow.getAttribute("aria-pressed")).toBe("true")
    expect(await output.evaluate((el) => el.scrollTop + el.clientHeight >= el.scrollHeight - 4)).toBe(true)
    await output.evaluate((el) => {
      el.style.maxHeight = ""
    })
    await page.screenshot({ path: `${screenshots}controls-logs.png` })
    // Escape in the logs closes them, not the details; the pipe is released in the probe.
    await output.focus()
    await page.keyboard.press("Escape")
    await expect.poll(() => panel.count()).toBe(0)
    expect(await details().isVisible()).toBe(true)
    await expect.poll(() => probe.stats().controls.pipesOpen).toBe(0)
    expect(await focused("textContent")).toBe("Logs")
  })

  it("runs a command in an interactive terminal, resizes it, and keeps it open on Escape", async () => {
    await details().getByRole("button", { name: "Exec shell" }).click()
    const panel = page.locator("section.stream-terminal")
    await expect.poll(() => panel.locator(".stream-status").textContent()).toBe("Live")
    const rows = () =>
      panel
        .locator(".xterm-rows > div")
        .allTextContents()
        .then((lines) => lines.map((line) => line.replace(/\u00a0/g, " ").trimEnd()))
    // The shell's prompt, then a command typed into the terminal and its output.
    await expect.poll(async () => (await rows()).join("\n")).toMatch(/[#$] ?$/m)
    await page.keyboard.type("echo hello-$RANDOM\n")
    await expect.poll(async () => (await rows()).find((line) => /^hello-\d+$/.test(line))).toBeDefined()
    // The terminal fills its panel, and the shell's TTY has that size.
    expect(await panel.locator(".xterm-screen").evaluate((el) => el.clientWidth)).toBeGreaterThan(300)
    await page.keyboard.type("busybox stty size\n")
    await expect.poll(async () => (await rows()).find((line) => /^\d+ \d+$/.test(line))).toBeDefined()
    const [before] = (await rows()).filter((line) => /^\d+ \d+$/.test(line))
    await page.setViewportSize({ width: 1000, height: 900 })
    await page.keyboard.type("clear; busybox stty size\n")
    await expect
      .poll(async () => (await rows()).find((line) => /^\d+ \d+$/.test(line) && line !== before))
      .toBeDefined()
    await page.screenshot({ path: `${screenshots}controls-terminal.png` })
    // Escape goes to the shell: the terminal and the details stay open.
    await page.keyboard.press("Escape")
    await page.waitForTimeout(200)
    expect(await panel.locator(".stream-status").textContent()).toBe("Live")
    expect(await details().isVisible()).toBe(true)
    // Ctrl+] leaves the terminal for its Close button; Escape there goes back to the running shell.
    await page.keyboard.press("Control+]")
    expect(await focused("ariaLabel")).toBe(`Close terminal of ${alpha.name}`)
    await page.keyboard.press("Escape")
    expect(await focused("className")).toContain("xterm-helper-textarea")
    expect(probe.stats().controls.pipesOpen).toBe(1)
    // The shell exits: the session ends in the probe, the panel says so, and now Escape closes it.
    await page.keyboard.type("exit\n")
    await expect.poll(() => panel.locator(".stream-status").textContent()).toBe("Ended: exited with code 0")
    await expect
      .poll(() => details().locator('output[data-control="docker.exec"]').textContent())
      .toBe("Ended: exited with code 0")
    expect(probe.stats().controls.pipesOpen).toBe(0)
    await page.keyboard.press("Escape")
    await expect.poll(() => panel.count()).toBe(0)
    expect(await details().isVisible()).toBe(true)
    expect(await details().locator('output[data-control="docker.exec"]').count()).toBe(0)
    await page.setViewportSize({ width: 1400, height: 900 })
  })

  it("stops a container from its panel: Docker stops it, the node changes state, its logs end", async () => {
    await details().getByRole("button", { name: "Logs" }).click()
    const logs = page.locator("section.stream-logs")
    await expect.poll(() => logs.locator(".stream-status").textContent()).toBe("Live")
    await logs.getByRole("button", { name: "Clear" }).click()
    await details().getByRole("button", { name: "Stop", exact: true }).click()
    const output = details().locator('output[data-control="docker.stop"]')
    await expect.poll(() => output.textContent()).toBe("Done: now exited")
    expect(await dockerState(alpha.id)).toBe("exited")
    await expect.poll(() => row(alpha).locator(".status").textContent()).toBe("stopped")
    // The log stream ends with the container; the panel stays for reading until closed.
    await expect
      .poll(() => logs.locator(".stream-status").textContent())
      .toBe("Ended: the container's log stream ended")
    await logs.getByRole("button", { name: `Close logs of ${alpha.name}` }).click()
    await expect.poll(() => logs.count()).toBe(0)
    // The panel offers what an exited container can do.
    await expect
      .poll(() => details().locator('section[data-panel="controls"] button').allTextContents())
      .toEqual(["Start", "Restart", "Remove", "Logs", "Inspect"])
  })

  it("asks before removing a container, in the page, and does nothing when cancelled", async () => {
    await details().getByRole("button", { name: "Remove" }).click()
    const dialog = page.getByRole("dialog", { name: `Remove ${alpha.name}?` })
    await expect.poll(() => dialog.isVisible()).toBe(true)
    expect(await focused("textContent")).toBe("Cancel")
    await page.screenshot({ path: `${screenshots}controls-confirm.png` })
    // Escape cancels the dialog only: the details stay open and Docker still has the container.
    await page.keyboard.press("Escape")
    await expect.poll(() => dialog.isVisible()).toBe(false)
    expect(await details().isVisible()).toBe(true)
    expect(await dockerState(alpha.id)).toBe("exited")
    await details().getByRole("button", { name: "Remove" }).click()
    await dialog.getByRole("button", { name: "Remove" }).click()
    await expect
      .poll(() => details().locator('output[data-control="docker.remove"]').textContent())
      .toBe("Done: removed")
    expect(await dockerState(alpha.id)).toBe("gone")
    await expect.poll(labels).toEqual([bravo.name, charlie.name])
    // The panel says the node left: the view dropped it, or the app forgot it (whichever it heard last).
    await expect
      .poll(() => details().locator(".notice").textContent())
      .toMatch(/^This node is (no longer in the view|gone: the app server no longer knows it)\.$/)
    // Its old buttons are still on screen: a stream on a container that is gone says why it failed.
    await details().getByRole("button", { name: "Logs" }).click()
    const logs = page.locator("section.stream-logs")
    await expect.poll(() => logs.locator(".stream-status").textContent()).toMatch(/^Failed: .*No such container/)
    const output = details().locator('output[data-control="docker.logs"]')
    await expect.poll(() => output.textContent()).toMatch(/^Failed: .*No such container/)
    expect(await output.getAttribute("class")).toBe("result failed")
    await logs.getByRole("button", { name: `Close logs of ${alpha.name}` }).click()
    await page.keyboard.press("Escape")
  })

  it("stops two selected containers at once after a confirmation, with a result per container", async () => {
    await expect.poll(() => details().isHidden()).toBe(true)
    const bar = page.getByRole("region", { name: "Bulk actions" })
    // A checkbox selects a row; shift-click selects the rows from there; ctrl-click and Space toggle one.
    await row(bravo).locator("input.select").click()
    await row(charlie)
      .locator("td.minor")
      .click({ modifiers: ["Shift"] })
    await expect.poll(() => bar.locator(".bulk-count").textContent()).toBe("2 selected")
    await row(charlie)
      .locator("td.minor")
      .click({ modifiers: ["Control"] })
    await expect.poll(() => bar.locator(".bulk-count").textContent()).toBe("1 selected")
    expect(await row(charlie).locator("input.select").isChecked()).toBe(false)
    await row(charlie).focus()
    await page.keyboard.press(" ")
    await expect.poll(() => bar.locator(".bulk-count").textContent()).toBe("2 selected")
    expect(await page.locator("table.nodes tbody tr.checked td.label").allTextContents()).toEqual([
      bravo.name,
      charlie.name
    ])
    // Selecting does not open the details.
    expect(await details().isHidden()).toBe(true)
    await expect
      .poll(() => bar.locator(".bulk-actions button").allTextContents())
      .toEqual(["Stop", "Restart", "Pause", "Inspect"])
    await bar.getByRole("button", { name: "Stop", exact: true }).click()
    const dialog = page.getByRole("dialog", { name: "Stop 2 nodes?" })
    await expect.poll(() => dialog.locator("li").allTextContents()).toEqual([bravo.name, charlie.name])
    await dialog.getByRole("button", { name: "Stop" }).click()
    await expect.poll(() => bar.locator(".bulk-summary").textContent()).toBe("Stop: 2 of 2 succeeded")
    expect(await bar.locator(".bulk-result-list li").allTextContents()).toEqual([
      `${bravo.name}Done: now exited`,
      `${charlie.name}Done: now exited`
    ])
    expect([await dockerState(bravo.id), await dockerState(charlie.id)]).toEqual(["exited", "exited"])
    await expect.poll(() => row(bravo).locator(".status").textContent()).toBe("stopped")
    await expect.poll(() => row(charlie).locator(".status").textContent()).toBe("stopped")
    // The bar now offers what stopped containers can do.
    await expect
      .poll(() => bar.locator(".bulk-actions button").allTextContents())
      .toEqual(["Start", "Restart", "Remove", "Inspect"])
    await page.screenshot({ path: `${screenshots}controls-bulk.png` })
    // Start both again without a second question? No: a change to many always asks.
    await bar.getByRole("button", { name: "Start", exact: true }).click()
    await page
      .getByRole("dialog", { name: "Start 2 nodes?" })
      .getByRole("button", { name: "Start", exact: true })
      .click()
    await expect.poll(() => bar.locator(".bulk-summary").textContent()).toBe("Start: 2 of 2 succeeded")
    expect([await dockerState(bravo.id), await dockerState(charlie.id)]).toEqual(["running", "running"])
    // The header checkbox clears the selection of the rows shown (all of them were selected).
    await page.getByRole("checkbox", { name: "Select all rows shown" }).click()
    await expect.poll(() => bar.locator(".bulk-count").textContent()).toBe("0 selected")
    await bar.getByRole("button", { name: "Dismiss" }).click()
    await expect.poll(() => bar.isHidden()).toBe(true)
    // The browser logs the 404 of the removed container's details; nothing else may fail.
    expect(errors.filter((e) => !e.includes("status of 404"))).toEqual([])
  })
})
