/**
 * `@orchestrator/core/docker`: the shared Docker client layer (dockerode, loaded lazily) used by the probe's
 * collectors and the scheduler's containerizer.
 *
 * @since 0.1.0
 */
export { DockerClient, type DockerClientOptions, defaultSocketPath, make } from "./DockerClient.js"
export { DockerError, DockerUnavailable } from "./DockerError.js"
export { secretEnvLabel, secretEnvNames } from "./ContainerLabels.js"
