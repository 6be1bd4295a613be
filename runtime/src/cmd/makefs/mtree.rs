//! mtree(5) specifications: the hierarchical form (`name keywords`, `..` to go up) and the full-path
//! form (`./a/b keywords`), `/set` and `/unset`, comments and continued lines; names and link targets
//! in vis(3) encoding.
//!
//! A spec is applied to the scanned tree as makefs's apply_specfile does (`apply_spec`).

use kernel::vfs::Timespec;
use kernel_bindings::copy::{Kind, Meta, Node};
use std::collections::HashMap;
use std::path::Path;

/// The keywords makefs uses (the digests and others are read and ignored).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Keywords {
    pub kind: Option<Kind>,
    pub mode: Option<u32>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub uname: Option<String>,
    pub gname: Option<String>,
    pub flags: Option<u32>,
    pub link: Option<Vec<u8>>,
    pub device: Option<(u32, u32)>,
    pub time: Option<Timespec>,
    pub size: Option<u64>,
    pub optional: bool,
}

impl Keywords {
    fn merge(&mut self, o: &Keywords) {
        macro_rules! m {
            ($($f:ident),*) => { $( if o.$f.is_some() { self.$f = o.$f.clone(); } )* };
        }
        m!(kind, mode, uid, gid, uname, gname, flags, link, device, time, size);
        self.optional |= o.optional;
    }
}

/// One entry and, for a directory, the entries in it.
#[derive(Clone, Debug, Default)]
pub struct Entry {
    pub name: Vec<u8>,
    pub kw: Keywords,
    pub children: Vec<Entry>,
}

impl Entry {
    fn child(&mut self, name: &[u8]) -> usize {
        match self.children.iter().position(|c| c.name == name) {
            Some(i) => i,
            None => {
                self.children.push(Entry { name: name.to_vec(), ..Default::default() });
                self.children.len() - 1
            }
        }
    }

    fn at(&mut self, path: &[usize]) -> &mut Entry {
        let mut e = self;
        for &i in path {
            e = &mut e.children[i];
        }
        e
    }
}

/// Decodes vis(3): `\ooo` octal, C escapes, `\s` for space, `\M-x` and `\^x`.
pub fn unvis(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' || i + 1 == b.len() {
            out.push(b[i]);
            i += 1;
            continue;
        }
        let c = b[i + 1];
        i += 2;
        match c {
            b'0'..=b'7' => {
                let mut v = (c - b'0') as u32;
                let mut k = 0;
                while k < 2 && i < b.len() && (b'0'..=b'7').contains(&b[i]) {
                    v = v * 8 + (b[i] - b'0') as u32;
                    i += 1;
                    k += 1;
                }
                out.push(v as u8);
            }
            b'n' => out.push(b'\n'),
            b't' => out.push(b'\t'),
            b'r' => out.push(b'\r'),
            b'b' => out.push(8),
            b'a' => out.push(7),
            b'v' => out.push(11),
            b'f' => out.push(12),
            b's' => out.push(b' '),
            b'E' => out.push(27),
            b'M' if i + 1 < b.len() && b[i] == b'-' => {
                out.push(b[i + 1] | 0x80);
                i += 2;
            }
            b'M' if i + 1 < b.len() && b[i] == b'^' => {
                let x = b[i + 1];
                out.push(if x == b'?' { 0xff } else { (x & 0x1f) | 0x80 });
                i += 2;
            }
            b'^' if i < b.len() => {
                let x = b[i];
                out.push(if x == b'?' { 0x7f } else { x & 0x1f });
                i += 1;
            }
            b'\n' => {}
            other => out.push(other),
        }
    }
    out
}

/// chflags(1) names (a `no` prefix clears: `nodump` is a flag of its own, `dump` clears it).
pub fn parse_flags(s: &str) -> Result<u32, String> {
    use kernel::vfs::*;
    let mut f = 0u32;
    for w in s.split(',').filter(|w| !w.is_empty()) {
        let bit = |w: &str| -> Option<u32> {
            Some(match w {
                "arch" | "archived" | "sarch" => SF_ARCHIVED,
                "nodump" => UF_NODUMP,
                "opaque" => UF_OPAQUE,
                "sappnd" | "sappend" => SF_APPEND,
                "schg" | "schange" | "simmutable" => SF_IMMUTABLE,
                "uappnd" | "uappend" => UF_APPEND,
                "uchg" | "uchange" | "uimmutable" => UF_IMMUTABLE,
                "snap" | "snapshot" => SF_SNAPSHOT,
                "log" => SF_LOG,
                _ => return None,
            })
        };
        if w == "none" {
            f = 0;
        } else if let Some(b) = bit(w) {
            f |= b;
        } else if w == "dump" {
            f &= !UF_NODUMP;
        } else if let Some(b) = w.strip_prefix("no").and_then(bit) {
            f &= !b;
        } else {
            return Err(format!("unknown flag {w:?}"));
        }
    }
    Ok(f)
}

