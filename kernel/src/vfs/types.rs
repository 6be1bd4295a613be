//! Types shared by the VFS and every file system: vnode types, attributes (NetBSD's `struct vattr`),
//! directory entries, statvfs, and the constants of sys/fcntl.h, sys/stat.h and sys/mount.h.

/// Inode number: the key of every vnode op (like FUSE's low-level interface).
pub type Ino = u64;

/// Vnode type (sys/vnode.h `enum vtype`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum VType {
    Reg,
    Dir,
    Blk,
    Chr,
    Lnk,
    Sock,
    Fifo,
}

impl VType {
    /// The S_IF* bits of this type.
    pub fn ifmt(self) -> u32 {
        match self {
            VType::Reg => S_IFREG,
            VType::Dir => S_IFDIR,
            VType::Blk => S_IFBLK,
            VType::Chr => S_IFCHR,
            VType::Lnk => S_IFLNK,
            VType::Sock => S_IFSOCK,
            VType::Fifo => S_IFIFO,
        }
    }

    /// The type from S_IF* bits of a mode; `None` for S_IFWHT or garbage.
    pub fn from_mode(mode: u32) -> Option<VType> {
        Some(match mode & S_IFMT {
            S_IFREG => VType::Reg,
            S_IFDIR => VType::Dir,
            S_IFBLK => VType::Blk,
            S_IFCHR => VType::Chr,
            S_IFLNK => VType::Lnk,
            S_IFSOCK => VType::Sock,
            S_IFIFO => VType::Fifo,
            _ => return None,
        })
    }

    /// The DT_* value readdir reports.
    pub fn dtype(self) -> u8 {
        match self {
            VType::Reg => DT_REG,
            VType::Dir => DT_DIR,
            VType::Blk => DT_BLK,
            VType::Chr => DT_CHR,
            VType::Lnk => DT_LNK,
            VType::Sock => DT_SOCK,
            VType::Fifo => DT_FIFO,
        }
    }

    pub fn from_dtype(dt: u8) -> Option<VType> {
        Some(match dt {
            DT_REG => VType::Reg,
            DT_DIR => VType::Dir,
            DT_BLK => VType::Blk,
            DT_CHR => VType::Chr,
            DT_LNK => VType::Lnk,
            DT_SOCK => VType::Sock,
            DT_FIFO => VType::Fifo,
            _ => return None,
        })
    }
}

/// A time as seconds and nanoseconds since the epoch (`struct timespec`).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timespec {
    pub sec: i64,
    pub nsec: u32,
}

impl Timespec {
    pub const fn new(sec: i64, nsec: u32) -> Timespec {
        Timespec { sec, nsec }
    }

    /// Milliseconds since the epoch as a float, as Node's `*timeMs` fields are.
    pub fn as_millis_f64(self) -> f64 {
        self.sec as f64 * 1000.0 + self.nsec as f64 / 1e6
    }
}

/// Attributes of a vnode (NetBSD `struct vattr`), as `getattr` returns them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vattr {
    pub vtype: VType,
    /// Permission bits and S_ISUID/S_ISGID/S_ISTXT (07777); the type is in `vtype`.
    pub mode: u32,
    pub nlink: u64,
    pub uid: u32,
    pub gid: u32,
    pub ino: Ino,
    pub size: u64,
    /// Bytes of storage held (NetBSD va_bytes); st_blocks is this / 512.
    pub bytes: u64,
    pub blksize: u32,
    pub atime: Timespec,
    pub mtime: Timespec,
    pub ctime: Timespec,
    pub birthtime: Timespec,
    pub rdev: u64,
    /// File flags (UF_*/SF_*), as chflags(2) sets them.
    pub flags: u32,
    pub gen: u32,
}

impl Vattr {
    /// `st_mode`: type bits and permission bits.
    pub fn st_mode(&self) -> u32 {
        self.vtype.ifmt() | (self.mode & ALLPERMS)
    }
}

/// What `setattr` changes (NetBSD's vattr with VNOVAL for "leave as is"); `None` leaves a field alone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SetAttr {
    pub mode: Option<u32>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub size: Option<u64>,
    pub atime: Option<Timespec>,
    pub mtime: Option<Timespec>,
    pub birthtime: Option<Timespec>,
    pub flags: Option<u32>,
}

/// One field of a setattr: stores `v` when it is asked for, saying whether it was (a change marks ctime).
pub fn set_field<T>(field: &mut T, v: Option<T>) -> bool {
    v.map(|v| *field = v).is_some()
}

