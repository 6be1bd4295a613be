// Types of rumpjs.js: the rumpjs kernel in WebAssembly, the same API in the browser and in Node 20.

/** What `k.mount` takes as an image: bytes, a Blob/File (read block by block in a Worker), a URL (in a
 * Worker: read by Range requests when the server answers them, else fetched whole), or in Node a host
 * path. */
export type Image = Uint8Array | ArrayBuffer | Blob | URL | string;

export interface BootOptions {
  /** Receives each kernel console line (the boot log). */
  console?: (line: string) => void;
  /** Where the module comes from, when not beside rumpjs.js: bytes, a URL, a Response or a Module. */
  wasm?: BufferSource | URL | string | Response | WebAssembly.Module;
}

export interface MountOptions {
  image?: Image;
  readonly?: boolean;
  /** Writes kept in memory; the image is never written. */
  overlay?: boolean;
  /** An MBR/GPT/disklabel partition: a letter, a number, or a GPT name. */
  partition?: string | number;
  /** A kernel device, when there is no image. */
  spec?: string;
  [fsOption: string]: unknown;
}

export interface MountInfo {
  type: string;
  on: string;
  from: string;
  readonly: boolean;
  flags: number;
  fsid: number;
}

/** A kernel error: `code` ('ENOENT'), `errno` (NetBSD's value), the syscall and paths. */
export interface KernelError extends Error {
  code: string;
  errno: number;
  syscall: string;
  path?: string;
  dest?: string;
}

export declare class Stats {
  dev: number; mode: number; nlink: number; uid: number; gid: number; rdev: number; blksize: number;
  ino: number; size: number; blocks: number; atimeMs: number; mtimeMs: number; ctimeMs: number;
  birthtimeMs: number; flags: number; gen: number;
  readonly atime: Date; readonly mtime: Date; readonly ctime: Date; readonly birthtime: Date;
  isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean; isFIFO(): boolean;
  isBlockDevice(): boolean; isCharacterDevice(): boolean; isSocket(): boolean;
}

export declare class Dirent {
  name: string; parentPath: string; readonly path: string;
  isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean; isFIFO(): boolean;
  isBlockDevice(): boolean; isCharacterDevice(): boolean; isSocket(): boolean;
}

export declare class Buffer extends Uint8Array {
  static from(value: string | ArrayBuffer | ArrayLike<number>, encoding?: string): Buffer;
  static alloc(size: number, fill?: number | string): Buffer;
  static concat(list: Uint8Array[], total?: number): Buffer;
  toString(encoding?: string, start?: number, end?: number): string;
}

type PathLike = string | Uint8Array;
type Encoding = 'utf8' | 'utf-8' | 'latin1' | 'binary' | 'ascii' | 'hex' | 'base64' | 'base64url' | 'utf16le';

/** Node's fs, the synchronous forms, over the kernel. */
export interface Fs {
  constants: Record<string, number>;
  openSync(path: PathLike, flags?: string | number, mode?: number): number;
  closeSync(fd: number): void;
  readSync(fd: number, buf: ArrayBufferView, offset?: number, length?: number, position?: number | null): number;
  writeSync(fd: number, data: ArrayBufferView | string, offset?: number, length?: number, position?: number | null): number;
  fstatSync(fd: number): Stats;
  fsyncSync(fd: number): void;
  ftruncateSync(fd: number, len?: number): void;
  statSync(path: PathLike, options?: { throwIfNoEntry?: boolean }): Stats;
  lstatSync(path: PathLike, options?: { throwIfNoEntry?: boolean }): Stats;
  statfsSync(path: PathLike): Record<string, number | string>;
  existsSync(path: PathLike): boolean;
  accessSync(path: PathLike, mode?: number): void;
  readdirSync(path: PathLike, options?: { withFileTypes?: false; encoding?: Encoding } | Encoding): string[];
  readdirSync(path: PathLike, options: { withFileTypes: true }): Dirent[];
  readFileSync(path: PathLike | number, options?: { flag?: string } | null): Buffer;
  readFileSync(path: PathLike | number, options: Encoding | { encoding: Encoding; flag?: string }): string;
  writeFileSync(path: PathLike | number, data: string | ArrayBufferView, options?: Encoding | { encoding?: Encoding; mode?: number; flag?: string }): void;
  appendFileSync(path: PathLike, data: string | ArrayBufferView, options?: Encoding | { encoding?: Encoding; mode?: number }): void;
  mkdirSync(path: PathLike, options?: number | { recursive?: boolean; mode?: number }): string | undefined;
  rmdirSync(path: PathLike): void;
  unlinkSync(path: PathLike): void;
  rmSync(path: PathLike, options?: { recursive?: boolean; force?: boolean }): void;
  renameSync(from: PathLike, to: PathLike): void;
  linkSync(from: PathLike, to: PathLike): void;
  symlinkSync(target: PathLike, path: PathLike): void;
  readlinkSync(path: PathLike, options?: Encoding | { encoding?: Encoding }): string;
  realpathSync(path: PathLike): string;
  chmodSync(path: PathLike, mode: number | string): void;
  lchmodSync(path: PathLike, mode: number): void;
  fchmodSync(fd: number, mode: number): void;
  chownSync(path: PathLike, uid: number, gid: number): void;
  lchownSync(path: PathLike, uid: number, gid: number): void;
  fchownSync(fd: number, uid: number, gid: number): void;
  utimesSync(path: PathLike, atime: number | Date, mtime: number | Date): void;
  lutimesSync(path: PathLike, atime: number | Date, mtime: number | Date): void;
  futimesSync(fd: number, atime: number | Date, mtime: number | Date): void;
  truncateSync(path: PathLike, len?: number): void;
  copyFileSync(src: PathLike, dest: PathLike, mode?: number): void;
  cpSync(src: PathLike, dest: PathLike, options?: { recursive?: boolean; preserveTimestamps?: boolean }): void;
}

/** A booted kernel. */
export interface Kernel {
  /** The syscall table, fd-level as C's rump_sys_* (the rows of the CLI's rump.sys). */
  readonly sys: Record<string, (...args: any[]) => any>;
  readonly fs: Fs;
  /** O_*, S_IF*, AT_*, DT_*, MNT_*, errno names … → numbers. */
  readonly constants: Readonly<Record<string, number>>;
  readonly version: string;
  mount(type: string, dir: string, options?: MountOptions): void;
  unmount(dir: string, options?: { force?: boolean }): void;
  mounts(): MountInfo[];
  dmesg(): string;
  /** What the file system holding `path` says about itself (FFS: the superblock's facts). */
  info(path: string): { type: string; on: string; from: string; text: string; fields: Record<string, string> };
  fstypes(): string[];
  signatures(): Record<string, string>;
}

/** Boots a kernel: tmpfs on /tmp, kernfs on /kern, as the CLI boots. */
export declare function boot(options?: BootOptions): Promise<Kernel>;