fn kind(v: &str) -> Result<Kind, String> {
    Ok(match v {
        "file" => Kind::Reg,
        "dir" => Kind::Dir,
        "link" => Kind::Lnk,
        "block" => Kind::Blk,
        "char" => Kind::Chr,
        "fifo" => Kind::Fifo,
        "socket" => Kind::Sock,
        _ => return Err(format!("unknown type {v:?}")),
    })
}

fn num<T: std::str::FromStr>(k: &str, v: &str) -> Result<T, String> {
    v.parse().map_err(|_| format!("{k}={v}: not a number"))
}

fn keywords(words: &[&str], kw: &mut Keywords, unset: bool) -> Result<(), String> {
    for w in words {
        let (k, v) = w.split_once('=').unwrap_or((w, ""));
        if unset {
            match k {
                "all" => *kw = Keywords::default(),
                "type" => kw.kind = None,
                "mode" => kw.mode = None,
                "uid" => kw.uid = None,
                "gid" => kw.gid = None,
                "uname" => kw.uname = None,
                "gname" => kw.gname = None,
                "flags" => kw.flags = None,
                "link" => kw.link = None,
                "device" => kw.device = None,
                "time" => kw.time = None,
                "size" => kw.size = None,
                "optional" => kw.optional = false,
                _ => {}
            }
            continue;
        }
        match k {
            "type" => kw.kind = Some(kind(v)?),
            "mode" => {
                kw.mode = Some(
                    u32::from_str_radix(v, 8)
                        .ok()
                        .filter(|m| *m <= 0o7777)
                        .ok_or_else(|| format!("mode={v}: an octal mode is needed"))?,
                )
            }
            "uid" => kw.uid = Some(num(k, v)?),
            "gid" => kw.gid = Some(num(k, v)?),
            "uname" => kw.uname = Some(v.to_string()),
            "gname" => kw.gname = Some(v.to_string()),
            "flags" => kw.flags = Some(parse_flags(v)?),
            "link" => kw.link = Some(unvis(v)),
            "size" => kw.size = Some(num(k, v)?),
            "optional" => kw.optional = true,
            "time" => {
                let (s, ns) = v.split_once('.').unwrap_or((v, "0"));
                let ns: u32 = num(k, ns)?;
                kw.time = Some(Timespec::new(num(k, s)?, ns.min(999_999_999)));
            }
            "device" => {
                let parts: Vec<&str> = v.split(',').collect();
                kw.device = Some(if parts.len() >= 3 {
                    (num(k, parts[1])?, num(k, parts[2])?)
                } else {
                    let d: u64 = num(k, v)?;
                    (kernel::vfs::major(d), kernel::vfs::minor(d))
                });
            }
            // Digests, counts and the rest: not makefs's business.
            _ => {}
        }
    }
    Ok(())
}