/// Attributes of a node being created; the VFS has already applied umask and chosen owner and group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewNode {
    pub vtype: VType,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// Device number for block and character devices.
    pub rdev: u64,
}

/// One directory entry, as `readdir` hands it to its caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry<'a> {
    pub ino: Ino,
    pub name: &'a [u8],
    /// DT_* (DT_UNKNOWN where the file system does not record types, as 4.2BSD directories).
    pub dtype: u8,
    /// Cookie to pass to `readdir` to resume after this entry.
    pub next: u64,
}

/// File-system statistics (NetBSD `struct statvfs`, the parts a file system knows).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatVfs {
    pub bsize: u64,
    pub frsize: u64,
    pub iosize: u64,
    pub blocks: u64,
    pub bfree: u64,
    pub bavail: u64,
    pub bresvd: u64,
    pub files: u64,
    pub ffree: u64,
    pub favail: u64,
    pub fresvd: u64,
    pub namemax: u64,
}

/// statvfs as a syscall returns it: the file system's numbers plus the mount's identity.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatVfsFull {
    pub fs: StatVfs,
    pub flag: u64,
    pub fsid: u64,
    pub owner: u32,
    pub fstypename: String,
    pub mntonname: String,
    pub mntfromname: String,
}

/// A `stat` result (NetBSD `struct stat`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stat {
    pub dev: u64,
    pub ino: u64,
    pub mode: u32,
    pub nlink: u64,
    pub uid: u32,
    pub gid: u32,
    pub rdev: u64,
    pub size: u64,
    pub blocks: u64,
    pub blksize: u32,
    pub atime: Timespec,
    pub mtime: Timespec,
    pub ctime: Timespec,
    pub birthtime: Timespec,
    pub flags: u32,
    pub gen: u32,
}

/// A field of [`Stat`] as scripts see it: an integer, or a time (the `*Ms` fields).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum StatField {
    Int(i128),
    Time(Timespec),
}

impl Stat {
    /// The fields of a `Stats` as scripts see them, in Node's order (with NetBSD's `flags` and `gen`):
    /// the Boa bindings' and the WebAssembly package's alike.
    pub const FIELDS: &'static [&'static str] = &[
        "dev",
        "mode",
        "nlink",
        "uid",
        "gid",
        "rdev",
        "blksize",
        "ino",
        "size",
        "blocks",
        "atimeMs",
        "mtimeMs",
        "ctimeMs",
        "birthtimeMs",
        "flags",
        "gen",
    ];

    /// Field `i` of [`Stat::FIELDS`].
    pub fn field(&self, i: usize) -> StatField {
        let n = |v: u64| StatField::Int(v as i128);
        match i {
            0 => n(self.dev),
            1 => n(self.mode as u64),
            2 => n(self.nlink),
            3 => n(self.uid as u64),
            4 => n(self.gid as u64),
            5 => n(self.rdev),
            6 => n(self.blksize as u64),
            7 => n(self.ino),
            8 => n(self.size),
            9 => n(self.blocks),
            10 => StatField::Time(self.atime),
            11 => StatField::Time(self.mtime),
            12 => StatField::Time(self.ctime),
            13 => StatField::Time(self.birthtime),
            14 => n(self.flags as u64),
            _ => n(self.gen as u64),
        }
    }

    pub fn from_vattr(va: &Vattr, dev: u64) -> Stat {
        Stat {
            dev,
            ino: va.ino,
            mode: va.st_mode(),
            nlink: va.nlink,
            uid: va.uid,
            gid: va.gid,
            rdev: va.rdev,
            size: va.size,
            blocks: va.bytes.div_ceil(512),
            blksize: va.blksize,
            atime: va.atime,
            mtime: va.mtime,
            ctime: va.ctime,
            birthtime: va.birthtime,
            flags: va.flags,
            gen: va.gen,
        }
    }

    pub fn vtype(&self) -> Option<VType> {
        VType::from_mode(self.mode)
    }
}

/// Credentials of a process (uid, gid and supplementary groups), as kauth checks them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cred {
    pub uid: u32,
    pub gid: u32,
    pub groups: Vec<u32>,
}

impl Cred {
    pub fn root() -> Cred {
        Cred { uid: 0, gid: 0, groups: vec![0] }
    }

    /// NetBSD's kauth_cred_groupmember: the effective gid or any supplementary group.
    pub fn in_group(&self, gid: u32) -> bool {
        self.gid == gid || self.groups.contains(&gid)
    }

