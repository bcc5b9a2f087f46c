/**
 * The app scheduler's events (Marathon's `eventType` names, numbered) and the log that numbers, redacts,
 * keeps and publishes them.
 *
 * @since 0.1.0
 */
export type { AppEvent, AppEventPayload, AppEventType, DeploymentAction } from "./AppEvent.js"
export * as EventLog from "./EventLog.js"
