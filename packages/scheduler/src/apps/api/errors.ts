/**
 * How the `/v2` API answers errors: Marathon's status codes (422 for an invalid app, 404, 409 for a
 * deployment conflict with the conflicting deployments listed, 503 when this scheduler does not lead), with
 * `{ error, message }` plus what names the problem (`field`, `deployments`, `leader`).
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { RequestError } from "../../cluster/ClusterError.js"
import type { Response } from "../../cluster/http/HttpServer.js"
import type { AppsError } from "../scheduler/AppsError.js"

/**
 * The answer for an app scheduler error.
 *
 * @since 0.1.0
 * @category constructors
 */
export const errorResponse = (error: AppsError): Response => {
  switch (error._tag) {
    case "InvalidApp":
      return {
        status: 422,
        body: {
          error: "InvalidApp",
          message: error.message,
          field: error.field,
          details: [{ path: `/${error.field.replace(/\.|\[/g, "/").replace(/\]/g, "")}`, errors: [error.reason] }]
        }
      }
    case "AppNotFound":
      return { status: 404, body: { error: "NotFound", message: error.message, kind: error.kind, id: error.id } }
    case "DeploymentConflict":
      return {
        status: 409,
        body: {
          error: "DeploymentConflict",
          message: error.message,
          deployments: error.deploymentIds.map((id) => ({ id }))
        }
      }
    case "NotLeading":
      return {
        status: 503,
        body: {
          error: "NotLeader",
          message: error.message,
          ...(error.leader === undefined ? {} : { leader: error.leader })
        }
      }
    case "StoreError":
      return { status: 503, body: { error: "Unavailable", message: error.message } }
  }
}

/**
 * Runs a call of the app scheduler: its value becomes the answer `status` (JSON), an error its error answer.
 *
 * @since 0.1.0
 * @category constructors
 */
export const answer = <A>(
  effect: Effect.Effect<A, AppsError | RequestError>,
  status: number | ((value: A) => number) = 200,
  toBody: (value: A) => unknown = (value) => value
): Effect.Effect<Response, RequestError> =>
  effect.pipe(
    Effect.map((value) => ({ status: typeof status === "number" ? status : status(value), body: toBody(value) })),
    Effect.catch((error: AppsError | RequestError) =>
      isAppsError(error) ? Effect.succeed(errorResponse(error)) : Effect.fail(error)
    )
  )

const appsTags: ReadonlySet<string> = new Set([
  "InvalidApp",
  "AppNotFound",
  "DeploymentConflict",
  "NotLeading",
  "StoreError"
])

const isAppsError = (error: AppsError | RequestError): error is AppsError => appsTags.has(error._tag)