    pub fn is_root(&self) -> bool {
        self.uid == 0
    }
}

// sys/stat.h
pub const S_IFMT: u32 = 0o170000;
pub const S_IFIFO: u32 = 0o010000;
pub const S_IFCHR: u32 = 0o020000;
pub const S_IFDIR: u32 = 0o040000;
pub const S_IFBLK: u32 = 0o060000;
pub const S_IFREG: u32 = 0o100000;
pub const S_IFLNK: u32 = 0o120000;
pub const S_IFSOCK: u32 = 0o140000;
pub const S_IFWHT: u32 = 0o160000;
pub const S_ISUID: u32 = 0o4000;
pub const S_ISGID: u32 = 0o2000;
pub const S_ISTXT: u32 = 0o1000;
pub const S_ISVTX: u32 = S_ISTXT;
pub const S_IRWXU: u32 = 0o700;
pub const S_IRUSR: u32 = 0o400;
pub const S_IWUSR: u32 = 0o200;
pub const S_IXUSR: u32 = 0o100;
pub const S_IRWXG: u32 = 0o070;
pub const S_IRGRP: u32 = 0o040;
pub const S_IWGRP: u32 = 0o020;
pub const S_IXGRP: u32 = 0o010;
pub const S_IRWXO: u32 = 0o007;
pub const S_IROTH: u32 = 0o004;
pub const S_IWOTH: u32 = 0o002;
pub const S_IXOTH: u32 = 0o001;
pub const ACCESSPERMS: u32 = 0o777;
pub const ALLPERMS: u32 = 0o7777;
pub const DEFFILEMODE: u32 = 0o666;

// File flags (sys/stat.h).
pub const UF_NODUMP: u32 = 0x0000_0001;
pub const UF_IMMUTABLE: u32 = 0x0000_0002;
pub const UF_APPEND: u32 = 0x0000_0004;
pub const UF_OPAQUE: u32 = 0x0000_0008;
pub const SF_ARCHIVED: u32 = 0x0001_0000;
pub const SF_IMMUTABLE: u32 = 0x0002_0000;
pub const SF_APPEND: u32 = 0x0004_0000;
pub const SF_SNAPSHOT: u32 = 0x0020_0000;
pub const SF_LOG: u32 = 0x0040_0000;
pub const SF_SNAPINVAL: u32 = 0x0080_0000;
pub const UF_SETTABLE: u32 = 0x0000_ffff;
pub const SF_SETTABLE: u32 = 0xffff_0000;
pub const IMMUTABLE: u32 = UF_IMMUTABLE | SF_IMMUTABLE;
pub const APPEND: u32 = UF_APPEND | SF_APPEND;

// Directory entry types (sys/dirent.h).
pub const DT_UNKNOWN: u8 = 0;
pub const DT_FIFO: u8 = 1;
pub const DT_CHR: u8 = 2;
pub const DT_DIR: u8 = 4;
pub const DT_BLK: u8 = 6;
pub const DT_REG: u8 = 8;
pub const DT_LNK: u8 = 10;
pub const DT_SOCK: u8 = 12;
pub const DT_WHT: u8 = 14;

// sys/fcntl.h
pub const O_RDONLY: u32 = 0x0000_0000;
pub const O_WRONLY: u32 = 0x0000_0001;
pub const O_RDWR: u32 = 0x0000_0002;
pub const O_ACCMODE: u32 = 0x0000_0003;
pub const O_NONBLOCK: u32 = 0x0000_0004;
pub const O_APPEND: u32 = 0x0000_0008;
pub const O_SHLOCK: u32 = 0x0000_0010;
pub const O_EXLOCK: u32 = 0x0000_0020;
pub const O_ASYNC: u32 = 0x0000_0040;
pub const O_SYNC: u32 = 0x0000_0080;
pub const O_NOFOLLOW: u32 = 0x0000_0100;
pub const O_CREAT: u32 = 0x0000_0200;
pub const O_TRUNC: u32 = 0x0000_0400;
pub const O_EXCL: u32 = 0x0000_0800;
pub const O_NOCTTY: u32 = 0x0000_8000;
pub const O_DSYNC: u32 = 0x0001_0000;
pub const O_RSYNC: u32 = 0x0002_0000;
pub const O_ALT_IO: u32 = 0x0004_0000;
pub const O_DIRECT: u32 = 0x0008_0000;
pub const O_DIRECTORY: u32 = 0x0020_0000;
pub const O_CLOEXEC: u32 = 0x0040_0000;
pub const O_SEARCH: u32 = 0x0080_0000;
pub const O_NOSIGPIPE: u32 = 0x0100_0000;
pub const O_REGULAR: u32 = 0x0200_0000;
/// Every open flag NetBSD knows; anything else is EINVAL.
pub const O_MASK: u32 = O_ACCMODE
    | O_NONBLOCK
    | O_APPEND
    | O_SHLOCK
    | O_EXLOCK
    | O_ASYNC
    | O_SYNC
    | O_NOFOLLOW
    | O_CREAT
    | O_TRUNC
    | O_EXCL
    | O_NOCTTY
    | O_DSYNC
    | O_RSYNC
    | O_ALT_IO
    | O_DIRECT
    | O_DIRECTORY
    | O_CLOEXEC
    | O_SEARCH
    | O_NOSIGPIPE
    | O_REGULAR;
