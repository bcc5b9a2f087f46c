/**
 * A local Kubernetes API server for tests: there is no real API server on this machine, so this serves the
 * real list and watch protocol over HTTP (or HTTPS) on 127.0.0.1, for the kinds the collector reads:
 *
 * - `GET /api/v1/{pods,services,namespaces,nodes}` and `GET /apis/apps/v1/{deployments,replicasets}`: a
 *   `<Kind>List` with `metadata.resourceVersion`, honouring `fieldSelector` (`a.b=c`, `a.b!=c`), `limit` and
 *   `continue` (an expired continue token answers `410 Gone`);
 * - the same with `?watch=true&resourceVersion=N`: a chunked stream of newline-delimited `WatchEvent`s
 *   (`{"type":"ADDED","object":{...}}`), first the events after N, then live ones; a resourceVersion older
 *   than the server's history gets an `ERROR` event with a `410` Status (`Expired`, "too old resource
 *   version") and the end of the stream, as kube-apiserver does; `timeoutSeconds` ends the stream;
 * - Bearer token checks (`401`), and kinds the caller may not read (`403 Forbidden`).
 *
 * Tests change objects with {@link ApiServer.add}, {@link ApiServer.update} and {@link ApiServer.remove}
 * (each bumps the resourceVersion and goes to open watches), change them behind the watches' back with
 * {@link ApiServer.quietly} (history is compacted, so resuming watches get 410 and must relist), end watches
 * with a 410 ({@link ApiServer.expire}) or cleanly ({@link ApiServer.endWatches}), write raw lines into
 * them ({@link ApiServer.inject}), and take the server away and back ({@link ApiServer.stop},
 * {@link ApiServer.restart}).
 */
import { writeFileSync } from "node:fs"
import * as http from "node:http"
import * as https from "node:https"
import type { AddressInfo, Socket } from "node:net"
import { join } from "node:path"
import type { KubeObject } from "./objects.js"

/** The kinds this server serves. */
export type Resource = "pods" | "services" | "namespaces" | "nodes" | "deployments" | "replicasets"

const kinds: Record<Resource, { readonly path: string; readonly kind: string; readonly apiVersion: string }> = {
  pods: { path: "/api/v1/pods", kind: "Pod", apiVersion: "v1" },
  services: { path: "/api/v1/services", kind: "Service", apiVersion: "v1" },
  namespaces: { path: "/api/v1/namespaces", kind: "Namespace", apiVersion: "v1" },
  nodes: { path: "/api/v1/nodes", kind: "Node", apiVersion: "v1" },
  deployments: { path: "/apis/apps/v1/deployments", kind: "Deployment", apiVersion: "apps/v1" },
  replicasets: { path: "/apis/apps/v1/replicasets", kind: "ReplicaSet", apiVersion: "apps/v1" }
}

const byPath = new Map(Object.entries(kinds).map(([resource, k]) => [k.path, resource as Resource]))

type EventType = "ADDED" | "MODIFIED" | "DELETED"

interface Change {
  readonly rv: number
  readonly resource: Resource
  readonly type: EventType
  readonly object: KubeObject
}

interface Watcher {
  readonly resource: Resource
  readonly response: http.ServerResponse
  readonly matches: (object: KubeObject) => boolean
}

/** A list or watch request, once its resource and field selector are known. */
interface ResourceRequest extends Watcher {
  readonly query: Record<string, string>
  /** Records the status the server answers. */
  readonly answer: (code: number) => void
}

/** One request the server answered. */
export interface RequestRecord {
  readonly resource: Resource | undefined
  readonly watch: boolean
  readonly query: Readonly<Record<string, string>>
  readonly status: number
}

/** Options of {@link ApiServer.start}. */
export interface ApiServerOptions {
  /** Require `Authorization: Bearer <token>`. */
  readonly token?: string
  /** Kinds the caller may not list or watch (`403`). */
  readonly forbidden?: ReadonlyArray<Resource>
  /** Serve HTTPS with this key and certificate (PEM). */
  readonly tls?: { readonly key: string; readonly cert: string }
}

const status = (code: number, reason: string, message: string) => ({
  kind: "Status",
  apiVersion: "v1",
  metadata: {},
  status: "Failure",
  message,
  reason,
  code
})

const field = (object: KubeObject, path: string): string | undefined => {
  let value: unknown = object
  for (const part of path.split(".")) {
    value = typeof value === "object" && value !== null ? (value as Record<string, unknown>)[part] : undefined
  }
  return typeof value === "string" ? value : undefined
}

