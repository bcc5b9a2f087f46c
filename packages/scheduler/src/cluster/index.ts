/**
 * `@orchestrator/scheduler/cluster`: the master (offers from the DRF allocator, tasks, REST API, leader
 * election through ZooKeeper), the agent and its Docker containerizer, the framework client, and the wire
 * formats between them.
 *
 * - `Master` (Effect service; `createMaster` as a Promise facade), REST on port 5050.
 * - `Agent` (Effect service; `createAgent`), REST on port 5051, tasks run by `DockerContainerizer`.
 * - `FrameworkClient`: the framework API from another process, always at the leader.
 * - `LeaderElection` and `LeaderDetector`: the ZooKeeper recipe masters, agents and frameworks share.
 * - `MasterConfig`, `AgentConfig`: the hosts' flags, parsed, and the layers they run.
 * - `Resources`, `Task`, `Protocol`: resources, task specs and states, and the JSON bodies of every call.
 * - Errors: `InvalidRequest`, `NotFound`, `Conflict`, `NotLeader`, `Unavailable` (4xx/5xx over REST),
 *   `RemoteError`, `ContainerizerError`, `ListenError`.
 *
 * @since 0.1.0
 */
export { Agent, type AgentOptions } from "./agent/Agent.js"
export { detectResources } from "./agent/detect.js"
export { type CreateAgentOptions, createAgent, type RunningAgent } from "./agent/RunningAgent.js"
export {
  Conflict,
  ContainerizerError,
  InvalidRequest,
  NotFound,
  NotLeader,
  RemoteError,
  type RequestError,
  statusOf,
  Unavailable
} from "./ClusterError.js"
export * as AgentConfig from "./config/AgentConfig.js"
export * as MasterConfig from "./config/MasterConfig.js"
export {
  type ContainerizerOptions,
  containerName,
  DockerContainerizer,
  hostConfigFor
} from "./containerizer/DockerContainerizer.js"
export * as Labels from "./containerizer/Labels.js"
export * as LeaderDetector from "./election/LeaderDetector.js"
export { type ElectionOptions, LeaderElection } from "./election/LeaderElection.js"
export { FrameworkClient, type FrameworkClientOptions } from "./framework/FrameworkClient.js"
export { requestJson } from "./http/HttpClient.js"
export {
  type Request as HttpRequest,
  type Response as HttpResponse,
  ListenError,
  type Route,
  route
} from "./http/HttpServer.js"
export { type HaOptions, Master, type MasterOptions } from "./master/Master.js"
export { type CreateMasterOptions, createMaster, type RunningMaster } from "./master/RunningMaster.js"
export * as Protocol from "./Protocol.js"
export * as Resources from "./Resources.js"
export * as Task from "./Task.js"
