/**
 * Service discovery: the registry of healthy endpoints per app (lookups by app id, DNS-style and SRV-style
 * names; watches with numbered, resumable changes), its REST and server-sent event routes, and an optional
 * mirror into ZooKeeper in Apache Curator's service discovery layout.
 *
 * @since 0.1.0
 */
export { type DiscoveryRoutesOptions, discoveryRoutes, eventId, type KnownPort, resumeSeq, toSse } from "./routes.js"
export {
  type DiscoveryEvent,
  endpointKey,
  InvalidEndpoint,
  matchesPort,
  type ParsedName,
  parseName,
  ServiceEndpoint,
  type ServiceView,
  srvName
} from "./ServiceEndpoint.js"
export { type RegistryOptions, ServiceRegistry, type WatchOptions } from "./ServiceRegistry.js"
export * as Sse from "./sse.js"
export {
  type CuratorInstance,
  curatorInstance,
  instanceId,
  instancePath,
  type RegistrationOptions,
  ZooKeeperRegistration
} from "./ZooKeeperRegistration.js"
export {
  createServiceRegistry,
  type RunningServiceRegistry,
  type ServiceRegistryOptions
} from "./RunningServiceRegistry.js"
