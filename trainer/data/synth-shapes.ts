// The synthetic dataset's object classes as point-in-shape tests, and their rasterisation to a
// list of covered pixels (a pixel is covered when its centre is inside; no anti-aliasing).
// Every shape fits its unit circumscribed circle, so an object of radius R centred at least R from
// each border lies fully inside the image.

export const SHAPE_NAMES = ['circle', 'square', 'triangle', 'plus', 'ring', 'star'] as const;
export type ShapeName = (typeof SHAPE_NAMES)[number];

type InsideTest = (u: number, v: number) => boolean;

/** Half the side of a square inscribed in the unit circle. */
const SQUARE_HALF = Math.SQRT1_2;
/** Plus sign: arm half-width, and arm half-length so that the arm corners touch the unit circle. */
const PLUS_HALF_WIDTH = 0.3;
const PLUS_HALF_LENGTH = Math.sqrt(1 - PLUS_HALF_WIDTH * PLUS_HALF_WIDTH);
/** Ring: inner radius (a circle with a hole big enough to see at small sizes). */
const RING_INNER = 0.55;
/** Five-pointed star: inner vertices at this fraction of the outer radius. */
const STAR_INNER = 0.45;

function regularPolygon(n: number, radiusAt: (k: number) => number, phase: number): [number, number][] {
  return Array.from({ length: n }, (_, k) => {
    const a = phase + (2 * Math.PI * k) / n;
    return [radiusAt(k) * Math.cos(a), radiusAt(k) * Math.sin(a)] as [number, number];
  });
}

/** Even-odd rule point-in-polygon (works for the concave star). */
function insidePolygon(poly: [number, number][], u: number, v: number): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i];
    const [xj, yj] = poly[j];
    if (yi > v !== yj > v && u < ((xj - xi) * (v - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

// pointing "up" in image coordinates (y grows downwards) before rotation
const TRIANGLE = regularPolygon(3, () => 1, -Math.PI / 2);
const STAR = regularPolygon(10, (k) => (k % 2 === 0 ? 1 : STAR_INNER), -Math.PI / 2);

const INSIDE: Record<ShapeName, InsideTest> = {
  circle: (u, v) => u * u + v * v <= 1,
  square: (u, v) => Math.abs(u) <= SQUARE_HALF && Math.abs(v) <= SQUARE_HALF,
  triangle: (u, v) => insidePolygon(TRIANGLE, u, v),
  plus: (u, v) =>
    (Math.abs(u) <= PLUS_HALF_WIDTH && Math.abs(v) <= PLUS_HALF_LENGTH) ||
    (Math.abs(v) <= PLUS_HALF_WIDTH && Math.abs(u) <= PLUS_HALF_LENGTH),
  ring: (u, v) => {
    const r2 = u * u + v * v;
    return r2 <= 1 && r2 >= RING_INNER * RING_INNER;
  },
  star: (u, v) => insidePolygon(STAR, u, v),
};

export interface ShapePlacement {
  shape: ShapeName;
  /** Centre in pixels (continuous coordinates). */
  cx: number;
  cy: number;
  /** Circumscribed radius in pixels. */
  radius: number;
  /** Rotation in radians. */
  angle: number;
}

/**
 * Flat indices (y * width + x) of the pixels of a width x height image whose centres lie inside
 * the placed shape, row by row.
 */
export function rasterizeShape(p: ShapePlacement, width: number, height: number): Int32Array {
  const inside = INSIDE[p.shape];
  if (!inside) throw new Error(`rasterizeShape: unknown shape ${JSON.stringify(p.shape)} (known: ${SHAPE_NAMES.join(', ')})`);
  if (!(p.radius > 0)) throw new Error(`rasterizeShape: radius must be > 0, got ${p.radius}`);
  const cos = Math.cos(p.angle);
  const sin = Math.sin(p.angle);
  const x0 = Math.max(0, Math.floor(p.cx - p.radius));
  const x1 = Math.min(width, Math.ceil(p.cx + p.radius));
  const y0 = Math.max(0, Math.floor(p.cy - p.radius));
  const y1 = Math.min(height, Math.ceil(p.cy + p.radius));
  const out: number[] = [];
  const inv = 1 / p.radius;
  for (let y = y0; y < y1; y++) {
    const dy = (y + 0.5 - p.cy) * inv;
    for (let x = x0; x < x1; x++) {
      const dx = (x + 0.5 - p.cx) * inv;
      // rotate the pixel into the shape's frame (by -angle)
      const u = cos * dx + sin * dy;
      const v = -sin * dx + cos * dy;
      if (inside(u, v)) out.push(y * width + x);
    }
  }
  return Int32Array.from(out);
}