/// Parses a spec; the root entry is `.`.
pub fn parse(text: &str) -> Result<Entry, String> {
    let mut root = Entry {
        name: b".".to_vec(),
        kw: Keywords { kind: Some(Kind::Dir), ..Default::default() },
        ..Default::default()
    };
    let mut defaults = Keywords::default();
    let mut cur: Vec<usize> = Vec::new(); // path of indices from the root to the current directory
    let mut lines = text.lines().enumerate();
    while let Some((no, l)) = lines.next() {
        let mut line = l.to_string();
        while line.ends_with('\\') && !line.ends_with("\\\\") {
            line.pop();
            match lines.next() {
                Some((_, more)) => line.push_str(more),
                None => break,
            }
        }
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let words: Vec<&str> = t.split_whitespace().collect();
        let at = |e: String| format!("line {}: {e}", no + 1);
        match words[0] {
            "/set" => keywords(&words[1..], &mut defaults, false).map_err(at)?,
            "/unset" => keywords(&words[1..], &mut defaults, true).map_err(at)?,
            ".." => {
                if cur.pop().is_none() {
                    return Err(at("`..' above the root".into()));
                }
            }
            name => {
                let mut kw = defaults.clone();
                keywords(&words[1..], &mut kw, false).map_err(at)?;
                let name = unvis(name);
                if name == b"." {
                    root.kw.merge(&kw);
                    cur.clear();
                    continue;
                }
                if name.contains(&b'/') {
                    // Full path: from the root, whatever the current directory.
                    let comps: Vec<&[u8]> =
                        name.split(|&c| c == b'/').filter(|c| !c.is_empty() && *c != b".").collect();
                    let mut path = Vec::new();
                    for (k, c) in comps.iter().enumerate() {
                        let e = root.at(&path);
                        let i = e.child(c);
                        path.push(i);
                        if k + 1 == comps.len() {
                            root.at(&path).kw.merge(&kw);
                        }
                    }
                } else {
                    let dir = root.at(&cur);
                    let i = dir.child(&name);
                    dir.children[i].kw.merge(&kw);
                    if dir.children[i].kw.kind == Some(Kind::Dir) {
                        cur.push(i);
                    }
                }
            }
        }
    }
    Ok(root)
}

/// Names to numbers for the spec's uname and gname: numbers as they are, root and wheel as 0, and
/// the user database of `-N` (master.passwd or passwd, and group) — never the host's own.
pub(super) struct Ids {
    users: HashMap<String, u32>,
    groups: HashMap<String, u32>,
}

impl Ids {
    pub(super) fn new(db: Option<&Path>) -> Result<Ids, String> {
        let mut ids = Ids { users: HashMap::new(), groups: HashMap::new() };
        ids.users.insert("root".into(), 0);
        ids.groups.insert("wheel".into(), 0);
        ids.groups.insert("root".into(), 0);
        if let Some(d) = db {
            let pw = std::fs::read_to_string(d.join("master.passwd"))
                .or_else(|_| std::fs::read_to_string(d.join("passwd")))
                .map_err(|e| format!("-N {}: no master.passwd or passwd ({e})", d.display()))?;
            for l in pw.lines().filter(|l| !l.starts_with('#')) {
                let f: Vec<&str> = l.split(':').collect();
                if let (Some(n), Some(Ok(uid))) = (f.first(), f.get(2).map(|u| u.parse())) {
                    ids.users.insert(n.to_string(), uid);
                }
            }
            let gr = std::fs::read_to_string(d.join("group"))
                .map_err(|e| format!("-N {}: no group file ({e})", d.display()))?;
            for l in gr.lines().filter(|l| !l.starts_with('#')) {
                let f: Vec<&str> = l.split(':').collect();
                if let (Some(n), Some(Ok(gid))) = (f.first(), f.get(2).map(|u| u.parse())) {
                    ids.groups.insert(n.to_string(), gid);
                }
            }
        }
        Ok(ids)
    }

    fn uid(&self, kw: &Keywords) -> Result<Option<u32>, String> {
        by_name(kw.uid, &kw.uname, &self.users, ("uname", "uid", "user"))
    }

    fn gid(&self, kw: &Keywords) -> Result<Option<u32>, String> {
        by_name(kw.gid, &kw.gname, &self.groups, ("gname", "gid", "group"))
    }
}

/// An owner or group: the number given, else the name's (a number, or one in the database given with -N).
fn by_name(
    id: Option<u32>,
    name: &Option<String>,
    db: &HashMap<String, u32>,
    (key, id_key, what): (&str, &str, &str),
) -> Result<Option<u32>, String> {
    if id.is_some() {
        return Ok(id);
    }
    match name {
        None => Ok(None),
        Some(n) => n.parse().ok().or_else(|| db.get(n).copied()).map(Some).ok_or_else(|| {
            format!("{key}={n}: unknown (give {id_key}=, or the {what} database with -N; the host's is not used)")
        }),
    }
}

