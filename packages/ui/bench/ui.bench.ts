/**
 * `npm run bench:ui`: the web UI's graph in headless Chromium against the real app server, for 1,000, 5,000
 * and 10,000 containers (synthetic reports posted like a probe's), against a bare sigma.js page that draws the
 * same graph (same nodes, edges and positions) with sigma's defaults, measured in the same run.
 *
 * - first render: from navigation start to the first frame on screen with every node drawn (the UI: session,
 *   WebSocket snapshot, projection, placement, sigma; the floor: fetch the graph JSON, build it, sigma). "On
 *   screen" is the animation frame after the one whose commit carried the drawing, for both pages. Also
 *   shown: the part from the data in the page to that frame, and the same graph drawn by the UI's renderer
 *   alone on the bare page (its shapes, arrows and styles, without app, WebSocket or layout).
 * - settled: the UI's frame after the worker's refinement is applied (no floor: the bare page has no layout).
 * - update: a report changes 10% of the containers (CPU, memory, some state); from the delta's arrival to the
 *   frame on screen, and how many frames it took (must be 1). The floor recolours and resizes 10% of the
 *   nodes and redraws.
 *
 * WebGL is SwiftShader here (software): absolute numbers are pessimistic; the ratio to the floor is the
 * figure that carries. Each measurement is the median of `REPEAT` runs (UI and floor interleaved).
 *
 * Flags: `--nodes 1000,5000` `--repeat 3`.
 */
import { existsSync } from "node:fs"
import { mkdtemp, readFile, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { extname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { App } from "@orchestrator/core"
import type { Browser, Page } from "playwright-core"
import { build } from "vite"
import { chromiumPath, launch } from "../test/browser.js"
import { changedCount, fullReports, publish, updateReports } from "./Synthetic.js"

const viewport = { width: 1280, height: 800 }

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback
}
const sizes = arg("nodes", "1000,5000,10000")
  .split(",")
  .map((n) => Number(n.trim()))
const repeat = Number(arg("repeat", "3"))

/** Targets from the issue: first render under these (ms), and every ratio to the floor within 1.5. */
const firstRenderTargets: Readonly<Record<number, number>> = { 1000: 1500, 5000: 2500 }
const maxRatio = 1.5

const median = (values: ReadonlyArray<number>) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url))

/** Builds the UI (with the test hook: mode "bench") and the bare page into temporary folders. */
const buildPages = async () => {
  const ui = await mkdtemp(join(tmpdir(), "orchestrator-bench-ui-"))
  const bare = await mkdtemp(join(tmpdir(), "orchestrator-bench-bare-"))
  await build({
    configFile: here("../vite.config.ts"),
    mode: "bench",
    logLevel: "warn",
    build: { outDir: ui, emptyOutDir: true, reportCompressedSize: false, chunkSizeWarningLimit: 4096 }
  })
  await build({
    configFile: false,
    root: here("./bare"),
    base: "./",
    logLevel: "warn",
    build: { outDir: bare, emptyOutDir: true, target: "es2022", chunkSizeWarningLimit: 4096 }
  })
  return { ui, bare }
}

interface UiRun {
  readonly firstRender: number
  /** When the snapshot was in the page's model (the graph's part starts there). */
  readonly dataAt: number
  readonly settled: number
  readonly canvas: { readonly width: number; readonly height: number }
  readonly graph: string
  readonly updates: ReadonlyArray<{ readonly ms: number; readonly renders: number }>
}

const hook = "window.orchestratorGraph"

