import { describe, expect, it } from "vitest"
import { recentWindow, sparkline } from "../app/Sparkline.js"

describe("sparkline", () => {
  it("spreads samples across the width, highest at the top", () => {
    expect(sparkline([0, 10, 5], 100, 24, 2)).toEqual({
      lines: ["0,22 50,2 100,12"],
      dots: [],
      range: [0, 10]
    })
  })

  it("splits the line at gaps and draws lone samples as dots", () => {
    expect(sparkline([1, 2, null, 3, null, null, 1, 1], 70, 10, 0)).toEqual({
      lines: ["0,10 10,5", "60,10 70,10"],
      dots: [[30, 0]],
      range: [1, 3]
    })
  })

  it("draws a flat series at mid-height", () => {
    expect(sparkline([4, 4], 10, 20).lines).toEqual(["0,10 10,10"])
  })

  it("draws nothing when nothing was recorded", () => {
    expect(sparkline([null, null], 10, 10)).toEqual({ lines: [], dots: [], range: undefined })
    expect(sparkline([], 10, 10)).toEqual({ lines: [], dots: [], range: undefined })
  })
})

describe("recentWindow", () => {
  const hour = (filled: ReadonlyArray<number | null>) => [...Array<null>(240 - filled.length).fill(null), ...filled]

  it("starts at the first recorded sample", () => {
    expect(recentWindow(hour(Array<number>(30).fill(1)), 20)).toHaveLength(30)
  })

  it("keeps at least minSlots so a short history is not stretched", () => {
    expect(recentWindow(hour([1, 2, 3]), 20)).toEqual([...Array<null>(17).fill(null), 1, 2, 3])
  })

  it("keeps the gaps inside the window and the last slots when nothing was recorded", () => {
    expect(recentWindow([null, 1, null, 2], 2)).toEqual([1, null, 2])
    expect(recentWindow([null, null, null], 2)).toEqual([null, null])
  })
})