/// Flags F_SETFL may change (NetBSD FCNTLFLAGS).
pub const FCNTLFLAGS: u32 =
    O_APPEND | O_ASYNC | O_SYNC | O_NONBLOCK | O_DSYNC | O_RSYNC | O_ALT_IO | O_DIRECT | O_NOSIGPIPE;

pub const F_DUPFD: i32 = 0;
pub const F_GETFD: i32 = 1;
pub const F_SETFD: i32 = 2;
pub const F_GETFL: i32 = 3;
pub const F_SETFL: i32 = 4;
pub const F_DUPFD_CLOEXEC: i32 = 12;
pub const FD_CLOEXEC: i32 = 1;
pub const F_GETLK: i32 = 7;
pub const F_SETLK: i32 = 8;
pub const F_SETLKW: i32 = 9;

// Record lock types (struct flock's l_type).
pub const F_RDLCK: i16 = 1;
pub const F_UNLCK: i16 = 2;
pub const F_WRLCK: i16 = 3;

/// An advisory record lock request or answer (NetBSD `struct flock`): `len` 0 means "to end of file",
/// a negative `len` the bytes before `start`; `whence` is SEEK_SET, SEEK_CUR or SEEK_END.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Flock {
    pub start: i64,
    pub len: i64,
    pub pid: i32,
    pub ltype: i16,
    pub whence: i16,
}

pub const AT_FDCWD: i32 = -100;
pub const AT_EACCESS: i32 = 0x100;
pub const AT_SYMLINK_NOFOLLOW: i32 = 0x200;
pub const AT_SYMLINK_FOLLOW: i32 = 0x400;
pub const AT_REMOVEDIR: i32 = 0x800;

pub const UTIME_NOW: u32 = (1 << 30) - 1;
pub const UTIME_OMIT: u32 = (1 << 30) - 2;

pub const F_OK: u32 = 0;
pub const X_OK: u32 = 1;
pub const W_OK: u32 = 2;
pub const R_OK: u32 = 4;

pub const SEEK_SET: i32 = 0;
pub const SEEK_CUR: i32 = 1;
pub const SEEK_END: i32 = 2;

// sys/fstypes.h mount flags
pub const MNT_RDONLY: u64 = 0x0000_0001;
pub const MNT_SYNCHRONOUS: u64 = 0x0000_0002;
pub const MNT_NOEXEC: u64 = 0x0000_0004;
pub const MNT_NOSUID: u64 = 0x0000_0008;
pub const MNT_NODEV: u64 = 0x0000_0010;
pub const MNT_ASYNC: u64 = 0x0000_0040;
pub const MNT_LOCAL: u64 = 0x0000_1000;
pub const MNT_ROOTFS: u64 = 0x0000_4000;
pub const MNT_NOATIME: u64 = 0x0400_0000;
pub const MNT_UPDATE: u64 = 0x0001_0000;
pub const MNT_FORCE: u64 = 0x0008_0000;
pub const MNT_LOG: u64 = 0x0200_0000;

/// Longest name of one path component (sys/syslimits.h NAME_MAX).
pub const NAME_MAX: usize = 255;
/// Longest path, including the terminating NUL (sys/syslimits.h PATH_MAX / MAXPATHLEN).
pub const MAXPATHLEN: usize = 1024;
/// Symbolic links followed in one lookup before ELOOP (sys/param.h MAXSYMLINKS).
pub const MAXSYMLINKS: usize = 32;
/// Most links one node may have (our tmpfs's LINK_MAX, as NetBSD's tmpfs uses LINK_MAX 32767).
pub const LINK_MAX: u64 = 32767;
