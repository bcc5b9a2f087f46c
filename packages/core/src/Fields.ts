/**
 * Well-known field and metric names. Collectors write them, views, search and panels read them; plugins
 * may add their own keys.
 *
 * @since 0.1.0
 */

/**
 * Latest-value keys.
 *
 * @since 0.1.0
 * @category constants
 */
export const Latest = {
  /** Display name (host name, container name, process name, pod name...). */
  name: "name",
  /** Host: OS, kernel, architecture, cores, memory total, uptime, load. */
  os: "os",
  kernel: "kernel_version",
  arch: "arch",
  cpuCores: "cpu_cores",
  memoryTotal: "memory_total_bytes",
  uptime: "uptime_seconds",
  load1: "load1",
  /** Process. */
  pid: "pid",
  ppid: "ppid",
  command: "cmdline",
  user: "user",
  cwd: "cwd",
  threads: "threads",
  openFiles: "open_files",
  /** Container. */
  containerName: "docker_container_name",
  containerState: "docker_container_state",
  image: "docker_image_name",
  imageTag: "docker_image_tag",
  imageId: "docker_image_id",
  created: "docker_container_created",
  networkMode: "docker_network_mode",
  /** Pod, service, deployment, namespace. */
  namespace: "kubernetes_namespace",
  podPhase: "kubernetes_pod_phase",
  /** Endpoint. */
  address: "addr",
  port: "port",
  protocol: "protocol",
  /** `connected` or `listening` (endpoints). */
  socketState: "socket_state",
  /** Numeric user id of a process. */
  uid: "uid",
  /** TCP state of an endpoint's connection (`ESTABLISHED`, `LISTEN`...). */
  tcpState: "tcp_state",
  /** Conntrack accounting of an endpoint's flows (when `nf_conntrack_acct` is on). */
  bytesSent: "bytes_sent",
  bytesReceived: "bytes_received",
  packetsSent: "packets_sent",
  packetsReceived: "packets_received",
  /** `true` for nodes the probe considers part of the system (kernel threads, the probe itself, pause containers). */
  system: "system"
} as const

/**
 * Set keys.
 *
 * @since 0.1.0
 * @category constants
 */
export const Sets = {
  ips: "ips",
  ports: "ports",
  mounts: "mounts",
  env: "env"
} as const

/**
 * Metric names and their units.
 *
 * @since 0.1.0
 * @category constants
 */
export const Metrics = {
  /** Percent: of one core for processes and containers (may pass 100), of total capacity (0-100) for hosts. */
  cpu: "cpu",
  /** Bytes. */
  memory: "memory",
  networkRx: "network_rx_bytes_per_second",
  networkTx: "network_tx_bytes_per_second",
  diskRead: "disk_read_bytes_per_second",
  diskWrite: "disk_write_bytes_per_second",
  /** A count. */
  connections: "connections"
} as const

/**
 * Container states that count as running.
 *
 * @since 0.1.0
 * @category constants
 */
export const runningStates: ReadonlySet<string> = new Set(["running", "paused", "restarting"])
