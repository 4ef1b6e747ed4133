import assert from "node:assert/strict";
import { normalizeSource } from "./source_normalize.ts";

const same = (a: string, b: string) => assert.equal(normalizeSource(a).text, normalizeSource(b).text);
const differ = (a: string, b: string) => assert.notEqual(normalizeSource(a).text, normalizeSource(b).text);

Deno.test("normalizeSource() ignores comments, indentation and blank lines", () => {
  same(
    "const a = 1; // one\n\n\n  /* block */ const b = a * 2;\n",
    "// header\nconst a = 1;\n    const b = a * 2; /** doc\n spans lines */\n",
  );
  same("f(a,/* x */b)", "f(a, b)");
});

Deno.test("normalizeSource() keeps every token change", () => {
  differ("const a = 1;", "const a = 2;");
  differ("const s = 'a b';", "const s = 'a  b';");
  differ("return\nx", "return x"); // a line break can change meaning (automatic semicolon insertion)
  differ("a = b", "a == b");
});

Deno.test("normalizeSource() does not take comment markers inside strings, templates and regexes for comments", () => {
  differ('const u = "http://a"; x()', 'const u = "http://b"; x()');
  differ("const r = /\\/\\//g; run(1)", "const r = /\\/\\//g; run(2)");
  differ("const r = /[/*]/; run(1); /* c */", "const r = /[/*]/; run(2); /* c */");
  differ("const t = `a // ${b /* c */} d`; f(1)", "const t = `a // ${b /* c */} d`; f(2)");
  same("const t = `x${ a /* c */ + 1 }y`;", "const t = `x${a + 1}y`;");
  differ("const t = `x ${y}`;", "const t = `x  ${y}`;");
});

Deno.test("normalizeSource() tells division from a regex by the token before it", () => {
  differ("const q = a / b; // c\nf(1)", "const q = a / b; // c\nf(2)");
  same("const q = (a) / 2 / c; // hi", "const q = (a) / 2 / c;");
});

Deno.test("normalizeSource() finds value imports, re-exports and literal dynamic imports", () => {
  const { imports } = normalizeSource(`
    import { a } from "./a.ts";
    import * as b from '../b.ts';
    import "./side_effect.ts";
    import type { T } from "./types_only.ts";
    import { type U, v } from "./mixed.ts";
    export { c } from "./c.ts";
    export * from "./d.ts";
    export type { E } from "./e_types.ts";
    const heavy = await import("./heavy.ts");
    const dynamic = await import(name); // not a literal: not followed
    import z from "zod";
    const s = "import x from './not_code.ts'";
  `);
  assert.deepEqual(imports.sort(), [
    "../b.ts",
    "./a.ts",
    "./c.ts",
    "./d.ts",
    "./heavy.ts",
    "./mixed.ts",
    "./side_effect.ts",
    "zod",
  ]);
});
