/**
 * The files the spectra stage writes and the coefficient fit reads: `spectra.json` lists the sets, each a
 * little-endian float64 file of singular values, matrices one after another (m values each, descending).
 *
 * @module
 */

/** One set of singular values in the spectra stage's output. */
export interface SpectrumSet {
  n: number;
  m: number;
  source: "svd" | "law";
  file: string;
  /** Matrices the set holds (m values each); 1 for the law's classical locations. */
  matrices: number;
  values: number;
  seconds: number;
}

/** The sets listed in a spectra output folder. */
export async function readSpectrumIndex(dir: string): Promise<SpectrumSet[]> {
  return (JSON.parse(await Deno.readTextFile(`${dir}/spectra.json`)) as { sets: SpectrumSet[] }).sets;
}

/** The values of one set. */
export async function readSpectrum(dir: string, set: SpectrumSet): Promise<Float64Array> {
  const bytes = await Deno.readFile(`${dir}/${set.file}`);
  return new Float64Array(bytes.buffer, bytes.byteOffset, bytes.length / 8);
}
