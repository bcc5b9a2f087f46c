/**
 * Real loopback backends and clients for the load balancer tests and benchmark: HTTP and TCP servers that
 * say who they are, hold connections on request, and count what they served.
 */
import { spawn } from "node:child_process"
import { once } from "node:events"
import {
  Agent,
  createServer as createHttpServer,
  type Server as HttpServer,
  type IncomingMessage,
  request
} from "node:http"
import type { Readable, Writable } from "node:stream"
import { freePorts } from "../../../../../test/fixtures/process.js"
import {
  createLoadBalancer,
  type LoadBalancerOptions,
  type Mode,
  type RunningLoadBalancer
} from "../../../src/apps/lb/index.js"
import { type AddressInfo, connect, createServer as createNetServer, type Server, type Socket } from "node:net"

/** A backend started by a test. */
export interface TestBackend {
  readonly name: string
  readonly port: number
  /** Requests (HTTP) or connections (TCP) served. */
  hits: number
  /** Connections open right now. */
  readonly open: Set<Socket>
  /** Connections accepted so far. */
  connections: number
  /** Answers every held `/hold` request (HTTP). */
  release(): void
  close(): Promise<void>
}

const listening = (server: Server | HttpServer): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port))
  })

const closer = (server: Server, open: Set<Socket>) => (): Promise<void> =>
  new Promise((resolve) => {
    for (const s of open) s.destroy()
    server.close(() => resolve())
  })

/** An HTTP backend started by a test; `closing` makes it answer `Connection: close` (and close) every time. */
export interface HttpTestBackend extends TestBackend {
  closing: boolean
}

/**
 * An HTTP backend: `GET /` answers its name, `POST /echo` streams the body back, `/hold` answers only on
 * `release()`, `/never` never answers, `/stall` sends its head and a first chunk then nothing, `/headers`
 * answers the request headers as JSON, `/raw` the raw header lines (and sets two cookies). With `closing` it
 * closes every connection after one answer (as busybox httpd does).
 */
