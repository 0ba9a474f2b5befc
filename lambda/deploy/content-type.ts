import { lookup } from "mime-types";

/**
 * Content types come from mime-db (through mime-types), the table browsers' own registries
 * track. Text types get an explicit UTF-8 charset: a static site without one is at the mercy
 * of the browser's guess. Unknown extensions are octet-stream, never a guessed web type.
 */
const TEXT_CHARSET = /^(text\/|application\/(javascript|json|manifest\+json|xml|ld\+json|xhtml\+xml|rss\+xml|atom\+xml)$|image\/svg\+xml$)/;

export function contentTypeFor(path: string): string {
  const type = lookup(path) || "application/octet-stream";
  return TEXT_CHARSET.test(type) ? `${type}; charset=utf-8` : type;
}

/**
 * Whether gzip is worth trying. Media, fonts in woff/woff2 and archives are already compressed
 * and are stored as they are; everything text-like (plus wasm, ico and raw font formats) is tried,
 * and kept gzip'd only when that is actually smaller.
 */
const ALREADY_COMPRESSED = /^(image\/(png|jpeg|gif|webp|avif|heic|heif|jxl)|video\/|audio\/|font\/woff2?|application\/(zip|gzip|x-gzip|x-bzip2|x-xz|zstd|x-7z-compressed|x-rar-compressed|pdf|octet-stream))/;
const COMPRESSIBLE = /^(text\/|application\/(javascript|json|manifest\+json|xml|ld\+json|xhtml\+xml|rss\+xml|atom\+xml|wasm|x-ndjson|graphql|geo\+json|vnd\.ms-fontobject)|image\/(svg\+xml|x-icon|vnd\.microsoft\.icon|bmp)|font\/(ttf|otf|collection))/;
const COMPRESSED_SUFFIX = /\.(gz|br|zst|zip|7z|rar|xz|bz2|tgz)$/i;

export function shouldCompress(path: string, contentType: string): boolean {
  if (COMPRESSED_SUFFIX.test(path)) return false;
  if (ALREADY_COMPRESSED.test(contentType)) return false;
  return COMPRESSIBLE.test(contentType);
}
