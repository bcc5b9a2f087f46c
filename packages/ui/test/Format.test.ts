import { describe, expect, it } from "vitest"
import { formatBytes, formatMetric, formatPercent } from "../app/Format.js"

describe("Format", () => {
  it("formats bytes with binary units", () => {
    expect([0, 1023, 1536, 10 * 1024 * 1024, 300 * 1024 ** 3].map(formatBytes)).toEqual([
      "0 B",
      "1023 B",
      "1.50 KiB",
      "10.0 MiB",
      "300 GiB"
    ])
  })

  it("formats percentages with fewer decimals as they grow", () => {
    expect([0, 0.5, 8, 12.345, 150].map(formatPercent)).toEqual(["0%", "0.50%", "8.0%", "12.3%", "150%"])
  })

  it("formats a metric by its unit and shows a dash for no value", () => {
    expect(formatMetric(2048, "bytes_per_second")).toBe("2.00 KiB/s")
    expect(formatMetric(1234, "count")).toBe("1,234")
    expect(formatMetric(null, "percent")).toBe("–")
  })
})
