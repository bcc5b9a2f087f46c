/**
 * `node:http` and `node:https`, loaded through `require` rather than `import`. Node 22 builds the ES module view
 * of a built-in module by reading every export, and `node:http`'s `WebSocket`, `CloseEvent` and `MessageEvent`
 * are lazy getters that load undici and compile its llhttp WebAssembly: about 10 MB of RSS that the probe never
 * uses. `node:https` (TLS, about 5 MB) is loaded only when an `https://` URL needs it.
 */
import type * as Http from "node:http"
import type * as Https from "node:https"
import { createRequire } from "node:module"

const require = createRequire(import.meta.url)

/** `node:http`. */
export const http: typeof Http = require("node:http")

let httpsModule: typeof Https | undefined

/** `node:https`, loaded on first use. */
export const https = (): typeof Https => {
  httpsModule ??= require("node:https") as typeof Https
  return httpsModule
}
