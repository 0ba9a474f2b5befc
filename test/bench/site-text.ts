import { createHash } from "node:crypto";

/**
 * Seeded text that looks like a static site's text files: HTML pages, minified-ish JS, CSS,
 * JSON data and SVG icons. Words come from one fixed vocabulary with a skewed (Zipf-like)
 * choice, so gzip level 6 compresses it about as well as real site text, not better.
 */

export type TextKind = "html" | "js" | "css" | "json" | "svg";

/** sfc32, seeded from a string: fast, deterministic, good enough for test data. */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(seed: string) {
    const h = createHash("sha256").update(seed).digest();
    this.a = h.readUInt32LE(0);
    this.b = h.readUInt32LE(4);
    this.c = h.readUInt32LE(8);
    this.d = h.readUInt32LE(12);
    for (let i = 0; i < 12; i++) this.next();
  }
  /** Uniform in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  hex(chars: number): string {
    let s = "";
    while (s.length < chars) s += this.int(0x10000).toString(16).padStart(4, "0");
    return s.slice(0, chars);
  }
  /** A vocabulary word, frequent ones far more often than rare ones. */
  word(): string {
    return VOCABULARY[Math.floor(VOCABULARY.length * this.next() ** 3)]!;
  }
  words(n: number): string {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(this.word());
    return out.join(" ");
  }
  ident(): string {
    const w = this.word();
    const v = this.word();
    return w + v[0]!.toUpperCase() + v.slice(1);
  }
  slug(): string {
    return `${this.word()}-${this.word()}`;
  }
}

const SYLLABLES = ["ka", "to", "ri", "en", "mo", "la", "se", "vi", "nu", "por", "tan", "ex", "il", "da", "ser", "com", "pre", "ion", "ate", "ing", "ly", "bra", "cu", "de", "fo", "gra", "hi", "jo", "ment", "ness"];
const VOCABULARY: string[] = (() => {
  const r = randomLite(7);
  const words = new Set<string>(["the", "and", "of", "to", "a", "in", "is", "for", "on", "with", "site", "deploy", "page", "data", "user", "build", "static", "content"]);
  while (words.size < 3000) {
    let w = "";
    const n = 1 + Math.floor(r.next() * 3);
    for (let i = 0; i < n; i++) w += SYLLABLES[Math.floor(r.next() * SYLLABLES.length)];
    words.add(w);
  }
  return [...words];
})();

