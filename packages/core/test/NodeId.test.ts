import { describe, expect, it } from "vitest"
import {
  endpointId,
  isHostLocalAddress,
  normalizeAddress,
  parseEndpointId,
  parseProcessId,
  processId
} from "../src/NodeId.js"

describe("NodeId", () => {
  it("scopes host-local endpoint addresses to the host and leaves others unscoped", () => {
    expect(endpointId("node-1", "127.0.0.1", 5432)).toBe("node-1;127.0.0.1;5432")
    expect(endpointId("node-1", "10.0.0.7", 80)).toBe(";10.0.0.7;80")
    expect(endpointId("node-1", "::1", 53, "udp")).toBe("node-1;::1;53;udp")
    expect(endpointId("node-1", "FE80::1", 22)).toBe("node-1;fe80::1;22")
    expect(endpointId("node-1", "FD00:0:0::7", 443)).toBe(";fd00::7;443")
    expect(endpointId("node-1", "::ffff:10.1.2.3", 443)).toBe(";10.1.2.3;443")
    expect(endpointId("node-1", "::ffff:127.0.0.1", 1)).toBe("node-1;127.0.0.1;1")
  })

  it("parses endpoint and process ids back, rejecting what is not one", () => {
    expect(parseEndpointId("node-1;::1;53;udp")).toEqual({ scope: "node-1", address: "::1", port: 53, protocol: "udp" })
    expect(parseEndpointId(";10.0.0.7;80")).toEqual({ scope: "", address: "10.0.0.7", port: 80, protocol: "tcp" })
    expect(parseEndpointId(";10.0.0.7;99999")).toBeUndefined()
    expect(parseEndpointId(";not-an-ip;80")).toBeUndefined()
    expect(parseEndpointId(";10.0.0.7;80;sctp")).toBeUndefined()
    expect(parseEndpointId("x")).toBeUndefined()
    expect(parseProcessId(processId("node-1", 4242))).toEqual({ hostId: "node-1", pid: 4242 })
    expect(parseProcessId("node-1;abc")).toBeUndefined()
    expect(parseProcessId(";12")).toBeUndefined()
  })

  it("knows host-local addresses and canonical forms", () => {
    expect(["127.0.0.2", "169.254.1.1", "0.0.0.0", "::", "::1", "fe80::2"].map(isHostLocalAddress)).toEqual([
      true,
      true,
      true,
      true,
      true,
      true
    ])
    expect(["10.0.0.1", "fd00::1", "2001:db8::1"].map(isHostLocalAddress)).toEqual([false, false, false])
    expect(normalizeAddress("2001:DB8:0:0:0:0:0:1")).toBe("2001:db8::1")
    expect(normalizeAddress("hostname")).toBe("hostname")
  })
})
