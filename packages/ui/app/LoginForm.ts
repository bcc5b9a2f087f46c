/** The token form shown when the app server requires a token and this browser has no session yet. */
import { ApiError, login } from "./Api.js"
import { h, replaceChildren } from "./Dom.js"

/** Shows the form in `root` and resolves once the server accepted a token (it set an HttpOnly cookie). */
export const showLogin = (root: HTMLElement, reason?: string): Promise<void> =>
  new Promise((resolve) => {
    const input = h("input", {
      type: "password",
      name: "token",
      id: "token",
      autocomplete: "current-password",
      required: true,
      spellcheck: "false"
    })
    const error = h("p", { class: "error", role: "alert", hidden: reason === undefined }, reason ?? "")
    const submit = h("button", { type: "submit", class: "primary" }, "Sign in")
    const form = h(
      "form",
      { class: "login", "aria-labelledby": "login-title" },
      h("h1", { id: "login-title" }, "Orchestrator"),
      h(
        "p",
        {},
        "This app server requires the token it was started with (",
        h("code", {}, "--token"),
        " or ",
        h("code", {}, "APP_TOKEN"),
        ")."
      ),
      h("label", { for: "token" }, "Token"),
      input,
      error,
      submit
    )
    form.addEventListener("submit", async (event) => {
      event.preventDefault()
      submit.disabled = true
      error.hidden = true
      try {
        await login(input.value)
        resolve()
      } catch (cause) {
        error.hidden = false
        error.textContent =
          cause instanceof ApiError && cause.status === 401
            ? "That token is not valid."
            : String(cause instanceof Error ? cause.message : cause)
        input.select()
      } finally {
        submit.disabled = false
      }
    })
    replaceChildren(root, h("main", { class: "login-page" }, form))
    input.focus()
  })
