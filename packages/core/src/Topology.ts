/**
 * The names of the topologies a report can hold. Plugins may add topologies of their own; these are the
 * built-in ones that the views know.
 *
 * @since 0.1.0
 * @category models
 */
export const Topologies = {
  hosts: "hosts",
  containers: "containers",
  containerImages: "container_images",
  processes: "processes",
  endpoints: "endpoints",
  pods: "pods",
  services: "services",
  deployments: "deployments",
  namespaces: "namespaces"
} as const

/**
 * A built-in topology name.
 *
 * @since 0.1.0
 * @category models
 */
export type BuiltinTopology = (typeof Topologies)[keyof typeof Topologies]

/**
 * Any topology name: a built-in one or one a plugin adds.
 *
 * @since 0.1.0
 * @category models
 */
export type TopologyName = BuiltinTopology | (string & {})

/**
 * Every built-in topology name, in the order the UI lists them.
 *
 * @since 0.1.0
 * @category models
 */
export const builtinTopologies: ReadonlyArray<BuiltinTopology> = Object.values(Topologies)
