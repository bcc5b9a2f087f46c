import { Schema } from "effect"
import { inconsistency, Report } from "../../../Report.js"
import { adopt } from "../../aggregator/LiveProbeState.js"
import { compactReport } from "../../report/compact.js"
import { isReport } from "../../report/guard.js"
import type { AppContext } from "../AppContext.js"
import { parseJson, readBody } from "../Body.js"
import { HttpError, sendJson } from "../HttpError.js"
import type { Route } from "../Router.js"
import { decodeValue } from "./decode.js"

/** The answer to a report: accepted, a harmless duplicate, or a request for a full report. */
export const IngestResponse = Schema.Struct({
  status: Schema.Literals(["accepted", "duplicate", "resync"]),
  seq: Schema.NullOr(Schema.Int),
  expectedSeq: Schema.NullOr(Schema.Int),
  reason: Schema.optionalKey(Schema.String)
})

/** `POST /api/v1/reports`: JSON or gzip-compressed JSON, full or delta. */
export const reportRoutes = (app: AppContext): ReadonlyArray<Route> => [
  {
    method: "POST",
    path: "/api/v1/reports",
    summary:
      "Publish a report (JSON, optionally Content-Encoding: gzip). Full reports replace the probe's state; " +
      "deltas patch it; a delta out of sequence is answered 409 with status resync",
    tag: "reports",
    requestSchema: Report,
    responseSchema: IngestResponse,
    otherResponses: [
      {
        status: 409,
        description: "A delta out of sequence (or before any full report): send a full report",
        schema: IngestResponse
      }
    ],
    handle: async ({ req, res }) => {
      const body = await readBody(req, app.config.maxBodyBytes, app.config.bodyTimeoutMs).catch((error: unknown) => {
        app.metrics.reports.inc({ result: "rejected" })
        throw error
      })
      const receivedBytes = Number(req.headers["content-length"] ?? body.length)
      app.metrics.reportBytes.observe(receivedBytes)
      const started = performance.now()
      let report: Report
      try {
        const parsed = parseJson(body)
        // The structural guard accepts exactly what the Schema does, without copying the report. The app owns
        // the parsed body, so it shares its equal strings and empty records in place before keeping it, and
        // the aggregator may write later deltas' values over its objects (`adopt`).
        report = adopt(compactReport(isReport(parsed) ? parsed : decodeValue(Report, parsed), app.interner))
      } catch (error) {
        app.metrics.reports.inc({ result: "rejected" })
        throw error
      }
      const problem = inconsistency(report)
      if (problem !== undefined) {
        app.metrics.reports.inc({ result: "rejected" })
        throw new HttpError(422, "invalid_body", problem)
      }
      if (!app.agents.has(report.probeId)) {
        app.metrics.reports.inc({ result: "rejected" })
        throw new HttpError(
          404,
          "unknown_agent",
          `unknown agent "${report.probeId}": register first with POST /api/v1/agents/register`,
          { agentId: report.probeId }
        )
      }
      const result = await app.ingest(report, receivedBytes)
      app.metrics.ingestSeconds.observe((performance.now() - started) / 1000)
      switch (result._tag) {
        case "Accepted":
          app.metrics.reports.inc({ result: "accepted" })
          return sendJson(res, 200, { status: "accepted", seq: result.seq, expectedSeq: result.seq + 1 })
        case "Duplicate":
          app.metrics.reports.inc({ result: "duplicate" })
          return sendJson(res, 200, { status: "duplicate", seq: result.seq, expectedSeq: result.seq + 1 })
        case "ResyncRequired":
          app.metrics.reports.inc({ result: "resync" })
          return sendJson(res, 409, {
            status: "resync",
            seq: null,
            expectedSeq: result.expectedSeq,
            reason: `${result.reason}; send a full report`
          })
      }
    }
  }
]
