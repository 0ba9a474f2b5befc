// yazl ships no types; this covers the part Hoist uses.
declare module "yazl" {
  import type { Readable } from "node:stream";
  export type EntryOptions = { mtime?: Date; mode?: number; compress?: boolean; compressionLevel?: number; forceDosTimestamp?: boolean };
  export class ZipFile {
    outputStream: Readable;
    addBuffer(buffer: Buffer, metadataPath: string, options?: EntryOptions): void;
    end(options?: { forceZip64Format?: boolean; comment?: string }, callback?: (finalSize: number) => void): void;
  }
}
