/**
 * What sigma compiles and how it styles the graph: node shapes (a hexagon added to sigma's own), a ring layer
 * that draws pseudo nodes hollow and collapsed groups ringed, arrow heads on edges, and style rules for
 * status colours, the selected node, the multi-selection, and hover (neighbours highlighted, the rest dimmed).
 * Browser only (WebGL constants).
 */
import type { Attributes } from "graphology-types"
import type { Settings } from "sigma/settings"
import {
  extremityArrow,
  type FragmentLayer,
  layerFill,
  layerPlain,
  pathLine,
  sdfCircle,
  sdfDiamond,
  sdfSquare,
  sdfTriangle
} from "sigma/rendering"
import type { CustomNodeShape, LabelAttachmentContent, LabelAttachmentContext } from "sigma/primitives"
import { edgeHighlightColor } from "./Appearance.js"

/** A hexagon (containers), pointy side up: Inigo Quilez's exact SDF, sized to fit the node's disc. */
const hexagon: CustomNodeShape = {
  name: "hexagon",
  inradiusFactor: 0.866,
  glsl: /* glsl */ `
float sdf_hexagon(vec2 uv, float size) {
  const vec3 k = vec3(-0.866025404, 0.5, 0.577350269);
  vec2 p = abs(uv.yx);
  float r = size * 0.866025404;
  p -= 2.0 * min(dot(k.xy, p), 0.0) * k.xy;
  p -= vec2(clamp(p.x, -k.z * r, k.z * r), r);
  return length(p) * sign(p.y);
}
`
}

/**
 * Draws over the fill: nothing (0), a white core that leaves a coloured rim (1: pseudo nodes, hollow), or a
 * white ring inside the rim (2: collapsed groups).
 */
const ringLayer = (): FragmentLayer => ({
  name: "ring",
  uniforms: [],
  attributes: [{ name: "ring", size: 1, type: WebGL2RenderingContext.FLOAT, source: "ring" }],
  glsl: /* glsl */ `
vec4 layer_ring(float v_ring) {
  if (v_ring < 0.5) return vec4(0.0);
  float rim = context.shapeSize * 0.28;
  float d = v_ring < 1.5 ? context.sdf + rim : abs(context.sdf + rim * 1.3) - rim * 0.3;
  float a = smoothstep(context.aaWidth, -context.aaWidth, d);
  return vec4(1.0, 1.0, 1.0, a);
}
`
})

const minorFont = "11px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"

/** The node's minor label (host, image...) as a small grey line under its label. */
const minorAttachment = (context: LabelAttachmentContext): LabelAttachmentContent | null => {
  const text = String(context.attributes.minor ?? "")
  if (text === "") return null
  const canvas = document.createElement("canvas")
  const ctx = canvas.getContext("2d")
  if (ctx === null) return null
  const ratio = context.pixelRatio
  ctx.font = minorFont
  const width = Math.ceil(ctx.measureText(text).width) + 4
  canvas.width = Math.ceil(width * ratio)
  canvas.height = Math.ceil(14 * ratio)
  canvas.style.width = `${width}px`
  canvas.style.height = "14px"
  ctx.scale(ratio, ratio)
  ctx.font = minorFont
  ctx.fillStyle = "#667085"
  ctx.textBaseline = "top"
  ctx.fillText(text, 2, 1)
  return { type: "canvas", canvas }
}

/** Sigma's primitives for the topology graph. */
export const primitives = () => ({
  nodes: {
    shapes: [sdfCircle(), sdfSquare({ cornerRadius: 0.1 }), sdfTriangle(), sdfDiamond(), hexagon],
    variables: { ring: { type: "number" as const, default: 0 } },
    layers: [layerFill(), ringLayer()],
    label: { font: { family: "system-ui, sans-serif", size: 12 }, color: "#1b2230", margin: 4 },
    labelAttachments: { minor: minorAttachment }
  },
  edges: {
    paths: [pathLine()],
    extremities: [extremityArrow({ lengthRatio: 4, widthRatio: 3.2 })],
    layers: [layerPlain()]
  }
})