/// Applies a spec to the tree as makefs's apply_specfile does: attributes of existing entries
/// overridden, missing entries made (unless `optional`), with -x everything not in the spec dropped.
pub(super) fn apply_spec(
    spec: &Entry,
    node: &mut Node,
    ids: &Ids,
    now: Timespec,
    only: bool,
    path: &str,
) -> Result<(), String> {
    apply_entry(spec, node, ids, path)?;
    if node.meta.kind != Kind::Dir {
        return Err(format!("{path}: not a directory in the tree"));
    }
    if only {
        node.children.retain(|c| spec.children.iter().any(|s| s.name == c.name));
    }
    for s in &spec.children {
        let cpath = format!("{path}/{}", String::from_utf8_lossy(&s.name));
        let i = match node.children.binary_search_by(|c| c.name.as_slice().cmp(&s.name)) {
            Ok(i) => i,
            Err(i) => {
                if s.kw.optional {
                    continue;
                }
                let kind = s.kw.kind.ok_or_else(|| format!("{cpath}: not in the tree, and the spec gives no type"))?;
                let mode = s.kw.mode.ok_or_else(|| format!("{cpath}: not in the tree, and the spec gives no mode"))?;
                if ids.uid(&s.kw)?.is_none() {
                    return Err(format!("{cpath}: not in the tree, and the spec gives no uid or uname"));
                }
                if ids.gid(&s.kw)?.is_none() {
                    return Err(format!("{cpath}: not in the tree, and the spec gives no gid or gname"));
                }
                if matches!(kind, Kind::Blk | Kind::Chr) && s.kw.device.is_none() {
                    return Err(format!("{cpath}: a device needs device="));
                }
                if kind == Kind::Lnk && s.kw.link.is_none() {
                    return Err(format!("{cpath}: a symbolic link needs link="));
                }
                let mut m = Meta::new(kind, mode);
                m.mtime = now;
                m.atime = now;
                node.children.insert(i, Node::made_up(&s.name, m));
                i
            }
        };
        let child = &mut node.children[i];
        if s.kw.kind == Some(Kind::Dir) || !s.children.is_empty() {
            apply_spec(s, child, ids, now, only, &cpath)?;
        } else {
            apply_entry(s, child, ids, &cpath)?;
        }
    }
    Ok(())
}

fn apply_entry(s: &Entry, n: &mut Node, ids: &Ids, path: &str) -> Result<(), String> {
    let kw = &s.kw;
    if let Some(k) = kw.kind {
        if k != n.meta.kind {
            return Err(format!("{path}: type mismatch: spec {}, tree {}", k.name(), n.meta.kind.name()));
        }
    }
    if let Some(g) = ids.gid(kw)? {
        n.meta.gid = g;
    }
    if let Some(u) = ids.uid(kw)? {
        n.meta.uid = u;
    }
    if let Some(m) = kw.mode {
        n.meta.perm = m;
    }
    if let Some(sz) = kw.size {
        if n.meta.kind == Kind::Reg {
            n.meta.size = sz;
            n.copy_len = n.copy_len.min(sz);
        }
    }
    if let Some(l) = &kw.link {
        if n.meta.kind == Kind::Lnk {
            n.target = l.clone();
        }
    }
    if let Some(t) = kw.time {
        n.meta.mtime = t;
        n.meta.atime = t;
    }
    if let Some(f) = kw.flags {
        n.meta.flags = f;
    }
    if let Some(d) = kw.device {
        n.meta.rdev = d;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use kernel::vfs as v;

    #[test]
    fn specs() {
        let s = "#comment\n/set type=file uname=root gname=wheel mode=0644\n. type=dir mode=0755\n\
                 bin type=dir mode=0755\n    cat mode=0555 size=10 \\\n time=5.000000007\n    sp\\040ace link=x\n..\n\
                 ./dev/null type=char device=netbsd,2,2 mode=0666 flags=uchg,nodump\n";
        let r = parse(s).unwrap();
        assert_eq!(r.kw.mode, Some(0o755));
        let bin = &r.children[0];
        assert_eq!(bin.name, b"bin");
        assert_eq!(bin.children[0].kw.mode, Some(0o555));
        assert_eq!(bin.children[0].kw.time, Some(Timespec::new(5, 7)));
        assert_eq!(bin.children[1].name, b"sp ace");
        let dev = &r.children[1];
        assert_eq!(dev.name, b"dev");
        assert_eq!(dev.children[0].kw.device, Some((2, 2)));
        assert_eq!(dev.children[0].kw.flags, Some(v::UF_IMMUTABLE | v::UF_NODUMP));
        assert_eq!(unvis("a\\M-a\\^A\\\\"), b"a\xe1\x01\\");
    }
}
