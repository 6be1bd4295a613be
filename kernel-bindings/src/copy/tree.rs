//! The tree a scan reads: each node's kind, attributes, link target and children.

use kernel::vfs::Timespec;

/// What kind of node.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Reg,
    Dir,
    Lnk,
    Blk,
    Chr,
    Fifo,
    Sock,
}

impl Kind {
    /// From the S_IF* bits (the same numbers on the host and in NetBSD).
    pub fn from_mode(mode: u32) -> Option<Kind> {
        Some(match mode & 0o170000 {
            0o100000 => Kind::Reg,
            0o040000 => Kind::Dir,
            0o120000 => Kind::Lnk,
            0o060000 => Kind::Blk,
            0o020000 => Kind::Chr,
            0o010000 => Kind::Fifo,
            0o140000 => Kind::Sock,
            _ => return None,
        })
    }

    pub fn ifmt(self) -> u32 {
        match self {
            Kind::Reg => 0o100000,
            Kind::Dir => 0o040000,
            Kind::Lnk => 0o120000,
            Kind::Blk => 0o060000,
            Kind::Chr => 0o020000,
            Kind::Fifo => 0o010000,
            Kind::Sock => 0o140000,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Reg => "file",
            Kind::Dir => "directory",
            Kind::Lnk => "symbolic link",
            Kind::Blk => "block device",
            Kind::Chr => "character device",
            Kind::Fifo => "fifo",
            Kind::Sock => "socket",
        }
    }
}

/// A node's attributes, as either side reports them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Meta {
    pub kind: Kind,
    /// Permission bits with set-user-id, set-group-id and sticky (07777).
    pub perm: u32,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    /// Storage held, in 512-byte units (st_blocks): less than the size means holes.
    pub blocks: u64,
    pub nlink: u64,
    /// Identity on the source (device, inode): what finds hard links.
    pub dev: u64,
    pub ino: u64,
    /// Device number of a block or character device (major, minor), portable between the two sides.
    pub rdev: (u32, u32),
    pub atime: Timespec,
    pub mtime: Timespec,
    /// Birth time, where the source keeps one.
    pub btime: Option<Timespec>,
    /// File flags (UF_*/SF_*).
    pub flags: u32,
}

impl Meta {
    /// Attributes of a node that exists nowhere yet (makefs's mtree entries).
    pub fn new(kind: Kind, perm: u32) -> Meta {
        Meta {
            kind,
            perm,
            uid: 0,
            gid: 0,
            size: 0,
            blocks: 0,
            nlink: 1,
            dev: 0,
            ino: 0,
            rdev: (0, 0),
            atime: Timespec::default(),
            mtime: Timespec::default(),
            btime: None,
            flags: 0,
        }
    }
}

/// One node of a scanned tree.
#[derive(Clone, Debug)]
pub struct Node {
    pub name: Vec<u8>,
    pub meta: Meta,
    /// Target of a symbolic link.
    pub target: Vec<u8>,
    /// Entries of a directory, sorted by name.
    pub children: Vec<Node>,
    /// Whether the node exists in the source (false: made up, e.g. by an mtree spec; a file then has no
    /// contents to read: it is made of holes up to its size).
    pub in_source: bool,
    /// For files: how many bytes of the source to copy (less than the size when a spec cut it short).
    pub copy_len: u64,
}

impl Node {
    /// A node that is not in the source.
    pub fn made_up(name: &[u8], meta: Meta) -> Node {
        Node { name: name.to_vec(), meta, target: Vec::new(), children: Vec::new(), in_source: false, copy_len: 0 }
    }

    /// Files (each inode once) and bytes of file contents in the tree.
    pub fn totals(&self) -> (u64, u64) {
        let mut seen = std::collections::HashSet::new();
        let mut t = (0, 0);
        self.walk(&mut |n| {
            if n.meta.kind == Kind::Dir {
                return;
            }
            if n.in_source && n.meta.nlink > 1 && !seen.insert((n.meta.dev, n.meta.ino)) {
                return;
            }
            t.0 += 1;
            if n.meta.kind == Kind::Reg {
                t.1 += n.copy_len;
            }
        });
        t
    }

    /// Calls `f` on every node, parents before children.
    pub fn walk(&self, f: &mut dyn FnMut(&Node)) {
        f(self);
        for c in &self.children {
            c.walk(f);
        }
    }

    /// Mutable walk, parents before children.
    pub fn walk_mut(&mut self, f: &mut dyn FnMut(&mut Node)) {
        f(self);
        for c in &mut self.children {
            c.walk_mut(f);
        }
    }
}