type NodeState = { isHovered: boolean; isHighlighted: boolean }
type GraphState = { hasHovered: boolean; hasHighlighted: boolean }

/** A conditional sigma style rule: `{ when… , then }` (sigma's shape for them). */
const rule = <C extends object, T extends object>(condition: C, then: T) => ({ ...condition, then })

/** How much node sizes are scaled up on screen (the renderer sets it when it frames the picture). */
export interface Sizing {
  scale: number
}

/** Sigma's style rules: data-driven look, then selection, then hover. */
export const styles = (sizing: Sizing) => ({
  nodes: [
    {
      x: { attribute: "x" },
      y: { attribute: "y" },
      size: (attributes: Attributes) => (typeof attributes.size === "number" ? attributes.size : 3) * sizing.scale,
      color: { attribute: "color", defaultValue: "#667085" },
      shape: { attribute: "shape", defaultValue: "circle" },
      ring: { attribute: "ring", defaultValue: 0 },
      label: { attribute: "label" },
      labelSize: 12,
      labelColor: "#1b2230",
      labelVisibility: "auto",
      visibility: "visible",
      depth: "nodes",
      cursor: "pointer",
      backdropVisibility: "hidden",
      backdropColor: "#ffffff",
      backdropShadowColor: "rgba(16, 24, 40, 0.25)",
      backdropShadowBlur: 10,
      backdropPadding: 5,
      backdropCornerRadius: 6
    },
    rule(
      { whenData: { marked: true } },
      {
        labelVisibility: "visible",
        backdropVisibility: "visible",
        backdropBorderColor: "#7a5af8",
        backdropBorderWidth: 2,
        labelAttachment: "minor",
        labelAttachmentPlacement: "below"
      }
    ),
    rule(
      { whenData: { selected: true } },
      {
        depth: "topNodes",
        labelVisibility: "visible",
        backdropVisibility: "visible",
        backdropBorderColor: edgeHighlightColor,
        backdropBorderWidth: 2,
        labelAttachment: "minor",
        labelAttachmentPlacement: "below"
      }
    ),
    rule({ whenState: "isHighlighted" }, { depth: "topNodes", labelVisibility: "visible" }),
    rule(
      { whenState: "isHovered" },
      {
        depth: "topNodes",
        labelVisibility: "visible",
        backdropVisibility: "visible",
        labelAttachment: "minor",
        labelAttachmentPlacement: "below"
      }
    ),
    rule(
      {
        when: (attributes: Attributes, state: NodeState, graph: GraphState) =>
          graph.hasHovered && !state.isHovered && !state.isHighlighted && attributes.selected !== true
      },
      { opacity: 0.2, labelVisibility: "hidden" }
    )
  ],
  edges: [
    {
      size: { attribute: "size", defaultValue: 1 },
      color: { attribute: "color", defaultValue: "#b4bfcd" },
      head: "arrow",
      depth: "edges"
    },
    rule({ whenState: "isHighlighted" }, { color: edgeHighlightColor, depth: "topEdges" }),
    rule(
      {
        when: (_attributes: Attributes, state: NodeState, graph: GraphState) => graph.hasHovered && !state.isHighlighted
      },
      { opacity: 0.12 }
    )
  ],
  stage: { cursor: "grab" }
})

/**
 * Sigma settings: sizes in layout units (they scale with the picture), the picture's frame set by the renderer
 * (so an update never moves it), labels by density once nodes are big enough on screen.
 */
export const settings: Partial<Settings> = {
  itemSizesReference: "positions",
  autoRescale: "once",
  renderEdgeLabels: false,
  enableEdgeEvents: false,
  hideEdgesOnMove: false,
  hideLabelsOnMove: false,
  labelDensity: 0.8,
  labelGridCellSize: 90,
  labelRenderedSizeThreshold: 5,
  minCameraRatio: 0.01,
  maxCameraRatio: 20,
  stagePadding: 24,
  doubleClickZoomingRatio: 1.8,
  gestureTarget: "graph"
}
