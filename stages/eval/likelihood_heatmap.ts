/**
 * Density heatmaps for 2-D likelihood evaluation: densities tabulated on n × n grids, drawn side by
 * side (the model beside the target) on one colour scale (viridis, linear in density, 0 at the
 * bottom), as an RGB PNG through stages/report/png.ts.
 *
 * @module
 */
import { encodePng } from "../report/png.ts";

/** Viridis at 9 evenly spaced points (matplotlib's), interpolated linearly in between. */
const VIRIDIS: readonly [number, number, number][] = [
  [68, 1, 84],
  [71, 44, 122],
  [59, 81, 139],
  [44, 113, 142],
  [33, 144, 141],
  [39, 173, 129],
  [92, 200, 99],
  [170, 220, 50],
  [253, 231, 37],
];

/** The viridis colour of t ∈ [0, 1]. */
export function viridis(t: number): [number, number, number] {
  const u = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(u));
  const f = u - i;
  const a = VIRIDIS[i]!, b = VIRIDIS[i + 1]!;
  return [0, 1, 2].map((c) => Math.round(a[c]! + f * (b[c]! - a[c]!))) as [number, number, number];
}

/**
 * PNG of densities on n × n grids (row j = y ascending, drawn bottom-up), one panel each, left to
 * right, `gutter` white pixels apart, each grid cell `scale` pixels wide.
 */
export async function densityHeatmapPng(
  panels: readonly ArrayLike<number>[],
  n: number,
  options: { scale?: number; gutter?: number } = {},
): Promise<Uint8Array> {
  const scale = options.scale ?? 1;
  const gutter = options.gutter ?? 8;
  let max = 0;
  for (const p of panels) {
    for (let i = 0; i < p.length; i++) if (Number.isFinite(p[i]!)) max = Math.max(max, p[i]!);
  }
  const side = n * scale;
  const width = panels.length * side + (panels.length - 1) * gutter;
  const pixels = new Uint8Array(width * side * 3).fill(255);
  panels.forEach((panel, k) => {
    const left = k * (side + gutter);
    for (let j = 0; j < n; j++) {
      for (let i = 0; i < n; i++) {
        const v = panel[j * n + i]!;
        const rgb = viridis(max > 0 && Number.isFinite(v) ? v / max : 0);
        for (let dy = 0; dy < scale; dy++) {
          const row = side - 1 - (j * scale + dy);
          for (let dx = 0; dx < scale; dx++) pixels.set(rgb, (row * width + left + i * scale + dx) * 3);
        }
      }
    }
  });
  return await encodePng({ width, height: side, channels: 3, pixels });
}
