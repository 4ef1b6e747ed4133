/**
 * A tiny HTML templating helper: the tagged template `markup` escapes every interpolated value unless it
 * is already marked safe, and flattens arrays so that `rows.map((r) => markup`<tr>…</tr>`)` composes.
 * The same design as Hono's `hono/html` and @std/html's `escape`.
 *
 * Why not call the tag `html`: since Deno 2.3, `deno fmt` reformats any template tagged `html`, `svg`
 * or `xml` as HTML, inserting newlines and indentation into the output (not configurable; see
 * denoland/deno#30677 and #31243), and it rejects fragments such as `<td${attrs}>`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { markup } from "./markup.ts";
 *
 * const name = "<script>";
 * const page = markup`<p>Hello ${name}</p>${[1, 2].map((i) => markup`<b>${i}</b>`)}`;
 * assert.equal(String(page), "<p>Hello &lt;script&gt;</p><b>1</b><b>2</b>");
 * ```
 *
 * @module
 */

/** A string known to be safe HTML: `markup` inserts it as is. Create it with `markup` or `raw`. */
export class SafeHtml {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  /** The HTML text. */
  toString(): string {
    return this.#value;
  }
}

const ESCAPES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Escapes the five characters that are special in HTML text and attribute values: `& < > " '`. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** Marks `text` as safe HTML, inserted without escaping. Use only for markup you built yourself. */
export function raw(text: string): SafeHtml {
  return new SafeHtml(text);
}

/**
 * Tagged template for HTML. Interpolated values are escaped; `SafeHtml` values (from `markup` or `raw`)
 * are inserted as is; arrays are flattened; `null`, `undefined`, `false` and `true` render as nothing,
 * so that `${cond && markup`…`}` works.
 */
export function markup(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return new SafeHtml(out);
}

function render(value: unknown): string {
  if (value === null || value === undefined || typeof value === "boolean") return "";
  if (value instanceof SafeHtml) return value.toString();
  if (Array.isArray(value)) return value.map(render).join("");
  return escapeHtml(String(value));
}
