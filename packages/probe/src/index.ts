/**
 * @orchestrator/probe: the probe runtime. Collectors (the host collector and plugins) -> ReportBuilder (full
 * reports and deltas) -> Publisher (gzip, backoff, resync) -> the app server; controls arrive over the
 * ControlChannel and may open Pipes.
 *
 * @since 0.1.0
 */
export * as BuiltinPlugins from "./BuiltinPlugins.js"
export * as ControlChannel from "./ControlChannel.js"
export * as DockerCollector from "./DockerCollector.js"
export * as DockerControls from "./DockerControls.js"
export * as HostCollector from "./HostCollector.js"
export * as KubernetesCollector from "./KubernetesCollector.js"
export * as NetworkCollector from "./NetworkCollector.js"
export * as Pipes from "./Pipes.js"
export * as Probe from "./Probe.js"
export * as ProcessCollector from "./ProcessCollector.js"
export * as ProbeConfig from "./ProbeConfig.js"
export * as Publisher from "./Publisher.js"
export * as ReportBuilder from "./ReportBuilder.js"
export * as RunningProbe from "./RunningProbe.js"
/** The Promise facade's entry point, re-exported at the top level. */
export { createProbe } from "./RunningProbe.js"