export const httpBackend = async (name: string, closing = false): Promise<HttpTestBackend> => {
  const held: Array<() => void> = []
  const open = new Set<Socket>()
  const server = createHttpServer((req, res) => {
    backend.hits++
    const url = req.url ?? "/"
    if (backend.closing) res.setHeader("connection", "close")
    if (url === "/stall") {
      res.writeHead(200, { "content-type": "text/plain" })
      res.write("partial")
      return
    }
    if (url === "/echo") {
      res.writeHead(200, { "content-type": "application/octet-stream", "x-backend": name })
      req.pipe(res)
      return
    }
    if (url === "/headers") {
      const connection = `${backend.closing ? "close" : "keep-alive"}, x-private`
      res.writeHead(200, { "content-type": "application/json", connection, "x-private": "1" })
      res.end(JSON.stringify(req.headers))
      return
    }
    if (url === "/raw") {
      res.setHeader("set-cookie", ["a=1", "b=2"])
      res.writeHead(200, { "content-type": "application/json" })
      res.end(JSON.stringify(req.rawHeaders))
      return
    }
    if (url === "/never") return
    if (url === "/hold") {
      held.push(() => res.end(name))
      return
    }
    req.resume()
    res.writeHead(200, { "content-type": "text/plain", "x-backend": name })
    res.end(name)
  })
  server.on("upgrade", (req: IncomingMessage, socket: Socket) => {
    backend.hits++
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nupgrade: echo\r\nconnection: Upgrade\r\nx-backend: ${name}\r\nx-seen-for: ${String(req.headers["x-forwarded-for"])}\r\n\r\n`
    )
    socket.pipe(socket)
  })
  server.on("connection", (s) => {
    backend.connections++
    open.add(s)
    s.on("close", () => open.delete(s))
  })
  const port = await listening(server)
  const backend: HttpTestBackend = {
    name,
    port,
    hits: 0,
    connections: 0,
    closing,
    open,
    release: () => {
      for (const f of held.splice(0)) f()
    },
    close: closer(server, open)
  }
  return backend
}

/** A TCP backend: writes `<name>\n` on connect, then echoes; ends its side when the client ends. */
export const tcpBackend = async (name: string): Promise<TestBackend> => {
  const open = new Set<Socket>()
  const server = createNetServer({ allowHalfOpen: true }, (socket) => {
    backend.hits++
    backend.connections++
    open.add(socket)
    socket.on("close", () => open.delete(socket))
    socket.on("error", () => {})
    socket.write(`${name}\n`)
    socket.pipe(socket)
  })
  const port = await listening(server)
  const backend: TestBackend = {
    name,
    port,
    hits: 0,
    connections: 0,
    open,
    release: () => {},
    close: closer(server, open)
  }
  return backend
}

/**
 * A backend that never accepts: a listener in a stopped child process (SIGSTOP) whose accept queue is full, so
 * the kernel drops new SYNs and a connection attempt hangs (as with a host that went away). Once resumed, it
 * reads what it is sent and closes a connection when its client does.
 */
export const stalledBackend = async (): Promise<{
  readonly port: number
  /** Lets the process run again: it accepts, and a dropped SYN gets through on its retransmission. */
  resume(): void
  close(): Promise<void>
}> => {
  const child = spawn(
    process.execPath,
    [
      "-e",
      `const s = require("node:net").createServer((c) => c.resume()); s.listen({ port: 0, host: "127.0.0.1", backlog: 1 }, () => console.log(s.address().port))`
    ],
    { stdio: ["ignore", "pipe", "inherit"] }
  )
  const [chunk] = (await once(child.stdout!, "data")) as [Buffer]
  const port = Number(chunk.toString().trim())
  process.kill(child.pid!, "SIGSTOP")
  // fill the accept queue (backlog + 1 on Linux) with connections nobody accepts
  const fillers: Array<Socket> = []
  for (let i = 0; i < 3; i++) {
    const s = connect({ host: "127.0.0.1", port })
    s.on("error", () => {})
    fillers.push(s)
  }
  await new Promise((resolve) => setTimeout(resolve, 100))
  return {
    port,
    resume: () => process.kill(child.pid!, "SIGCONT"),
    close: async () => {
      for (const s of fillers) s.destroy()
      child.kill("SIGKILL")
      await once(child, "exit")
    }
  }
}

/** A port nothing listens on (a backend that just died). */
export const deadPort = async (): Promise<number> => {
  const server = createNetServer()
  const port = await listening(server)
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** An HTTP answer. */
export interface Answer {
  readonly status: number
  readonly headers: Record<string, string | ReadonlyArray<string> | undefined>
  readonly body: string
}

/** One HTTP request (keep-alive through `agent` when given). */
export const send = (
  url: string,
  options: { method?: string; body?: string | Buffer; agent?: Agent; headers?: Record<string, string> } = {}
): Promise<Answer> =>
  new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? "GET", agent: options.agent ?? false, headers: options.headers ?? {} },
      (res) => {
        const chunks: Array<Buffer> = []
        res.on("data", (c: Buffer) => chunks.push(c))
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") })
        )
        res.on("error", reject)
      }
    )
    req.on("error", reject)
    req.end(options.body)
  })

/** A TCP client connection that collects what it receives. */
export interface TcpClient {
  readonly socket: Socket
  /** Everything received so far. */
  received(): string
  /** Resolves with everything received once `text` appears (or rejects on close before it). */
  waitFor(text: string, timeoutMs?: number): Promise<string>
  /** Resolves with everything received when the connection closes. */
  readonly closed: Promise<string>
}

/** Connects to `port` on loopback. */
export const tcpClient = (port: number): TcpClient => {
  const socket = connect({ host: "127.0.0.1", port })
  let text = ""
  const listeners = new Set<() => void>()
  socket.setEncoding("utf8")
  socket.on("data", (chunk: string) => {
    text += chunk
    for (const l of listeners) l()
  })
  socket.on("error", () => {})
  const closed = new Promise<string>((resolve) => socket.on("close", () => resolve(text)))
  return {
    socket,
    received: () => text,
    closed,
    waitFor: (wanted, timeoutMs = 5_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (text.includes(wanted)) {
            listeners.delete(check)
            clearTimeout(timer)
            resolve(text)
          }
        }
        const timer = setTimeout(() => {
          listeners.delete(check)
          reject(new Error(`timed out waiting for ${JSON.stringify(wanted)}; got ${JSON.stringify(text)}`))
        }, timeoutMs)
        listeners.add(check)
        void closed.then(() => {
          if (listeners.has(check)) {
            listeners.delete(check)
            clearTimeout(timer)
            if (text.includes(wanted)) resolve(text)
            else reject(new Error(`closed before ${JSON.stringify(wanted)}; got ${JSON.stringify(text)}`))
          }
        })
        check()
      })
  }
}

/** The name a TCP backend greets a new connection with. */
export const greeting = async (port: number): Promise<string> => {
  const client = tcpClient(port)
  try {
    const text = await client.waitFor("\n")
    return text.split("\n")[0]!
  } finally {
    client.socket.destroy()
  }
}

/**
 * A load balancer on a free loopback port in front of fresh backends made by `start` (one per name), each
 * closed by `cleanup` (run them in reverse after each test).
 */
export const lbInFront = async (
  cleanup: Array<() => Promise<void>>,
  service: { readonly name: string; readonly mode: Mode },
  start: (name: string) => Promise<TestBackend>,
  names: ReadonlyArray<string>,
  options: LoadBalancerOptions = {}
): Promise<{ readonly lb: RunningLoadBalancer; readonly port: number; readonly backends: Array<TestBackend> }> => {
  const backends: Array<TestBackend> = []
  for (const name of names) backends.push(await start(name))
  for (const b of backends) cleanup.push(() => b.close())
  const lb = await createLoadBalancer(options)
  cleanup.push(() => lb.close())
  const [port] = await freePorts(1)
  await lb.ensure({ servicePort: port!, ...service, strategy: "round-robin", host: "127.0.0.1" })
  await lb.setBackends(
    port!,
    backends.map((b) => ({ id: b.name, host: "127.0.0.1", port: b.port }))
  )
  return { lb, port: port!, backends }
}

/** What {@link flood} wrote so far. */
export interface Flood {
  readonly total: number
  written: number
}

/**
 * Writes `flood.total` bytes into `out` in 64 KiB blocks as fast as its backpressure allows (counting them in
 * `flood.written`), then ends it: a backend that shows whether the proxy made it wait.
 */
export const flood = (state: Flood, out: Writable): void => {
  const block = Buffer.alloc(64 * 1024, 120)
  const pump = (): void => {
    while (state.written < state.total) {
      state.written += block.length
      if (!out.write(block)) {
        out.once("drain", pump)
        return
      }
    }
    out.end()
  }
  pump()
}

/**
 * Leaves `answer` unread for `ms` (then runs `meanwhile`, e.g. to check that its sender was made to wait), then
 * reads it to its end; resolves with the number of bytes read.
 */
export const readAfterStall = async (answer: Readable, ms: number, meanwhile: () => void): Promise<number> => {
  answer.pause()
  await new Promise((resolve) => setTimeout(resolve, ms))
  meanwhile()
  let received = 0
  answer.on("data", (chunk: Buffer) => {
    received += chunk.length
  })
  answer.resume()
  await once(answer, "end")
  return received
}

/** Listens on a free loopback port; resolves with it and pushes the server's close onto `cleanup`. */
export const listenLoopback = async (
  server: Server | HttpServer,
  cleanup: Array<() => Promise<void>>
): Promise<number> => {
  const port = await listening(server)
  cleanup.push(() => new Promise((resolve) => server.close(() => resolve())))
  return port
}

/**
 * Starts waiting for `drained(port, id)`; `pending()` checks, `ms` later, that it has not resolved yet, and
 * `done` resolves once it has.
 */
export const watchDrained = (
  lb: { drained(servicePort: number, backendId: string): Promise<void> },
  port: number,
  id: string
): { readonly done: Promise<void>; pending(ms: number): Promise<boolean> } => {
  let drained = false
  const done = lb.drained(port, id).then(() => {
    drained = true
  })
  return {
    done,
    pending: async (ms) => {
      await new Promise((resolve) => setTimeout(resolve, ms))
      return !drained
    }
  }
}

/** How many times each value occurs. */
export const tally = (values: ReadonlyArray<string>): Record<string, number> => {
  const out: Record<string, number> = {}
  for (const v of values) out[v] = (out[v] ?? 0) + 1
  return out
}

/** A keep-alive client agent (one socket, so that per-request balancing is visible). */
export const keepAlive = (): Agent => new Agent({ keepAlive: true, maxSockets: 1 })

/** Opens an `Upgrade: echo` connection (a WebSocket-like handshake); resolves with the 101 answer and the socket. */
export const upgradeTo = (
  url: string
): Promise<{ readonly headers: Record<string, string | ReadonlyArray<string> | undefined>; readonly socket: Socket }> =>
  new Promise((resolve, reject) => {
    const req = request(url, { headers: { connection: "Upgrade", upgrade: "echo" }, agent: false })
    req.on("upgrade", (res, socket) => resolve({ headers: res.headers, socket }))
    req.on("response", (res) => reject(new Error(`no upgrade: ${res.statusCode}`)))
    req.on("error", reject)
    req.end()
  })