/** One UI run: load, first frame, settle, then `rounds` updates of 10% of the nodes. */
const runUi = async (
  browser: Browser,
  app: App.App,
  nodes: number,
  options: Parameters<typeof updateReports>[0],
  rounds: { next: number },
  updates: number
): Promise<UiRun> => {
  const page = await browser.newPage({ viewport })
  const errors = watch(page)
  if (process.env.BENCH_UI_DEBUG) {
    await page.addInitScript(
      "window.__long = []; new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__long.push(Math.round(e.startTime) + '+' + Math.round(e.duration)) }).observe({ type: 'longtask', buffered: true })"
    )
  }
  await page.goto(`${app.url}/#view=containers&mode=graph`)
  await page.waitForFunction(`${hook}?.firstFrameAt !== undefined && ${hook}.graph.order === ${nodes}`, undefined, {
    timeout: 120_000,
    polling: 20
  })
  const firstRender = (await page.evaluate(`${hook}.firstFrameAt`)) as number
  const dataAt = (await page.evaluate(`${hook}.timeline.find(([name]) => name === "data")[1]`)) as number
  if (process.env.BENCH_UI_DEBUG) {
    console.log("long tasks", await page.evaluate("JSON.stringify(window.__long)"))
    console.log(
      await page.evaluate(
        `JSON.stringify([...${hook}.timeline.map(([k, t]) => k + "=" + Math.round(t)), ...performance.getEntriesByType("resource").map((r) => r.name.replace(/^.*\\//, "") + "@" + Math.round(r.startTime) + "-" + Math.round(r.responseEnd)), ...performance.getEntriesByType("navigation").map((n) => "domInteractive=" + Math.round(n.domInteractive) + " load=" + Math.round(n.loadEventEnd))])`
      )
    )
  }
  // Settled: the refinement applied and drawn.
  await page.waitForFunction(`${hook}.layouts > 0 && ${hook}.pendingLayout === 0 && ${hook}.frameAt > 0`, undefined, {
    timeout: 120_000,
    polling: 20
  })
  await quiet(page)
  const settled = (await page.evaluate(`${hook}.frameAt`)) as number
  const canvas = (await page.evaluate(
    `(() => { const r = document.querySelector(".graph-canvas").getBoundingClientRect(); return { width: Math.round(r.width), height: Math.round(r.height) } })()`
  )) as { width: number; height: number }
  const graph = (await page.evaluate(`JSON.stringify({
    nodes: ${hook}.graph.mapNodes((id, a) => ({ id, ...a })),
    edges: ${hook}.graph.mapEdges((id, a, source, target) => ({ id, source, target, ...a }))
  })`)) as string
  const results: Array<{ ms: number; renders: number }> = []
  for (let u = 0; u < updates; u++) {
    const round = rounds.next++
    const before = (await page.evaluate(`({ renders: ${hook}.renders, dataAt: ${hook}.dataAt })`)) as {
      renders: number
      dataAt: number
    }
    await publish(app.url, updateReports(options, round, Date.now()))
    await page.waitForFunction(
      `${hook}.dataAt > ${before.dataAt} && ${hook}.renders > ${before.renders} && ${hook}.frameAt > ${hook}.dataAt`,
      undefined,
      { timeout: 60_000, polling: 10 }
    )
    await quiet(page)
    const after = (await page.evaluate(
      `({ renders: ${hook}.renders, dataAt: ${hook}.dataAt, frameAt: ${hook}.frameAt })`
    )) as {
      renders: number
      dataAt: number
      frameAt: number
    }
    results.push({ ms: after.frameAt - after.dataAt, renders: after.renders - before.renders })
  }
  if (errors.length > 0) throw new Error(`the UI page failed: ${errors.join("; ")}`)
  await page.close()
  return { firstRender, dataAt, settled, canvas, graph, updates: results }
}

/** Waits until no frame was drawn for 600 ms (the update or layout is fully on screen). */
const quiet = async (page: Page) => {
  for (;;) {
    const renders = await page.evaluate(`${hook}.renders`)
    await page.waitForTimeout(600)
    if ((await page.evaluate(`${hook}.renders`)) === renders) return
  }
}

interface BareRun {
  readonly firstRender: number
  readonly dataAt: number
  readonly updates: ReadonlyArray<{ readonly ms: number; readonly renders: number }>
}

const contentTypes: Readonly<Record<string, string>> = {
  ".html": "text/html",
  ".js": "text/javascript",
  ".css": "text/css",
  ".json": "application/json"
}

/**
 * One floor run: the bare page drawing `graph` at `canvas` size (with sigma's defaults, or the UI's renderer),
 * then `updates` recolourings of 10%.
 */