/** Compiles a field selector (`spec.nodeName=node-a,metadata.namespace!=kube-system`). */
const fieldSelector = (selector: string | undefined): ((object: KubeObject) => boolean) => {
  if (selector === undefined || selector === "") return () => true
  const terms = selector.split(",").map((term) => {
    const match = /^([^!=]+)(==|=|!=)(.*)$/.exec(term)
    if (match === null) throw new Error(`invalid field selector ${term}`)
    return { path: match[1]!, negate: match[2] === "!=", value: match[3]! }
  })
  return (object) => terms.every((t) => ((field(object, t.path) ?? "") === t.value) !== t.negate)
}

const clone = (object: KubeObject): KubeObject => JSON.parse(JSON.stringify(object)) as KubeObject

const order = (a: KubeObject, b: KubeObject): number => {
  const ka = `${field(a, "metadata.namespace") ?? ""}/${a.metadata.name}`
  const kb = `${field(b, "metadata.namespace") ?? ""}/${b.metadata.name}`
  return ka < kb ? -1 : ka > kb ? 1 : 0
}

/** A local Kubernetes API server serving list and watch JSON. */
export class ApiServer {
  /** Every request answered, oldest first. */
  readonly requests: Array<RequestRecord> = []
  /** Called after a list page is answered (`page` counts from 0), e.g. to change objects between pages. */
  onListPage: ((resource: Resource, page: number) => void) | undefined
  private readonly objects = new Map<Resource, Map<string, KubeObject>>()
  private readonly history: Array<Change> = []
  private rv = 1000
  /** Watches and continue tokens from a resourceVersion below this one get 410 Gone (history compacted). */
  private compactedTo = 0
  private readonly watchers = new Set<Watcher>()
  private readonly sockets = new Set<Socket>()
  private server: http.Server
  private port = 0

  private constructor(private readonly options: ApiServerOptions) {
    for (const resource of Object.keys(kinds) as Array<Resource>) this.objects.set(resource, new Map())
    this.server = this.create()
  }

  /** Starts a server on a free port of 127.0.0.1. */
  static async start(options: ApiServerOptions = {}): Promise<ApiServer> {
    const api = new ApiServer(options)
    await api.listen(0)
    return api
  }

  /** `http://127.0.0.1:<port>` (or https). */
  get url(): string {
    return `${this.options.tls === undefined ? "http" : "https"}://127.0.0.1:${this.port}`
  }

  get listeningPort(): number {
    return this.port
  }

  /** The current resourceVersion. */
  get resourceVersion(): string {
    return String(this.rv)
  }

  /** Adds an object (ADDED); returns it as stored, with its resourceVersion. */
  add(resource: Resource, object: KubeObject): KubeObject {
    return this.record(resource, "ADDED", object)
  }

  /** Replaces an object with the same uid (MODIFIED). */
  update(resource: Resource, object: KubeObject): KubeObject {
    if (!this.objects.get(resource)!.has(object.metadata.uid)) throw new Error(`no ${resource} ${object.metadata.uid}`)
    return this.record(resource, "MODIFIED", object)
  }

  /** Deletes an object by uid (DELETED). */
  remove(resource: Resource, uid: string): void {
    const object = this.objects.get(resource)!.get(uid)
    if (object === undefined) throw new Error(`no ${resource} ${uid}`)
    this.record(resource, "DELETED", object)
  }

  /**
   * Changes objects without telling open watches, and compacts the history, so any watch resuming from an
   * earlier resourceVersion gets 410 Gone: only a relist shows the changes.
   */
  quietly(change: (store: { add: ApiServer["add"]; remove: ApiServer["remove"] }) => void): void {
    change({
      add: (resource, object) => this.store(resource, object),
      remove: (resource, uid) => {
        this.rv++
        this.objects.get(resource)!.delete(uid)
      }
    })
    this.history.length = 0
    this.compactedTo = this.rv
  }

  /** Ends the open watches of a kind with an ERROR event carrying a 410 Status, as an expired watch does. */
  expire(resource: Resource): void {
    for (const watcher of this.watchers) {
      if (watcher.resource !== resource) continue
      this.send(
        watcher.response,
        "ERROR",
        status(410, "Expired", `too old resource version: ${this.compactedTo} (${this.rv})`)
      )
      this.end(watcher)
    }
  }

