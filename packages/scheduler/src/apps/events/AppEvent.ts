/**
 * The app scheduler's events, with Marathon's `eventType` names, as `/v2/events` streams them: each carries
 * a sequence number `seq` (strictly increasing, gap-free while this scheduler leads; resumable with
 * `events(after)`) and an ISO `timestamp`. Text in events has passed through the secrets `Redactor`. Two
 * events are about the stream itself, not the scheduler: `event_stream_dropped` (a reader fell too far
 * behind) and `event_stream_gap` (a reader resumed after events the history no longer holds).
 *
 * @since 0.1.0
 */

/**
 * One action of a deployment step, as Marathon lists them.
 *
 * @since 0.1.0
 * @category models
 */
export interface DeploymentAction {
  readonly action: "StartApplication" | "ScaleApplication" | "RestartApplication" | "StopApplication"
  readonly app: string
}

/**
 * The payload of an event (without `seq` and `timestamp`).
 *
 * @since 0.1.0
 * @category models
 */
export type AppEventPayload =
  | {
      readonly eventType: "api_post_event"
      readonly appId: string
      readonly version: string
      /** What the request changed: `put`, `scale`, `restart`, `remove`, `putGroup`, `removeGroup`, `kill`. */
      readonly operation: string
    }
  | {
      readonly eventType: "group_change_success"
      readonly groupId: string
      readonly version: string
    }
  | {
      readonly eventType: "deployment_info"
      readonly id: string
      readonly version: string
      readonly affectedApps: ReadonlyArray<string>
      readonly currentStep: number
      readonly totalSteps: number
      readonly currentActions: ReadonlyArray<DeploymentAction>
      readonly rollback: boolean
    }
  | {
      readonly eventType: "deployment_step_success"
      readonly id: string
      readonly step: number
      readonly actions: ReadonlyArray<DeploymentAction>
    }
  | {
      readonly eventType: "deployment_success"
      readonly id: string
      readonly version: string
      readonly affectedApps: ReadonlyArray<string>
    }
  | {
      readonly eventType: "deployment_failed"
      readonly id: string
      readonly version: string
      readonly affectedApps: ReadonlyArray<string>
      /** `deadline`, `cancelled`, `superseded` (cancelled by a forced deployment) or the failure's message. */
      readonly reason: string
      /** The id of the rollback deployment started for it, if any. */
      readonly rollbackId?: string
    }
  | {
      readonly eventType: "status_update_event"
      readonly appId: string
      readonly taskId: string
      readonly agentId: string
      readonly host: string
      readonly ports: ReadonlyArray<number>
      readonly version: string
      /** Marathon's task state names: `TASK_STAGING`, `TASK_RUNNING`, `TASK_FAILED`, `TASK_KILLED`, `TASK_LOST`... */
      readonly taskStatus: string
      readonly message: string
    }
  | {
      readonly eventType: "health_status_changed_event"
      readonly appId: string
      readonly taskId: string
      readonly version: string
      readonly alive: boolean
    }
  | {
      readonly eventType: "unhealthy_instance_kill_event"
      readonly appId: string
      readonly taskId: string
      readonly version: string
      readonly reason: string
    }
  | {
      readonly eventType: "app_terminated_event"
      readonly appId: string
    }
  | {
      readonly eventType: "app_failing_event"
      readonly appId: string
      readonly version: string
      /** Launches are delayed until then (ms epoch). */
      readonly delayedUntil: number
      readonly consecutiveFailures: number
      readonly message: string
    }
  | {
      /**
       * The last event of a stream whose reader fell more than its buffer behind (a stalled client): nothing
       * after `seq` was sent and the stream ends; reconnect with `Last-Event-ID: <seq>` to go on. Only in
       * that stream, never in the history (its `seq` is the last event it accounts for).
       */
      readonly eventType: "event_stream_dropped"
      readonly reason: string
    }
  | {
      /**
       * The first event of a stream resumed after an event the bounded history no longer holds: events
       * `missedFrom` to `missedTo` are lost to this reader; the stream goes on after them (its `seq` is
       * `missedTo`). Only in that stream, never in the history.
       */
      readonly eventType: "event_stream_gap"
      readonly after: number
      readonly missedFrom: number
      readonly missedTo: number
      readonly reason: string
    }

/**
 * An event as streamed: its payload, its sequence number and when it happened.
 *
 * @since 0.1.0
 * @category models
 */
export type AppEvent = AppEventPayload & { readonly seq: number; readonly timestamp: string }

/**
 * The `eventType` names.
 *
 * @since 0.1.0
 * @category models
 */
export type AppEventType = AppEventPayload["eventType"]

/**
 * Every `eventType` there is (what `/v2/events?event_type=` may name).
 *
 * @since 0.1.0
 * @category models
 */
export const appEventTypes = [
  "api_post_event",
  "group_change_success",
  "deployment_info",
  "deployment_step_success",
  "deployment_success",
  "deployment_failed",
  "status_update_event",
  "health_status_changed_event",
  "unhealthy_instance_kill_event",
  "app_terminated_event",
  "app_failing_event",
  "event_stream_dropped",
  "event_stream_gap"
] as const satisfies ReadonlyArray<AppEvent["eventType"]>

/** Fails to compile when an event type is missing from {@link appEventTypes}. */
const complete: [Exclude<AppEvent["eventType"], (typeof appEventTypes)[number]>] extends [never] ? true : false = true
void complete
