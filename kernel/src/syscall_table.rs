//! The syscalls the JavaScript bindings give scripts, one table for all of them: `rump.sys` under Boa
//! (kernel-bindings) and `k.sys` in WebAssembly (wasm/). Each binding passes its own table-building macro,
//! which receives every row as `"jsName", length, rust_fn, "one-line signature";` and names its own
//! function of that name: the bindings cannot differ in what they offer, only in how they convert.

/// Expands to `$build! { pub static SYS; rows }` with this table's rows.
#[macro_export]
macro_rules! syscall_table {
    ($($build:tt)*) => {
        $($build)*! {
            /// The syscall table, one row a syscall (kernel/src/syscall_table.rs).
            pub static SYS;
            "open", 3, open, "open(path, flags, mode = 0) → fd";
            "openat", 4, openat, "openat(dirfd, path, flags, mode = 0) → fd";
            "close", 1, close, "close(fd)";
            "read", 2, read, "read(fd, buf, nbytes = buf.length) → bytes read";
            "pread", 3, pread, "pread(fd, buf, offset, nbytes = buf.length) → bytes read";
            "write", 2, write, "write(fd, buf, nbytes = buf.length) → bytes written";
            "pwrite", 3, pwrite, "pwrite(fd, buf, offset, nbytes = buf.length) → bytes written";
            "lseek", 3, lseek, "lseek(fd, offset, whence) → new offset";
            "fstat", 1, fstat, "fstat(fd) → Stats";
            "stat", 1, stat, "stat(path) → Stats";
            "lstat", 1, lstat, "lstat(path) → Stats";
            "fstatat", 3, fstatat, "fstatat(dirfd, path, flags = 0) → Stats";
            "access", 2, access, "access(path, mode)";
            "faccessat", 4, faccessat, "faccessat(dirfd, path, mode, flags = 0)";
            "pathconf", 2, pathconf, "pathconf(path, name) → number";
            "mkdir", 2, mkdir, "mkdir(path, mode = 0o777)";
            "mkdirat", 3, mkdirat, "mkdirat(dirfd, path, mode = 0o777)";
            "rmdir", 1, rmdir, "rmdir(path)";
            "unlink", 1, unlink, "unlink(path)";
            "unlinkat", 3, unlinkat, "unlinkat(dirfd, path, flags = 0)";
            "rename", 2, rename, "rename(from, to)";
            "renameat", 4, renameat, "renameat(fromfd, from, tofd, to)";
            "link", 2, link, "link(from, to)";
            "linkat", 5, linkat, "linkat(fromfd, from, tofd, to, flags = 0)";
            "symlink", 2, symlink, "symlink(target, path)";
            "symlinkat", 3, symlinkat, "symlinkat(target, dirfd, path)";
            "readlink", 1, readlink, "readlink(path) → string";
            "readlinkat", 2, readlinkat, "readlinkat(dirfd, path) → string";
            "mknod", 3, mknod, "mknod(path, mode, dev = 0)";
            "mknodat", 4, mknodat, "mknodat(dirfd, path, mode, dev = 0)";
            "mkfifo", 2, mkfifo, "mkfifo(path, mode = 0o666)";
            "getdents", 2, getdents, "getdents(fd, buf) → bytes of struct dirent";
            "readdir", 2, readdir, "readdir(fd, max = all) → [{ino, name, type}]";
            "chmod", 2, chmod, "chmod(path, mode)";
            "lchmod", 2, lchmod, "lchmod(path, mode)";
            "fchmodat", 4, fchmodat, "fchmodat(dirfd, path, mode, flags = 0)";
            "fchmod", 2, fchmod, "fchmod(fd, mode)";
            "chown", 3, chown, "chown(path, uid, gid)  (-1 leaves one unchanged)";
            "lchown", 3, lchown, "lchown(path, uid, gid)";
            "fchownat", 5, fchownat, "fchownat(dirfd, path, uid, gid, flags = 0)";
            "fchown", 3, fchown, "fchown(fd, uid, gid)";
            "chflags", 2, chflags, "chflags(path, flags)";
            "lchflags", 2, lchflags, "lchflags(path, flags)";
            "fchflags", 2, fchflags, "fchflags(fd, flags)";
            "utimes", 2, utimes, "utimes(path, [atime, mtime] | null)  (seconds or Date; null = now)";
            "lutimes", 2, lutimes, "lutimes(path, [atime, mtime] | null)";
            "futimes", 2, futimes, "futimes(fd, [atime, mtime] | null)";
            "futimens", 2, futimens, "futimens(fd, [atime, mtime] | null)  (also 'now', 'omit')";
            "utimensat", 4, utimensat, "utimensat(dirfd, path, [atime, mtime] | null, flags = 0)";
            "truncate", 2, truncate, "truncate(path, length)";
            "ftruncate", 2, ftruncate, "ftruncate(fd, length)";
            "fsync", 1, fsync, "fsync(fd)";
            "sync", 0, sync, "sync()";
            "dup", 1, dup, "dup(fd) → fd";
            "dup2", 2, dup2, "dup2(oldfd, newfd) → newfd";
            "fcntl", 3, fcntl, "fcntl(fd, cmd, arg = 0) → number  (F_GETLK/F_SETLK/F_SETLKW: arg = {type, whence, start, len})";
            "chdir", 1, chdir, "chdir(path)";
            "fchdir", 1, fchdir, "fchdir(fd)";
            "chroot", 1, chroot, "chroot(path)";
            "getcwd", 0, getcwd, "getcwd() → string";
            "realpath", 1, realpath, "realpath(path) → string";
            "statvfs", 1, statvfs, "statvfs(path) → StatFs";
            "fstatvfs", 1, fstatvfs, "fstatvfs(fd) → StatFs";
            "getvfsstat", 0, getvfsstat, "getvfsstat() → [StatFs]";
            "mount", 5, mount, "mount(type, dir, flags = 0, spec = undefined, {opt: value})";
            "unmount", 2, unmount, "unmount(dir, flags = 0)";
            "umask", 1, umask, "umask(mask) → old mask";
            "uname", 0, uname, "uname() → {sysname, nodename, release, version, machine}";
            "sysctl", 2, sysctl, "sysctl(name[, newValue]) → value";
            "getpid", 0, getpid, "getpid() → pid";
            "getuid", 0, getuid, "getuid() → uid";
            "getgid", 0, getgid, "getgid() → gid";
            "getgroups", 0, getgroups, "getgroups() → [gid]";
        }
    };
}