const runBare = async (
  browser: Browser,
  dir: string,
  graph: string,
  canvas: UiRun["canvas"],
  updates: number,
  look: "sigma" | "ui"
): Promise<BareRun> => {
  const page = await browser.newPage({ viewport })
  const errors = watch(page)
  await page.route("http://bare.bench/**", async (route) => {
    const path = new URL(route.request().url()).pathname
    if (path === "/graph.json") return route.fulfill({ body: graph, contentType: "application/json" })
    const file = join(dir, path === "/" ? "index.html" : path)
    return route.fulfill({ body: await readFile(file), contentType: contentTypes[extname(file)] ?? "text/plain" })
  })
  await page.goto(`http://bare.bench/?look=${look}&w=${canvas.width}&h=${canvas.height}`)
  await page.waitForFunction(`performance.getEntriesByName("bare:first-frame").length > 0`, undefined, {
    timeout: 120_000,
    polling: 20
  })
  const firstRender = (await page.evaluate(`performance.getEntriesByName("bare:first-frame")[0].startTime`)) as number
  const dataAt = (await page.evaluate(`performance.getEntriesByName("bare:data")[0].startTime`)) as number
  if (process.env.BENCH_UI_DEBUG) {
    console.log(
      "bare",
      await page.evaluate(
        `JSON.stringify(["bare:data", "bare:built", "bare:ctor", "bare:first-frame"].map((n) => n + "=" + Math.round(performance.getEntriesByName(n)[0].startTime)))`
      )
    )
  }
  await page.waitForTimeout(600)
  const results: Array<{ ms: number; renders: number }> = []
  for (let u = 0; u < updates; u++) {
    results.push((await page.evaluate("window.bare.recolour(0.1)")) as { ms: number; renders: number })
    await page.waitForTimeout(300)
  }
  if (errors.length > 0) throw new Error(`the bare page failed: ${errors.join("; ")}`)
  await page.close()
  return { firstRender, dataAt, updates: results }
}

const watch = (page: Page) => {
  const errors: Array<string> = []
  page.on("pageerror", (error) => errors.push(error.message))
  return errors
}

interface Row {
  readonly nodes: number
  readonly edges: number
  readonly first: number
  readonly firstBase: number
  /** The same graph drawn by the UI's renderer alone (no app, no layout). */
  readonly firstLook: number
  /** From the data in the page to the first frame. */
  readonly draw: number
  readonly drawBase: number
  readonly drawLook: number
  readonly settled: number
  readonly update: number
  readonly updateBase: number
  readonly renders: number
  readonly changed: number
}

const main = async () => {
  if (!existsSync(chromiumPath)) throw new Error(`no Chromium at ${chromiumPath}: apt-get install -y chromium`)
  console.log(`bench ui: building the UI and the bare sigma.js page…`)
  const dirs = await buildPages()
  const browser = await launch()
  const rows: Array<Row> = []
  try {
    for (const nodes of sizes) {
      const options = { containers: nodes, perHost: 50, edgesPerNode: 2, probes: 1 }
      // One probe reports everything, so an update is one report and one delta (10,000 containers with their
      // endpoints make a report of some 30 MB).
      const app = await App.createApp({
        port: 0,
        uiAssetsDir: dirs.ui,
        deltaIntervalMs: 100,
        maxBodyBytes: 256 * 1024 * 1024
      })
      try {
        await publish(app.url, fullReports(options, Date.now()))
        const rounds = { next: 1 }
        const ui: Array<UiRun> = []
        const bare: Array<BareRun> = []
        const look: Array<BareRun> = []
        for (let r = 0; r < repeat; r++) {
          const run = await runUi(browser, app, nodes, options, rounds, 2)
          ui.push(run)
          bare.push(await runBare(browser, dirs.bare, run.graph, run.canvas, 2, "sigma"))
          look.push(await runBare(browser, dirs.bare, run.graph, run.canvas, 0, "ui"))
          console.log(
            `  nodes=${nodes} run ${r + 1}/${repeat}: ui data=${run.dataAt.toFixed(0)} first=${run.firstRender.toFixed(0)} settled=${run.settled.toFixed(0)} update=${run.updates.map((u) => `${u.ms.toFixed(0)}ms/${u.renders}f`).join(",")} · bare data=${bare.at(-1)!.dataAt.toFixed(0)} first=${bare.at(-1)!.firstRender.toFixed(0)} update=${bare
              .at(-1)!
              .updates.map((u) => `${u.ms.toFixed(0)}ms/${u.renders}f`)
              .join(",")} · ui renderer alone first=${look.at(-1)!.firstRender.toFixed(0)}`
          )
        }
        const edges = (JSON.parse(ui[0]!.graph) as { edges: Array<unknown> }).edges.length
        rows.push({
          nodes,
          edges,
          first: median(ui.map((u) => u.firstRender)),
          firstBase: median(bare.map((b) => b.firstRender)),
          firstLook: median(look.map((b) => b.firstRender)),
          draw: median(ui.map((u) => u.firstRender - u.dataAt)),
          drawBase: median(bare.map((b) => b.firstRender - b.dataAt)),
          drawLook: median(look.map((b) => b.firstRender - b.dataAt)),
          settled: median(ui.map((u) => u.settled)),
          update: median(ui.flatMap((u) => u.updates.map((x) => x.ms))),
          updateBase: median(bare.flatMap((b) => b.updates.map((x) => x.ms))),
          renders: Math.max(...ui.flatMap((u) => u.updates.map((x) => x.renders))),
          changed: changedCount(options, 1)
        })
      } finally {
        await app.close()
      }
    }
  } finally {
    await browser.close()
    await rm(dirs.ui, { recursive: true, force: true })
    await rm(dirs.bare, { recursive: true, force: true })
  }
  report(rows)
}

