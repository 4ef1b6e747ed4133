/**
 * Normalises TypeScript/JavaScript source for hashing, and finds its imports.
 *
 * What counts as a code change: any change to a token. Comments are dropped, and whitespace between
 * tokens collapses to one space, or one newline where the run contained a line break (a line break can
 * change meaning through automatic semicolon insertion, so it is kept). Re-indenting, blank lines,
 * trailing spaces and comment edits therefore do not rerun a stage; re-wrapping a line does.
 *
 * The scanner understands strings, template literals (with nested `${}` code), regular expression
 * literals and comments; that is all it needs to tell comments from code.
 *
 * @module
 */

export interface NormalizedSource {
  /** The token text with comments removed and whitespace collapsed. */
  text: string;
  /** Module specifiers of static imports/re-exports and of `import("literal")`; type-only imports excluded. */
  imports: string[];
}

type Token = { kind: "word" | "punct" | "string" | "template" | "regex"; text: string };

// After one of these words a `/` starts a regular expression, not a division.
const REGEX_AFTER_WORDS = new Set([
  "return",
  "typeof",
  "instanceof",
  "in",
  "of",
  "new",
  "delete",
  "void",
  "throw",
  "case",
  "do",
  "else",
  "yield",
  "await",
]);

const isWordChar = (c: string) => /[\p{L}\p{N}_$\u200c\u200d]/u.test(c);

class Scanner {
  pos = 0;
  readonly out: string[] = [];
  readonly tokens: Token[] = [];
  #pendingSpace: "" | " " | "\n" = "";

  constructor(readonly src: string) {}

  #emit(token: Token): void {
    if (this.#pendingSpace && this.out.length > 0) this.out.push(this.#pendingSpace);
    this.#pendingSpace = "";
    this.out.push(token.text);
    this.tokens.push(token);
  }

  #space(hasNewline: boolean): void {
    if (hasNewline) this.#pendingSpace = "\n";
    else if (this.#pendingSpace === "") this.#pendingSpace = " ";
  }

  #regexAllowed(): boolean {
    const last = this.tokens[this.tokens.length - 1];
    if (!last) return true;
    if (last.kind === "word") return REGEX_AFTER_WORDS.has(last.text);
    if (last.kind === "punct") return !/^[)\]}]$/.test(last.text);
    return false;
  }

  /** Scans code until end of input, or until the `}` that closes a template's `${` when `inTemplate`. */
  scanCode(inTemplate: boolean): void {
    const src = this.src;
    let depth = 0;
    while (this.pos < src.length) {
      const c = src[this.pos]!;
      const next = src[this.pos + 1];
      if (c === " " || c === "\t" || c === "\r" || c === "\n" || c === "\f" || c === "\v" || c === "\ufeff") {
        let newline = false;
        while (this.pos < src.length && /\s|\ufeff/.test(src[this.pos]!)) {
          if (src[this.pos] === "\n") newline = true;
          this.pos++;
        }
        this.#space(newline);
      } else if (c === "/" && next === "/") {
        while (this.pos < src.length && src[this.pos] !== "\n") this.pos++;
      } else if (c === "/" && next === "*") {
        const end = src.indexOf("*/", this.pos + 2);
        const stop = end < 0 ? src.length : end + 2;
        this.#space(src.slice(this.pos, stop).includes("\n"));
        this.pos = stop;
      } else if (c === '"' || c === "'") {
        this.#emit({ kind: "string", text: this.#quoted(c) });
      } else if (c === "`") {
        this.#template();
      } else if (c === "/" && this.#regexAllowed()) {
        this.#emit({ kind: "regex", text: this.#regex() });
      } else if (isWordChar(c)) {
        const start = this.pos;
        while (this.pos < src.length && isWordChar(src[this.pos]!)) this.pos++;
        this.#emit({ kind: "word", text: src.slice(start, this.pos) });
      } else {
        if (inTemplate && c === "}" && depth === 0) return;
        if (c === "{") depth++;
        if (c === "}") depth--;
        this.pos++;
        this.#emit({ kind: "punct", text: c });
      }
    }
  }

  #quoted(quote: string): string {
    const start = this.pos++;
    while (this.pos < this.src.length) {
      const c = this.src[this.pos++];
      if (c === "\\") this.pos++;
      else if (c === quote || c === "\n") break;
    }
    return this.src.slice(start, this.pos);
  }

  #regex(): string {
    const start = this.pos++;
    let inClass = false;
    while (this.pos < this.src.length) {
      const c = this.src[this.pos++];
      if (c === "\\") this.pos++;
      else if (c === "[") inClass = true;
      else if (c === "]") inClass = false;
      else if ((c === "/" && !inClass) || c === "\n") break;
    }
    while (this.pos < this.src.length && isWordChar(this.src[this.pos]!)) this.pos++;
    return this.src.slice(start, this.pos);
  }

  /** A template literal: raw text kept verbatim, `${ code }` parts normalised recursively. */
  #template(): void {
    const parts: string[] = ["`"];
    this.pos++;
    while (this.pos < this.src.length) {
      const c = this.src[this.pos]!;
      if (c === "\\") {
        parts.push(this.src.slice(this.pos, this.pos + 2));
        this.pos += 2;
      } else if (c === "`") {
        this.pos++;
        parts.push("`");
        break;
      } else if (c === "$" && this.src[this.pos + 1] === "{") {
        this.pos += 2;
        const inner = new Scanner(this.src);
        inner.pos = this.pos;
        inner.scanCode(true);
        this.pos = inner.pos + 1;
        parts.push("${", inner.out.join(""), "}");
      } else {
        parts.push(c);
        this.pos++;
      }
    }
    this.#emit({ kind: "template", text: parts.join("") });
  }
}

/** Normalises `source` (see the module docs for what is ignored) and lists its imports. */
export function normalizeSource(source: string): NormalizedSource {
  const scanner = new Scanner(source);
  scanner.scanCode(false);
  return { text: scanner.out.join(""), imports: findImports(scanner.tokens) };
}

const unquote = (
  t: Token,
) => (t.kind === "string"
  ? JSON.parse(t.text.startsWith("'") ? `"${t.text.slice(1, -1)}"` : t.text) as string
  : null);

function findImports(tokens: Token[]): string[] {
  const found = new Set<string>();
  let statementIsTypeOnly = false;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind !== "word") continue;
    const next = tokens[i + 1];
    if ((t.text === "import" || t.text === "export") && (i === 0 || tokens[i - 1]!.text !== ".")) {
      // `import type { X } from "..."` and `export type { X } from "..."` are erased at runtime.
      statementIsTypeOnly = next?.kind === "word" && next.text === "type" && tokens[i + 2]?.text !== "from" &&
        tokens[i + 2]?.text !== "=";
      if (t.text === "import" && next?.kind === "string") found.add(unquote(next)!);
      if (t.text === "import" && next?.text === "(" && tokens[i + 2]?.kind === "string") {
        const close = tokens[i + 3]?.text;
        if (close === ")" || close === ",") found.add(unquote(tokens[i + 2]!)!);
      }
    } else if (t.text === "from" && next?.kind === "string") {
      if (!statementIsTypeOnly) found.add(unquote(next)!);
      statementIsTypeOnly = false;
    }
  }
  return [...found];
}