/** Tiny PRNG for building the vocabulary before `Random` can be used. */
function randomLite(seed: number): { next(): number } {
  let s = seed >>> 0;
  return {
    next() {
      s = (s + 0x6d2b79f5) | 0;
      let t = Math.imul(s ^ (s >>> 15), 1 | s);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

const GENERATORS: Record<TextKind, { head: (r: Random) => string; chunk: (r: Random) => string; tail: string }> = {
  html: {
    head: (r) =>
      `<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>${r.words(5)}</title>\n<link rel="stylesheet" href="/assets/css/style.${r.hex(8)}.css">\n<script type="module" src="/assets/js/app.${r.hex(8)}.js"></script>\n</head>\n<body>\n<header class="site-header"><nav class="nav">${Array.from({ length: 6 }, () => `<a class="nav-link" href="/${r.slug()}/">${r.words(2)}</a>`).join("")}</nav></header>\n<main class="content">\n`,
    chunk: (r) => {
      const roll = r.next();
      if (roll < 0.15) return `<h2 id="${r.slug()}">${r.words(3 + r.int(5))}</h2>\n`;
      if (roll < 0.22) return `<figure><img src="/images/blog/img-${r.int(500)}.jpg" alt="${r.words(4)}" width="${200 + r.int(1000)}" height="${150 + r.int(700)}" loading="lazy"><figcaption>${r.words(6)}</figcaption></figure>\n`;
      if (roll < 0.3) return `<ul class="list">${Array.from({ length: 2 + r.int(5) }, () => `<li>${r.words(3 + r.int(8))}</li>`).join("")}</ul>\n`;
      return `<p>${r.words(10 + r.int(30))} <a href="/blog/${r.slug()}/">${r.words(2)}</a> ${r.words(5 + r.int(25))}.</p>\n`;
    },
    tail: `</main>\n<footer class="site-footer"><p>&copy; 2024 Example</p></footer>\n</body>\n</html>\n`,
  },
  js: {
    head: (r) => `"use strict";/* ${r.words(4)} */\n`,
    chunk: (r) => {
      const f = r.ident();
      const a = r.ident();
      const roll = r.next();
      if (roll < 0.3) return `function ${f}(${a},e){if(!${a})return null;const t=${a}.${r.ident()}(e,${r.int(1000)});return t&&t.${r.ident()}?t:"${r.words(3)}"}`;
      if (roll < 0.55) return `const ${f}={${r.ident()}:${r.int(100000)},${r.ident()}:"${r.words(2)}",${r.ident()}:[${r.int(99)},${r.int(99)},${r.int(99)}],${r.ident()}:!${r.int(2)}};`;
      if (roll < 0.8) return `export class ${f[0]!.toUpperCase()}${f.slice(1)}{constructor(${a}){this.${r.ident()}=${a};this.${r.ident()}=new Map}${r.ident()}(n){return this.${r.ident()}.get(n)??"${r.word()}"}}`;
      return `${f}.prototype.${r.ident()}=function(n){for(let i=0;i<n.length;i++)this.${r.ident()}(n[i],${r.int(64)});return this};\n`;
    },
    tail: `\n//# sourceMappingURL=app.js.map\n`,
  },
  css: {
    head: (r) => `/*! ${r.words(3)} */\n:root{--brand:#${r.hex(6)};--accent:#${r.hex(6)};--radius:${r.int(12)}px}\n`,
    chunk: (r) => {
      const props = ["display:flex", `margin:${r.int(40)}px ${r.int(40)}px`, `padding:${r.int(3)}.${r.int(10)}rem`, `color:#${r.hex(6)}`, `font-size:${1 + r.int(3)}.${r.int(10)}rem`, "align-items:center", `border:1px solid #${r.hex(6)}`, `gap:${r.int(24)}px`, "position:relative", `z-index:${r.int(100)}`];
      const n = 2 + r.int(5);
      const chosen = Array.from({ length: n }, () => props[r.int(props.length)]).join(";");
      return `.${r.word()}-${r.word()}${r.next() < 0.3 ? `:hover .${r.word()}` : ""}{${chosen}}\n${r.next() < 0.08 ? `@media (min-width:${480 + r.int(800)}px){.${r.word()}{display:none}}\n` : ""}`;
    },
    tail: "",
  },
  json: {
    head: () => `{"version":1,"items":[\n`,
    chunk: (r) =>
      `{"id":${r.int(1_000_000)},"slug":"${r.slug()}","title":"${r.words(3 + r.int(5))}","summary":"${r.words(8 + r.int(20))}","tags":["${r.word()}","${r.word()}"],"score":${(r.next() * 100).toFixed(2)},"published":"2024-${String(1 + r.int(12)).padStart(2, "0")}-${String(1 + r.int(28)).padStart(2, "0")}"},\n`,
    tail: `{"id":0}]}\n`,
  },
  svg: {
    head: (r) => `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${16 + r.int(48)} ${16 + r.int(48)}" fill="none" stroke="currentColor">\n`,
    chunk: (r) => {
      const n = () => (r.next() * 48).toFixed(r.int(3));
      return `<path d="M${n()} ${n()}C${n()} ${n()} ${n()} ${n()} ${n()} ${n()}L${n()} ${n()}Z" stroke-width="${1 + r.int(3)}"/>\n`;
    },
    tail: `</svg>\n`,
  },
};

/** Exactly `size` bytes of text of the given kind (the tail is kept when there is room for it). */
export function makeText(kind: TextKind, size: number, r: Random): Buffer {
  const g = GENERATORS[kind];
  const parts: string[] = [g.head(r)];
  let length = parts[0]!.length;
  while (length + g.tail.length < size) {
    const c = g.chunk(r);
    parts.push(c);
    length += c.length;
  }
  parts.push(g.tail);
  const text = parts.join("");
  const body = Buffer.from(text, "utf8");
  if (body.length <= size) return Buffer.concat([body, Buffer.alloc(size - body.length, 0x0a)]);
  // Keep the tail intact: cut the body before it.
  const tail = Buffer.from(g.tail);
  return Buffer.concat([body.subarray(0, size - tail.length), tail]);
}
