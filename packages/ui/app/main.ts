/**
 * The UI's entry point: checks the session (showing the token form when the app server needs a token), then
 * starts the {@link App}. If the session ends later (a refused WebSocket or a 401), the form comes back.
 */
import { ApiError, getSession } from "./Api.js"
import { App } from "./App.js"
import { h, replaceChildren } from "./Dom.js"
import { showLogin } from "./LoginForm.js"
import type { SessionState } from "./Protocol.js"

const root = document.getElementById("app") ?? document.body.appendChild(h("div", { id: "app" }))
let app: App | undefined
let checking = false

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Asks for the session until the app server answers (it may still be starting). */
const session = async (): Promise<SessionState> => {
  for (let attempt = 1; ; attempt++) {
    try {
      return await getSession()
    } catch (error) {
      // A network failure already reads "cannot reach the app server (…)"; an HTTP one (a proxy's 502) does not.
      const detail = error instanceof Error ? error.message : String(error)
      const text =
        error instanceof ApiError && error.code === "network" ? detail : `cannot reach the app server (${detail})`
      replaceChildren(
        root,
        h(
          "main",
          { class: "login-page" },
          h("p", { class: "error", role: "alert" }, `${text[0]!.toUpperCase()}${text.slice(1)}. Retrying…`)
        )
      )
      await sleep(Math.min(10_000, 500 * 2 ** attempt))
    }
  }
}

const run = async (reason?: string): Promise<void> => {
  const state = await session()
  if (state.authRequired && !state.authenticated) await showLogin(root, reason)
  app = new App(root, () => void unauthorized())
  app.start()
}

/** Called when a request was refused: if the session really ended, stop and ask for the token again. */
const unauthorized = async (): Promise<void> => {
  if (checking) return
  checking = true
  try {
    const state = await getSession()
    if (state.authRequired && !state.authenticated) {
      app?.stop()
      app = undefined
      await run("Your session ended. Enter the token again.")
    }
  } catch {
    // The server is unreachable; the connection keeps retrying on its own.
  } finally {
    checking = false
  }
}

void run()
