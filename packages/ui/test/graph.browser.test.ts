/**
 * End to end: the graph view of the built UI served by a real app server, driven in headless Chromium.
 * Reports go in the way a probe sends them. The test reads the screen (pixels of a screenshot at a node's
 * place, the details panel, the URL) and the graph sigma draws, through the test hook the UI exposes in
 * test builds (`window.orchestratorGraph`).
 */
import { type App, Report } from "@orchestrator/core"
import type { Browser, Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest"
import { defaultMode } from "../app/HashState.js"
import { fullReports, publish as publishSynthetic, updateReports } from "../bench/Synthetic.js"
import { type BuiltUi, buildUi, coverageFileNamed, screenshots, watchErrors } from "./browser.js"

const coverageFile = coverageFileNamed("graph.json")

const now = Date.now()
const containerId = (name: string) => `${name.replace(/[^a-z0-9]/g, "")}${"0".repeat(64)}`.slice(0, 64)

const host = (name: string) =>
  Report.makeNode("hosts", name, { latest: Report.latestFields(now, { name, os: "Debian GNU/Linux 12" }) })

const container = (name: string, hostName: string, state: string, cpu = 10) =>
  Report.makeNode("containers", containerId(name), {
    latest: Report.latestFields(now, {
      docker_container_name: `/${name}`,
      docker_container_state: state,
      docker_image_name: name.startsWith("web") ? "nginx:1.27" : "busybox:latest"
    }),
    parents: { hosts: [hostName] },
    metrics: state === "running" ? { cpu: [[now, cpu]], memory: [[now, 64e6 + cpu * 1e6]] } : {},
    controls: state === "running" ? ["docker.stop"] : ["docker.start"]
  })

const endpoint = (address: string, port: number, owner: string, adjacency: ReadonlyArray<string> = []) =>
  Report.makeNode("endpoints", `;${address};${port}`, {
    latest: Report.latestFields(now, { addr: address, port }),
    parents: { containers: [containerId(owner)] },
    adjacency
  })

const report = (probeId: string, kind: "full" | "delta", seq: number, nodes: ReadonlyArray<Report.Node>) => {
  const topologies: Record<string, { nodes: Record<string, Report.Node> }> = {}
  for (const node of nodes) {
    topologies[node.topology] ??= { nodes: {} }
    topologies[node.topology]!.nodes[node.id] = node
  }
  return { version: 1, probeId, hostname: probeId, kind, seq, timestamp: now, topologies } as Report.Report
}

/** Two hosts, five containers (one stopped), connections to db-1 and to the Internet. */
const probeA = [
  host("node-a"),
  container("web-1", "node-a", "running", 30),
  container("web-2", "node-a", "running", 5),
  container("db-1", "node-a", "running", 60),
  endpoint("10.0.0.2", 41000, "web-1", [";10.0.0.4;5432", ";93.184.216.34;443"]),
  endpoint("10.0.0.3", 41001, "web-2", [";10.0.0.4;5432"]),
  endpoint("10.0.0.4", 5432, "db-1")
]
const probeB = [
  host("node-b"),
  container("cache-1", "node-b", "running", 2),
  container("old-job", "node-b", "exited"),
  endpoint("10.0.1.2", 42000, "cache-1", [";10.0.0.4;5432"])
]

const hook = "window.orchestratorGraph"

interface GraphNode {
  readonly id: string
  readonly x: number
  readonly y: number
  readonly kind: string
  readonly label: string
  readonly color: string
  readonly ring: number
  readonly size: number
  readonly members: number
  readonly selected: boolean
  readonly marked: boolean
}

/** The nodes of the graph sigma draws. */
const graphNodes = async (page: Page): Promise<Array<GraphNode>> =>
  (await page.evaluate(
    `${hook}.graph.mapNodes((id, a) => ({ id, x: a.x, y: a.y, kind: a.kind, label: a.label, color: a.color, ring: a.ring, size: a.size, members: a.members, selected: a.selected, marked: a.marked }))`
  )) as Array<GraphNode>

const labelsShown = async (page: Page) => (await graphNodes(page)).map((n) => n.label).sort()

const byLabel = async (page: Page, label: string) => (await graphNodes(page)).find((n) => n.label === label)!

/** Node positions by id (graph coordinates). */
const positions = async (page: Page) => new Map((await graphNodes(page)).map((n) => [n.id, { x: n.x, y: n.y }]))

/** A node's place on the page (CSS pixels). */
const onScreen = async (page: Page, id: string) =>
  (await page.evaluate(`(() => {
    const p = ${hook}.screenPosition(${JSON.stringify(id)})
    const r = document.querySelector(".graph-canvas").getBoundingClientRect()
    return p === undefined ? undefined : { x: r.left + p.x, y: r.top + p.y, left: r.left, top: r.top, right: r.right, bottom: r.bottom }
  })()`)) as { x: number; y: number; left: number; top: number; right: number; bottom: number } | undefined

/** Waits until the layout is done and nothing was drawn for a while. */
const settled = async (page: Page) => {
  await expect
    .poll(() => page.evaluate(`${hook}?.firstFrameAt !== undefined && ${hook}.pendingLayout === 0`))
    .toBe(true)
  for (;;) {
    const renders = await page.evaluate(`${hook}.renders`)
    await page.waitForTimeout(400)
    if ((await page.evaluate(`${hook}.renders`)) === renders && (await page.evaluate(`${hook}.pendingLayout`)) === 0) {
      return
    }
  }
}

/** The colour of the screen pixel at a page position, read back from a screenshot (what the user sees). */
const pixel = async (page: Page, x: number, y: number): Promise<[number, number, number]> => {
  const png = await page.screenshot({ clip: { x: Math.round(x), y: Math.round(y), width: 1, height: 1 } })
  return (await page.evaluate(`(async () => {
    const image = new Image()
    image.src = "data:image/png;base64,${png.toString("base64")}"
    await image.decode()
    const canvas = document.createElement("canvas")
    canvas.width = 1
    canvas.height = 1
    const context = canvas.getContext("2d")
    context.drawImage(image, 0, 0)
    return Array.from(context.getImageData(0, 0, 1, 1).data.slice(0, 3))
  })()`)) as [number, number, number]
}

const rgb = (hex: string): [number, number, number] =>
  [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)) as never

