/**
 * The report toolkit: everything a pipeline's report stage needs to write one self-contained HTML page
 * (markup.ts, blocks.ts, svg_plot.ts, png.ts, comparison.ts, provenance.ts, page.ts), SQL over its
 * Parquet inputs (sql_table.ts), the reports index (index_page.ts) and a headless-Chromium check
 * (browser_check.ts).
 *
 * Stage modules should import the files they use rather than this module: the engine hashes every
 * local module a stage imports into its cache key, so importing everything would rerun every report
 * stage whenever any file here changes; and sql_table.ts loads DuckDB's native addon (`--allow-ffi`).
 *
 * @module
 */
export * from "./blocks.ts";
export * from "./browser_check.ts";
export * from "./comparison.ts";
export * from "./markup.ts";
export * from "./index_page.ts";
export * from "./page.ts";
export * from "./png.ts";
export * from "./provenance.ts";
export * from "./sql_table.ts";
export * from "./svg_plot.ts";