  /** Ends the open watches of a kind cleanly, as the server does when their `timeoutSeconds` is up. */
  endWatches(resource: Resource): void {
    for (const watcher of this.watchers) if (watcher.resource === resource) this.end(watcher)
  }

  /** Writes a raw line to the open watches of a kind (a bookmark, an ERROR event, garbage). */
  inject(resource: Resource, line: string): void {
    for (const watcher of this.watchers) if (watcher.resource === resource) watcher.response.write(`${line}\n`)
  }

  /** Open watches of a kind. */
  watching(resource: Resource): number {
    let n = 0
    for (const watcher of this.watchers) if (watcher.resource === resource) n++
    return n
  }

  /** Lists answered for a kind (not watches). */
  lists(resource: Resource): number {
    return this.requests.filter((r) => r.resource === resource && !r.watch && r.status === 200).length
  }

  /** Stops listening and cuts every connection, open watches included. */
  async stop(): Promise<void> {
    for (const watcher of this.watchers) this.watchers.delete(watcher)
    for (const socket of this.sockets) socket.destroy()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  /** Listens again on the same port, with the same objects. */
  async restart(): Promise<void> {
    this.server = this.create()
    await this.listen(this.port)
  }

  /** Writes a kubeconfig for this server into `dir` and returns its path. */
  writeKubeconfig(dir: string, options: { readonly token?: string; readonly context?: string } = {}): string {
    const context = options.context ?? "test"
    const path = join(dir, `kubeconfig-${context}`)
    const user = options.token === undefined ? "{}" : `\n    token: ${options.token}`
    writeFileSync(
      path,
      `apiVersion: v1
kind: Config
clusters:
- name: ${context}
  cluster:
    server: ${this.url}
    insecure-skip-tls-verify: true
users:
- name: ${context}-user
  user: ${user}
contexts:
- name: ${context}
  context:
    cluster: ${context}
    user: ${context}-user
    namespace: default
current-context: ${context}
preferences: {}
`
    )
    return path
  }

  private create(): http.Server {
    const handler = (request: http.IncomingMessage, response: http.ServerResponse) => this.handle(request, response)
    const server =
      this.options.tls === undefined ? http.createServer(handler) : https.createServer(this.options.tls, handler)
    server.on("connection", (socket: Socket) => {
      this.sockets.add(socket)
      socket.on("close", () => this.sockets.delete(socket))
    })
    server.on("secureConnection", (socket: Socket) => {
      this.sockets.add(socket)
      socket.on("close", () => this.sockets.delete(socket))
    })
    return server
  }

  private listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject)
      this.server.listen(port, "127.0.0.1", () => {
        this.port = (this.server.address() as AddressInfo).port
        resolve()
      })
    })
  }

  private store(resource: Resource, object: KubeObject): KubeObject {
    this.rv++
    const stored = clone(object)
    ;(stored.metadata as Record<string, unknown>).resourceVersion = String(this.rv)
    this.objects.get(resource)!.set(stored.metadata.uid, stored)
    return stored
  }

  private record(resource: Resource, type: EventType, object: KubeObject): KubeObject {
    let stored: KubeObject
    if (type === "DELETED") {
      this.rv++
      stored = clone(object)
      ;(stored.metadata as Record<string, unknown>).resourceVersion = String(this.rv)
      this.objects.get(resource)!.delete(object.metadata.uid)
    } else stored = this.store(resource, object)
    const change: Change = { rv: this.rv, resource, type, object: stored }
    this.history.push(change)
    for (const watcher of this.watchers) {
      if (watcher.resource === resource && watcher.matches(stored))
        this.send(watcher.response, type, this.typed(resource, stored))
    }
    return stored
  }

  /** Watch event objects carry kind and apiVersion; list items do not. */
  private typed(resource: Resource, object: KubeObject): KubeObject {
    return { kind: kinds[resource].kind, apiVersion: kinds[resource].apiVersion, ...object }
  }

  private send(response: http.ServerResponse, type: string, object: unknown): void {
    response.write(`${JSON.stringify({ type, object })}\n`)
  }

  private end(watcher: Watcher): void {
    this.watchers.delete(watcher)
    watcher.response.end()
  }

  private json(response: http.ServerResponse, code: number, body: unknown): void {
    const text = JSON.stringify(body)
    response.writeHead(code, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) })
    response.end(text)
  }

  private handle(request: http.IncomingMessage, response: http.ServerResponse): void {
    const url = new URL(request.url ?? "/", "http://localhost")
    const query = Object.fromEntries(url.searchParams)
    const resource = byPath.get(url.pathname)
    const watch = query.watch === "true" || query.watch === "1"
    const answer = (code: number) => this.requests.push({ resource, watch, query, status: code })
    if (this.options.token !== undefined && request.headers.authorization !== `Bearer ${this.options.token}`) {
      answer(401)
      this.json(response, 401, status(401, "Unauthorized", "Unauthorized"))
      return
    }
    if (request.method !== "GET" || resource === undefined) {
      answer(404)
      this.json(response, 404, status(404, "NotFound", "the server could not find the requested resource"))
      return
    }
    if (this.options.forbidden?.includes(resource)) {
      answer(403)
      const group = kinds[resource].apiVersion === "v1" ? "" : kinds[resource].apiVersion.split("/")[0]!
      this.json(
        response,
        403,
        status(
          403,
          "Forbidden",
          `${resource}${group === "" ? "" : `.${group}`} is forbidden: User "system:serviceaccount:probe:probe" ` +
            `cannot ${watch ? "watch" : "list"} resource "${resource}" in API group "${group}" at the cluster scope`
        )
      )
      return
    }
    let matches: (object: KubeObject) => boolean
    try {
      matches = fieldSelector(query.fieldSelector)
    } catch (error) {
      answer(400)
      this.json(response, 400, status(400, "BadRequest", (error as Error).message))
      return
    }
    if (watch) this.watch({ resource, query, matches, response, answer })
    else this.list({ resource, query, matches, response, answer })
  }

  /** The objects of `resource` that match, in list order. */
  private matching(resource: Resource, matches: (object: KubeObject) => boolean): Array<KubeObject> {
    return [...this.objects.get(resource)!.values()].filter(matches).sort(order)
  }

  private list({ resource, query, matches, response, answer }: ResourceRequest): void {
    let offset = 0
    let rv = this.rv
    if (query.continue !== undefined) {
      const token = JSON.parse(Buffer.from(query.continue, "base64url").toString()) as { rv: number; offset: number }
      if (token.rv < this.compactedTo) {
        answer(410)
        this.json(
          response,
          410,
          status(410, "Expired", "The provided continue parameter is too old to display a consistent list result.")
        )
        return
      }
      offset = token.offset
      rv = token.rv
    }
    const all = this.matching(resource, matches)
    const limit = query.limit === undefined ? all.length : Math.max(1, Number(query.limit))
    const page = all.slice(offset, offset + limit)
    const more = offset + limit < all.length
    const metadata: Record<string, unknown> = { resourceVersion: String(rv) }
    if (more) {
      metadata.continue = Buffer.from(JSON.stringify({ rv, offset: offset + limit })).toString("base64url")
      metadata.remainingItemCount = all.length - offset - limit
    }
    answer(200)
    response.on("finish", () => this.onListPage?.(resource, Math.floor(offset / limit)))
    this.json(response, 200, {
      kind: `${kinds[resource].kind}List`,
      apiVersion: kinds[resource].apiVersion,
      metadata,
      items: page.map((object) => {
        const { kind: _kind, apiVersion: _apiVersion, ...rest } = object
        return rest
      })
    })
  }

  private watch({ resource, query, matches, response, answer }: ResourceRequest): void {
    answer(200)
    response.writeHead(200, { "Content-Type": "application/json", "Transfer-Encoding": "chunked" })
    response.flushHeaders()
    const from = query.resourceVersion === undefined || query.resourceVersion === "" ? 0 : Number(query.resourceVersion)
    if (from === 0) {
      for (const object of this.matching(resource, matches)) {
        this.send(response, "ADDED", this.typed(resource, object))
      }
    } else if (from < this.compactedTo) {
      this.send(response, "ERROR", status(410, "Expired", `too old resource version: ${from} (${this.rv})`))
      response.end()
      return
    } else {
      for (const change of this.history) {
        if (change.rv > from && change.resource === resource && matches(change.object)) {
          this.send(response, change.type, this.typed(resource, change.object))
        }
      }
    }
    const watcher: Watcher = { resource, response, matches }
    this.watchers.add(watcher)
    const seconds = Number(query.timeoutSeconds)
    const timer =
      Number.isFinite(seconds) && seconds > 0 ? setTimeout(() => this.end(watcher), seconds * 1000) : undefined
    // The response closes when the client goes away or the stream ends (request "close" fires too early).
    response.on("close", () => {
      if (timer !== undefined) clearTimeout(timer)
      this.watchers.delete(watcher)
    })
  }
}