const near = (a: ReadonlyArray<number>, b: ReadonlyArray<number>, tolerance = 40) =>
  a.every((v, i) => Math.abs(v - b[i]!) <= tolerance)

let ui: BuiltUi

beforeAll(async () => {
  vi.setConfig({ expect: { poll: { interval: 50, timeout: 15_000 } } })
  // "test" builds expose window.orchestratorGraph.
  ui = await buildUi({ name: "graph", coverageFile, mode: "test" })
})

afterAll(async () => {
  vi.resetConfig()
  await ui?.finish()
})

describe("the graph view against a real app server", () => {
  let app: App.App
  let browser: Browser
  let page: Page
  let errors: Array<string>
  const registered = new Set<string>()
  const publish = (reports: ReadonlyArray<Report.Report>) => publishSynthetic(app.url, reports, registered)

  beforeAll(async () => {
    app = await ui.serve()
    await publish([report("probe-a", "full", 0, probeA), report("probe-b", "full", 0, probeB)])
    browser = await ui.launch()
    page = await ui.coverage.track(await browser.newPage({ viewport: { width: 1280, height: 800 } }))
    errors = watchErrors(page)
  })

  afterAll(async () => {
    await ui.closeBrowsers()
    await app?.close()
  })

  it("opens the map on a first visit, with no state in the URL", async () => {
    await page.goto(app.url)
    await expect.poll(() => page.locator(".graph-wrap").isVisible()).toBe(true)
    expect(await page.locator("table.nodes").isVisible()).toBe(false)
    await expect.poll(() => new URLSearchParams(new URL(page.url()).hash.slice(1)).get("mode")).toBe("graph")
  })

  it("draws the view's nodes on the canvas, coloured by status, pseudo nodes hollow, edges with arrows", async () => {
    await page.goto(`${app.url}/#view=containers&mode=graph`)
    await expect.poll(() => labelsShown(page)).toEqual(["The Internet", "cache-1", "db-1", "old-job", "web-1", "web-2"])
    await settled(page)
    expect(await page.locator(".graph-wrap").isVisible()).toBe(true)
    expect(await page.locator("table.nodes").isVisible()).toBe(false)
    expect(await page.locator(".mode-toggle button[aria-pressed=true]").textContent()).toBe("Graph")
    expect(await page.locator(".graph-status").textContent()).toBe("6 shown · 4 edges")

    const db = await byLabel(page, "db-1")
    const oldJob = await byLabel(page, "old-job")
    const internet = await byLabel(page, "The Internet")
    expect(db).toMatchObject({ kind: "node", color: "#1f9d55", ring: 0 })
    expect(oldJob.color).toBe("#98a2b3")
    expect(internet.ring).toBe(1)
    // What the user sees at each node's centre: the status colour, white inside a hollow pseudo node.
    for (const [node, colour] of [
      [db, "#1f9d55"],
      [oldJob, "#98a2b3"],
      [internet, "#ffffff"]
    ] as const) {
      const at = (await onScreen(page, node.id))!
      expect(near(await pixel(page, at.x, at.y), rgb(colour)), `${node.label} at ${at.x},${at.y}`).toBe(true)
    }
    const heads = await page.evaluate(
      `${hook}.graph.mapEdges((id) => ${hook}.renderer.sigma.getEdgeDisplayData(id).head)`
    )
    expect(heads).toEqual(["arrow", "arrow", "arrow", "arrow"])
    await page.screenshot({ path: `${screenshots}graph-containers.png` })
  })

  it("highlights a hovered node's neighbours and dims the rest", async () => {
    const web1 = await byLabel(page, "web-1")
    const at = (await onScreen(page, web1.id))!
    await page.mouse.move(at.x, at.y)
    await expect.poll(() => page.locator(".graph-tooltip strong").textContent()).toBe("web-1")
    const state = (label: string) =>
      page.evaluate(`(() => {
        const id = ${hook}.graph.findNode((_id, a) => a.label === ${JSON.stringify(label)})
        return { highlighted: ${hook}.renderer.sigma.getNodeState(id).isHighlighted, opacity: ${hook}.renderer.sigma.getNodeDisplayData(id).opacity }
      })()`)
    await expect.poll(() => state("db-1")).toEqual({ highlighted: true, opacity: 1 })
    expect(await state("The Internet")).toEqual({ highlighted: true, opacity: 1 })
    await expect.poll(() => state("cache-1")).toEqual({ highlighted: false, opacity: 0.2 })
    // The hovered node's live traffic is animated.
    await expect.poll(() => page.evaluate(`${hook}.animatedEdges`)).toBe(2)
    await page.screenshot({ path: `${screenshots}graph-hover.png` })
    await page.mouse.move(5, 400)
    await expect.poll(() => page.locator(".graph-tooltip").isHidden()).toBe(true)
    await expect.poll(() => state("cache-1")).toEqual({ highlighted: false, opacity: 1 })
  })

  it("opens a clicked node's details, highlights it, and adds ctrl-clicked nodes to the multi-selection", async () => {
    const db = await byLabel(page, "db-1")
    const at = (await onScreen(page, db.id))!
    await page.mouse.click(at.x, at.y)
    await expect.poll(() => page.locator("aside.details h2").textContent()).toBe("db-1")
    expect(new URLSearchParams(new URL(page.url()).hash.slice(1)).get("node")).toBe(db.id)
    await expect.poll(async () => (await byLabel(page, "db-1")).selected).toBe(true)
    expect(
      await page.evaluate(`${hook}.renderer.sigma.getNodeDisplayData(${JSON.stringify(db.id)}).backdropVisibility`)
    ).toBe("visible")
    // The details panel took a column: the graph's canvas shrank, the node is still where it is drawn.
    await settled(page)
    const cache = await byLabel(page, "cache-1")
    const there = (await onScreen(page, cache.id))!
    await page.keyboard.down("Control")
    await page.mouse.click(there.x, there.y)
    await page.keyboard.up("Control")
    await expect.poll(async () => (await byLabel(page, "cache-1")).marked).toBe(true)
    expect(await page.locator("aside.details h2").textContent()).toBe("db-1")
    await page.screenshot({ path: `${screenshots}graph-selected.png` })
    // Not a double click; and the bulk bar that appeared above moved the graph down.
    await page.waitForTimeout(500)
    const moved = (await onScreen(page, cache.id))!
    await page.keyboard.down("Control")
    await page.mouse.click(moved.x, moved.y)
    await page.keyboard.up("Control")
    await expect.poll(async () => (await byLabel(page, "cache-1")).marked).toBe(false)
    await page.keyboard.press("Escape")
    await expect.poll(() => page.locator("aside.details").isHidden()).toBe(true)
    await expect.poll(() => page.evaluate("document.activeElement?.className")).toBe("graph-canvas")
  })

  it("narrows the graph to a search without moving what stays", async () => {
    await settled(page)
    const before = await positions(page)
    const web1 = (await byLabel(page, "web-1")).id
    const screenBefore = await onScreen(page, web1)
    await page.getByRole("searchbox", { name: "Search nodes" }).fill("web")
    await expect.poll(() => labelsShown(page)).toEqual(["web-1", "web-2"])
    for (const [id, p] of await positions(page)) expect(p).toEqual(before.get(id))
    expect(await onScreen(page, web1)).toEqual(screenBefore)
    await page.screenshot({ path: `${screenshots}graph-search.png` })
    await page.getByRole("searchbox", { name: "Search nodes" }).fill("")
    await expect.poll(() => labelsShown(page)).toHaveLength(6)
    expect(await positions(page)).toEqual(before)
  })

  it("applies a delta moving nothing that did not change: a stopped container, a new one next to its host's", async () => {
    await settled(page)
    const before = await positions(page)
    const screenBefore = await onScreen(page, (await byLabel(page, "db-1")).id)
    await publish([
      report("probe-a", "delta", 1, [
        container("web-2", "node-a", "exited"),
        container("web-3", "node-a", "running", 80),
        endpoint("10.0.0.5", 41002, "web-3", [";10.0.0.4;5432"])
      ])
    ])
    await expect.poll(() => labelsShown(page)).toContain("web-3")
    await expect.poll(async () => (await byLabel(page, "web-2")).color).toBe("#98a2b3")
    await settled(page)
    const after = await positions(page)
    for (const [id, p] of before) expect(after.get(id), id).toEqual(p)
    expect(await onScreen(page, (await byLabel(page, "db-1")).id)).toEqual(screenBefore)
    // Placed with its host's containers, and its new traffic is live.
    const web3 = await byLabel(page, "web-3")
    const db = after.get((await byLabel(page, "db-1")).id)!
    expect(Math.hypot(web3.x - db.x, web3.y - db.y)).toBeLessThan(120)
    await expect.poll(() => page.evaluate(`${hook}.animatedEdges`)).toBeGreaterThanOrEqual(1)
    await page.screenshot({ path: `${screenshots}graph-after-delta.png` })
  })

  it("groups by host, expands a group where it stands and collapses it back", async () => {
    await page.getByLabel("Group by").selectOption("hosts")
    await expect.poll(() => labelsShown(page)).toEqual(["The Internet", "node-a", "node-b"])
    expect(new URLSearchParams(new URL(page.url()).hash.slice(1)).get("group")).toBe("hosts")
    const group = await byLabel(page, "node-a")
    expect(group).toMatchObject({ kind: "group", members: 4, ring: 2, color: "#1f9d55" })
    expect(await page.locator(".graph-groups li").allTextContents()).toEqual(["▸node-a4", "▸node-b2"])
    await settled(page)
    await page.screenshot({ path: `${screenshots}graph-grouped.png` })
    const groupScreen = (await onScreen(page, group.id))!
    expect(near(await pixel(page, groupScreen.x, groupScreen.y), rgb("#1f9d55"))).toBe(true)
    // A click on a group expands it: its members come back where they were.
    await page.mouse.click(groupScreen.x, groupScreen.y)
    await expect.poll(() => labelsShown(page)).toEqual(["The Internet", "db-1", "node-b", "web-1", "web-2", "web-3"])
    expect(new URLSearchParams(new URL(page.url()).hash.slice(1)).getAll("open")).toEqual(["group:hosts:node-a"])
    await settled(page)
    await page.screenshot({ path: `${screenshots}graph-expanded.png` })
    await page.locator('.graph-groups button[data-group="group:hosts:node-a"]').click()
    await expect.poll(() => labelsShown(page)).toEqual(["The Internet", "node-a", "node-b"])
    expect((await byLabel(page, "node-a")).x).toBe(group.x)
    await page.getByLabel("Group by").selectOption("")
    await expect.poll(() => labelsShown(page)).toHaveLength(7)
  })

  it("fits the whole graph in view, from the button and from the keyboard", async () => {
    await settled(page)
    const canvas = page.locator(".graph-canvas")
    await canvas.focus()
    for (let i = 0; i < 6; i++) await page.keyboard.press("+")
    const inside = async () => {
      let count = 0
      for (const node of await graphNodes(page)) {
        const p = (await onScreen(page, node.id))!
        if (p.x >= p.left && p.x <= p.right && p.y >= p.top && p.y <= p.bottom) count++
      }
      return count
    }
    await expect.poll(inside).toBeLessThan(7)
    await page.locator('button[data-action="fit"]').click()
    await expect.poll(inside).toBe(7)
    await page.locator('button[data-action="zoom-in"]').click()
    await page.locator('button[data-action="zoom-in"]').click()
    await page.locator('button[data-action="zoom-in"]').click()
    await page.locator('button[data-action="zoom-in"]').click()
    await page.locator('button[data-action="zoom-in"]').click()
    await expect.poll(inside).toBeLessThan(7)
    await page.locator('button[data-action="zoom-out"]').click()
    await canvas.focus()
    await page.keyboard.press("0")
    await expect.poll(inside).toBe(7)
  })

  it("switches to the table and back, and between views, keeping every position", async () => {
    await settled(page)
    const before = await positions(page)
    await page.getByRole("button", { name: "Table", exact: true }).click()
    await expect.poll(() => page.locator("table.nodes").isVisible()).toBe(true)
    expect(await page.locator(".graph-wrap").isHidden()).toBe(true)
    expect(new URLSearchParams(new URL(page.url()).hash.slice(1)).get("mode") ?? defaultMode).toBe("table")
    await page.getByRole("button", { name: "Graph", exact: true }).click()
    await expect.poll(() => page.locator(".graph-wrap").isVisible()).toBe(true)
    await expect.poll(async () => (await positions(page)).size).toBe(7)
    expect(await positions(page)).toEqual(before)
    await page.locator('.views button[data-view="hosts"]').click()
    await expect.poll(() => labelsShown(page)).toEqual(["node-a", "node-b"])
    await settled(page)
    await page.screenshot({ path: `${screenshots}graph-hosts.png` })
    await page.locator('.views button[data-view="containers"]').click()
    await expect.poll(async () => (await positions(page)).size).toBe(7)
    expect(await positions(page)).toEqual(before)
  })

  it("sizes nodes by the chosen metric", async () => {
    const cpu = await byLabel(page, "db-1")
    await page.getByLabel("Size nodes by").selectOption("memory")
    await expect.poll(async () => (await byLabel(page, "db-1")).size).not.toBe(cpu.size)
    expect(new URLSearchParams(new URL(page.url()).hash.slice(1)).get("size")).toBe("memory")
    await page.getByLabel("Size nodes by").selectOption("connections")
    // Both sizes are read in each poll: web-1's size must be the one for connections too.
    await expect
      .poll(async () => (await byLabel(page, "db-1")).size - (await byLabel(page, "web-1")).size)
      .toBeGreaterThan(0)
    await page.getByLabel("Size nodes by").selectOption("cpu")
    expect(errors).toEqual([])
  })
})

