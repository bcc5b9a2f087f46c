/**
 * The app scheduler's REST API (Marathon's `/v2` shape) and the layer that serves it on the master.
 *
 * @since 0.1.0
 */
export { appJson, groupJson } from "./appJson.js"
export * as AppsApi from "./AppsApi.js"
export { errorResponse } from "./errors.js"
export { eventsRoute } from "./events.js"
export { appsRoutes } from "./routes.js"
