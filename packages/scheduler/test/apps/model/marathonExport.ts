/**
 * `GET /v2/apps/prod/web?embed=apps.tasks` of a Marathon 1.6 app, as Marathon writes it (`.app`), except
 * `container.docker.privileged: false` and `container.docker.parameters: []`, which the model does not take yet.
 */
export const marathonExport = {
  id: "/prod/web",
  cmd: "httpd -f -p 8080 -h /www",
  args: null,
  user: null,
  env: { LOG_LEVEL: "info" },
  instances: 3,
  cpus: 0.1,
  mem: 64,
  disk: 0,
  gpus: 0,
  executor: "",
  constraints: [["hostname", "UNIQUE"]],
  uris: [],
  fetch: [],
  storeUrls: [],
  backoffSeconds: 1,
  backoffFactor: 1.15,
  maxLaunchDelaySeconds: 3600,
  container: {
    type: "DOCKER",
    volumes: [],
    docker: { image: "busybox:1.36", forcePullImage: false },
    portMappings: [{ containerPort: 8080, hostPort: 0, servicePort: 10042, protocol: "tcp", name: "http", labels: {} }]
  },
  healthChecks: [
    {
      gracePeriodSeconds: 300,
      intervalSeconds: 60,
      maxConsecutiveFailures: 3,
      portIndex: 0,
      timeoutSeconds: 20,
      delaySeconds: 15,
      protocol: "MESOS_HTTP",
      path: "/",
      ipProtocol: "IPv4"
    }
  ],
  readinessChecks: [
    {
      name: "readinessCheck",
      protocol: "HTTP",
      path: "/",
      portName: "http",
      intervalSeconds: 30,
      timeoutSeconds: 10,
      httpStatusCodesForReady: [200],
      preserveLastResponse: false
    }
  ],
  dependencies: [],
  upgradeStrategy: { maximumOverCapacity: 1, minimumHealthCapacity: 1 },
  networks: [{ mode: "container/bridge" }],
  portDefinitions: [],
  requirePorts: false,
  labels: { HAPROXY_GROUP: "external" },
  acceptedResourceRoles: ["*"],
  ipAddress: null,
  version: "2018-03-01T10:12:13.456Z",
  residency: null,
  secrets: {},
  taskKillGracePeriodSeconds: null,
  unreachableStrategy: { inactiveAfterSeconds: 0, expungeAfterSeconds: 0 },
  killSelection: "YOUNGEST_FIRST",
  tty: false,
  versionInfo: { lastScalingAt: "2018-03-01T10:12:13.456Z", lastConfigChangeAt: "2018-02-27T09:00:00.000Z" },
  tasksStaged: 0,
  tasksRunning: 3,
  tasksHealthy: 3,
  tasksUnhealthy: 0,
  deployments: [{ id: "5ed4c0c5-9ff8-4a6f-a0cd-f57f59a34b43" }],
  tasks: [
    {
      id: "prod_web.a7f1c2d4-1d5e-11e8-9c26-0242ac110002",
      slaveId: "d4b6a9a0-5b3c-4f2c-8d1a-2f1f3c1c7e5a-S0",
      host: "10.0.1.17",
      state: "TASK_RUNNING",
      startedAt: "2018-03-01T10:12:20.101Z",
      stagedAt: "2018-03-01T10:12:14.002Z",
      ports: [31245],
      version: "2018-03-01T10:12:13.456Z",
      ipAddresses: [{ ipAddress: "172.17.0.2", protocol: "IPv4" }],
      appId: "/prod/web",
      healthCheckResults: [
        {
          alive: true,
          consecutiveFailures: 0,
          firstSuccess: "2018-03-01T10:12:30.000Z",
          lastFailure: null,
          lastSuccess: "2018-03-01T10:13:30.000Z",
          lastFailureCause: null,
          instanceId: "prod_web.marathon-a7f1c2d4-1d5e-11e8-9c26-0242ac110002"
        }
      ]
    }
  ],
  lastTaskFailure: {
    appId: "/prod/web",
    host: "10.0.1.18",
    message: "Container exited with status 137",
    state: "TASK_KILLED",
    taskId: "prod_web.0c7d4e4b-1d5e-11e8-9c26-0242ac110002",
    timestamp: "2018-02-28T17:00:00.000Z",
    version: "2018-02-27T09:00:00.000Z",
    slaveId: "d4b6a9a0-5b3c-4f2c-8d1a-2f1f3c1c7e5a-S1"
  }
}