describe("the graph view with hundreds of containers", () => {
  let app: App.App
  let browser: Browser
  let page: Page
  const options = { containers: 600, perHost: 50, edgesPerNode: 2, probes: 1 }

  beforeAll(async () => {
    app = await ui.serve()
    await publishSynthetic(app.url, fullReports(options, Date.now()))
    browser = await ui.launch()
    page = await ui.coverage.track(await browser.newPage({ viewport: { width: 1280, height: 800 } }))
  })

  afterAll(async () => {
    await ui.closeBrowsers()
    await app?.close()
  })

  it("draws them clustered by host and applies an update of 10% of them in one frame, moving nothing", async () => {
    const errors = watchErrors(page)
    await page.goto(`${app.url}/#view=containers&mode=graph`)
    await expect.poll(() => page.evaluate(`${hook}?.graph.order`)).toBe(600)
    await settled(page)
    await page.screenshot({ path: `${screenshots}graph-600.png` })
    const before = await positions(page)
    const renders = (await page.evaluate(`${hook}.renders`)) as number
    const dataAt = (await page.evaluate(`${hook}.dataAt`)) as number
    await publishSynthetic(app.url, updateReports(options, 1, Date.now()))
    await expect.poll(() => page.evaluate(`${hook}.dataAt > ${dataAt} && ${hook}.frameAt > ${hook}.dataAt`)).toBe(true)
    await settled(page)
    expect((await page.evaluate(`${hook}.renders`)) as number).toBe(renders + 1)
    expect(await positions(page)).toEqual(before)
    // Clusters: a host's containers sit closer to their host's centre than to the other hosts' centres.
    const nodes = await graphNodes(page)
    const hostOf = new Map(
      (await page.evaluate(`${hook}.graph.mapNodes((id, a) => [id, a.cluster])`)) as Array<[string, string]>
    )
    const centres = new Map<string, { x: number; y: number; n: number }>()
    for (const node of nodes) {
      const c = centres.get(hostOf.get(node.id)!) ?? { x: 0, y: 0, n: 0 }
      centres.set(hostOf.get(node.id)!, { x: c.x + node.x, y: c.y + node.y, n: c.n + 1 })
    }
    expect(centres.size).toBe(12)
    let closestToOwn = 0
    for (const node of nodes) {
      const distances = [...centres].map(
        ([key, c]) => [key, Math.hypot(node.x - c.x / c.n, node.y - c.y / c.n)] as const
      )
      distances.sort((a, b) => a[1] - b[1])
      if (distances[0]![0] === hostOf.get(node.id)) closestToOwn++
    }
    expect(closestToOwn / nodes.length).toBeGreaterThan(0.9)
    expect(errors).toEqual([])
  })
})
