/**
 * The views the app ships with, in the order the UI lists them.
 *
 * Every built-in view draws one node per node of its topology (or per group), directed edges from the side
 * that opened connections to the side that accepted them, with ids `<source>-><target>` and a `connections`
 * count, and pseudo nodes for traffic with the outside (see `Pseudo`). Nodes come in the report's order,
 * then pseudo nodes; edges by source, then target.
 *
 * @since 0.1.0
 */
import * as Containers from "./Containers.js"
import * as ContainersByImage from "./ContainersByImage.js"
import * as Deployments from "./Deployments.js"
import * as Hosts from "./Hosts.js"
import * as Namespaces from "./Namespaces.js"
import * as Pods from "./Pods.js"
import * as Processes from "./Processes.js"
import * as ProcessesByName from "./ProcessesByName.js"
import * as Services from "./Services.js"
import type { ViewDefinition } from "./View.js"

/**
 * Every built-in view: processes, processes-by-name, containers, containers-by-image, pods, services,
 * deployments, namespaces and hosts.
 *
 * @since 0.1.0
 * @category views
 */
export const all: ReadonlyArray<ViewDefinition> = [
  Processes.view,
  ProcessesByName.view,
  Containers.view,
  ContainersByImage.view,
  Pods.view,
  Services.view,
  Deployments.view,
  Namespaces.view,
  Hosts.view
]

/**
 * The processes view (`processes`).
 *
 * @since 0.1.0
 * @category views
 */
export const processes: ViewDefinition = Processes.view

/**
 * The processes-by-name view (`processes-by-name`).
 *
 * @since 0.1.0
 * @category views
 */
export const processesByName: ViewDefinition = ProcessesByName.view

/**
 * The containers view (`containers`).
 *
 * @since 0.1.0
 * @category views
 */
export const containers: ViewDefinition = Containers.view

/**
 * The containers-by-image view (`containers-by-image`).
 *
 * @since 0.1.0
 * @category views
 */
export const containersByImage: ViewDefinition = ContainersByImage.view

/**
 * The pods view (`pods`).
 *
 * @since 0.1.0
 * @category views
 */
export const pods: ViewDefinition = Pods.view

/**
 * The services view (`services`).
 *
 * @since 0.1.0
 * @category views
 */
export const services: ViewDefinition = Services.view

/**
 * The deployments view (`deployments`).
 *
 * @since 0.1.0
 * @category views
 */
export const deployments: ViewDefinition = Deployments.view

/**
 * The namespaces view (`namespaces`).
 *
 * @since 0.1.0
 * @category views
 */
export const namespaces: ViewDefinition = Namespaces.view

/**
 * The hosts view (`hosts`).
 *
 * @since 0.1.0
 * @category views
 */
export const hosts: ViewDefinition = Hosts.view

/**
 * Views the view list shows even when their topology is empty.
 *
 * @since 0.1.0
 * @category views
 */
export const alwaysListed: ReadonlySet<string> = new Set([Processes.view.id, Containers.view.id, Hosts.view.id])