const report = (rows: ReadonlyArray<Row>) => {
  const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`
  const table: Array<Array<string>> = [["nodes", "measure", "value", "target", "baseline", "ratio", ""]]
  for (const row of rows) {
    const target = firstRenderTargets[row.nodes]
    const firstRatio = row.first / row.firstBase
    const updateRatio = row.update / row.updateBase
    const firstOk = (target === undefined || row.first < target) && firstRatio <= maxRatio
    const updateOk = row.renders === 1 && updateRatio <= maxRatio
    table.push([
      String(row.nodes),
      "first render",
      fmt(row.first),
      `${target === undefined ? "" : `< ${fmt(target)}, `}≤ ${maxRatio}x`,
      fmt(row.firstBase),
      `${firstRatio.toFixed(2)}x`,
      firstOk ? "ok" : "MISS"
    ])
    table.push([
      String(row.nodes),
      "  of which data → frame",
      fmt(row.draw),
      "",
      fmt(row.drawBase),
      `${(row.draw / row.drawBase).toFixed(2)}x`,
      ""
    ])
    table.push([
      String(row.nodes),
      "  vs the UI's renderer alone",
      fmt(row.first),
      "",
      fmt(row.firstLook),
      `${(row.first / row.firstLook).toFixed(2)}x`,
      ""
    ])
    table.push([String(row.nodes), "settled (refined)", fmt(row.settled), "", "", "", ""])
    table.push([
      String(row.nodes),
      `update (${row.changed} nodes)`,
      `${row.update.toFixed(0)} ms, ${row.renders} frame${row.renders === 1 ? "" : "s"}`,
      `1 frame, ≤ ${maxRatio}x`,
      `${row.updateBase.toFixed(0)} ms`,
      `${updateRatio.toFixed(2)}x`,
      updateOk ? "ok" : "MISS"
    ])
  }
  const widths = table[0]!.map((_, c) => Math.max(...table.map((r) => r[c]!.length)))
  console.log("")
  for (const [i, r] of table.entries()) {
    console.log(
      r
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join("  ")
        .trimEnd()
    )
    if (i === 0) console.log(widths.map((w) => "-".repeat(w)).join("  "))
  }
  console.log("")
  for (const row of rows) {
    console.log(
      `bench ui nodes=${row.nodes} edges=${row.edges} first_render_ms=${row.first.toFixed(0)} baseline_ms=${row.firstBase.toFixed(0)} ratio=${(row.first / row.firstBase).toFixed(2)} draw_ms=${row.draw.toFixed(0)} draw_baseline_ms=${row.drawBase.toFixed(0)} draw_ratio=${(row.draw / row.drawBase).toFixed(2)} renderer_alone_ms=${row.firstLook.toFixed(0)} renderer_alone_ratio=${(row.first / row.firstLook).toFixed(2)} settled_ms=${row.settled.toFixed(0)} update_ms=${row.update.toFixed(0)} update_baseline_ms=${row.updateBase.toFixed(0)} update_ratio=${(row.update / row.updateBase).toFixed(2)} update_frames=${row.renders}`
    )
  }
}

await main()
