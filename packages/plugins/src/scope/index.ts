/**
 * Weave Scope's plugin protocol: bridge existing Scope plugins (HTTP on Unix sockets) into a plugin registry.
 *
 * @since 0.1.0
 */
export * as ScopeBridge from "./ScopeBridge.js"
export * as ScopePlugin from "./ScopePlugin.js"
export * as ScopeReport from "./ScopeReport.js"
export * as ScopeSocket from "./ScopeSocket.js"
