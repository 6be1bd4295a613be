//! namei: path name to vnode, as NetBSD's vfs_lookup.c walks it — `.` and `..`, symbolic links (at most
//! MAXSYMLINKS), mount points crossed both ways, trailing slashes, NAME_MAX and MAXPATHLEN.

use super::access::vaccess;
use super::types::*;
use super::{Kernel, Vnode};
use crate::errno::{Errno, KResult};
use std::borrow::Cow;

/// Where a lookup starts and what it may see.
pub(crate) struct LookupCtx<'a> {
    pub cred: &'a Cred,
    /// The process's root: `..` never climbs above it, absolute paths start there.
    pub root: &'a Vnode,
    /// Where relative paths start (cwd, or the directory of an *at() call).
    pub start: &'a Vnode,
}

/// What the caller wants of the last component.
#[derive(Copy, Clone, PartialEq, Eq)]
pub(crate) enum Want {
    /// The node itself; follow a final symbolic link or not (lstat, O_NOFOLLOW, unlink).
    Node { follow: bool },
    /// The parent directory and the last name, plus the node if it exists (create, remove, rename).
    /// `follow` makes a final symbolic link be followed (open O_CREAT without O_EXCL).
    Parent { follow: bool },
}

/// The result of a lookup (NetBSD's nameidata after namei).
pub(crate) struct Nd {
    /// The directory holding the last component (Parent lookups with a last component).
    pub dvp: Option<Vnode>,
    /// The node, when it exists.
    pub vp: Option<Vnode>,
    /// Attributes of `vp`, read during the walk.
    pub va: Option<Vattr>,
    /// The last component, for Parent lookups (empty when the path named `/`, and for Node lookups,
    /// which need no name: not copying it spares every stat an allocation).
    pub name: Vec<u8>,
    /// The path ended in one or more slashes.
    pub trailing_slash: bool,
}

impl Nd {
    /// The node, or ENOENT.
    pub fn node(&self) -> KResult<(&Vnode, &Vattr)> {
        match (&self.vp, &self.va) {
            (Some(vp), Some(va)) => Ok((vp, va)),
            _ => Err(Errno::ENOENT),
        }
    }

    pub fn is_dot_or_dotdot(&self) -> bool {
        self.name == b"." || self.name == b".."
    }
}

/// Checks a path handed to a syscall: empty → ENOENT, too long → ENAMETOOLONG, NUL inside → EINVAL.
pub(crate) fn check_path(path: &[u8]) -> KResult<()> {
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    if path.len() >= MAXPATHLEN {
        return Err(Errno::ENAMETOOLONG);
    }
    if path.contains(&0) {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

/// The directory a walk is in: the caller's start or root (borrowed, no reference taken) until the
/// walk moves, then a vnode of its own.
enum Cur<'a> {
    Borrowed(&'a Vnode),
    Owned(Vnode),
}

impl std::ops::Deref for Cur<'_> {
    type Target = Vnode;
    fn deref(&self) -> &Vnode {
        match self {
            Cur::Borrowed(v) => v,
            Cur::Owned(v) => v,
        }
    }
}

impl Cur<'_> {
    fn into_owned(self) -> Vnode {
        match self {
            Cur::Borrowed(v) => v.clone(),
            Cur::Owned(v) => v,
        }
    }
}

impl Kernel {
    /// namei(9).
    pub(crate) fn namei(&self, ctx: &LookupCtx<'_>, path: &[u8], want: Want) -> KResult<Nd> {
        check_path(path)?;
        // The path is copied only when a symbolic link rewrites it.
        let mut buf: Cow<'_, [u8]> = Cow::Borrowed(path);
        let mut pos = 0usize;
        let mut cur = Cur::Borrowed(if buf[0] == b'/' { ctx.root } else { ctx.start });
        let mut cur_va: Option<Vattr> = None;
        let mut links = 0usize;
        loop {
            while pos < buf.len() && buf[pos] == b'/' {
                pos += 1;
            }
            if pos == buf.len() {
                // Nothing after the slashes: the path names `cur` itself ("/", or "link/" to "/").
                let va = match cur_va {
                    Some(va) => va,
                    None => cur.getattr()?,
                };
                if va.vtype != VType::Dir && pos > 0 {
                    return Err(Errno::ENOTDIR);
                }
                let vp = cur.into_owned();
                return Ok(Nd { dvp: None, vp: Some(vp), va: Some(va), name: Vec::new(), trailing_slash: true });
            }
            let end = buf[pos..].iter().position(|&c| c == b'/').map_or(buf.len(), |i| pos + i);
            if end - pos > NAME_MAX {
                return Err(Errno::ENAMETOOLONG);
            }
            let is_last = buf[end..].iter().all(|&c| c == b'/');
            let trailing = is_last && end < buf.len();

            let dva = match cur_va.take() {
                Some(va) => va,
                None => cur.getattr()?,
            };
            if dva.vtype != VType::Dir {
                return Err(Errno::ENOTDIR);
            }
            vaccess(&cur, &dva, ctx.cred, X_OK)?;

            let name = &buf[pos..end];
            let child = self.step(ctx, &cur, name);

            if is_last {
                if let Want::Parent { follow } = want {
                    match child {
                        Ok((vp, va)) => {
                            if va.vtype == VType::Lnk && (follow || trailing) {
                                let (nb, restart) = self.expand_link(ctx, &vp, &buf[end..], &mut links)?;
                                if restart {
                                    cur = Cur::Borrowed(ctx.root);
                                    cur_va = None;
                                } else {
                                    cur_va = Some(dva);
                                }
                                buf = Cow::Owned(nb);
                                pos = 0;
                                continue;
                            }
                            let name = name.to_vec();
                            return Ok(Nd {
                                dvp: Some(cur.into_owned()),
                                vp: Some(vp),
                                va: Some(va),
                                name,
                                trailing_slash: trailing,
                            });
                        }
                        Err(Errno::ENOENT) => {
                            let name = name.to_vec();
                            return Ok(Nd {
                                dvp: Some(cur.into_owned()),
                                vp: None,
                                va: None,
                                name,
                                trailing_slash: trailing,
                            });
                        }
                        Err(e) => return Err(e),
                    }
                }
            }

            let (vp, va) = child?;
            let follow = !is_last || trailing || matches!(want, Want::Node { follow: true });
            if va.vtype == VType::Lnk && follow {
                let (nb, restart) = self.expand_link(ctx, &vp, &buf[end..], &mut links)?;
                if restart {
                    cur = Cur::Borrowed(ctx.root);
                } else {
                    cur_va = Some(dva);
                }
                buf = Cow::Owned(nb);
                pos = 0;
                continue;
            }
            if is_last {
                if trailing && va.vtype != VType::Dir {
                    return Err(Errno::ENOTDIR);
                }
                return Ok(Nd { dvp: None, vp: Some(vp), va: Some(va), name: Vec::new(), trailing_slash: trailing });
            }
            cur = Cur::Owned(vp);
            cur_va = Some(va);
            pos = end;
        }
    }

    /// Replaces a symbolic link by its target in the rest of the path. Returns the new path and
    /// whether the walk restarts at the root (absolute target).
    fn expand_link(
        &self,
        _ctx: &LookupCtx<'_>,
        vp: &Vnode,
        rest: &[u8],
        links: &mut usize,
    ) -> KResult<(Vec<u8>, bool)> {
        *links += 1;
        if *links > MAXSYMLINKS {
            return Err(Errno::ELOOP);
        }
        let mut target = vp.fs()?.readlink(vp.ino)?;
        if target.is_empty() {
            return Err(Errno::ENOENT);
        }
        if target.len() + rest.len() >= MAXPATHLEN {
            return Err(Errno::ENAMETOOLONG);
        }
        target.extend_from_slice(rest);
        let abs = target[0] == b'/';
        Ok((target, abs))
    }

    /// One component: `.`, `..` (climbing out of mounts, never above the process root), or a name
    /// (descending into whatever is mounted on it).
    fn step(&self, ctx: &LookupCtx<'_>, dir: &Vnode, name: &[u8]) -> KResult<(Vnode, Vattr)> {
        if name == b"." {
            let va = dir.getattr()?;
            return Ok((dir.clone(), va));
        }
        if name == b".." {
            if dir.same(ctx.root) {
                let va = dir.getattr()?;
                return Ok((dir.clone(), va));
            }
            let mut d = dir.clone();
            while d.is_root() {
                match &d.mount.covered {
                    Some(c) => d = c.clone(),
                    None => break,
                }
                if d.same(ctx.root) {
                    let va = d.getattr()?;
                    return Ok((d, va));
                }
            }
            let vp = Vnode::get(&d.mount, |fs| fs.lookup(d.ino, b".."))?;
            let va = vp.getattr()?;
            return Ok((vp, va));
        }
        let mut vp = dir.lookup(name)?;
        while let Some(root) = self.covering_root(&vp.mount, vp.ino) {
            vp = root;
        }
        let va = vp.getattr()?;
        Ok((vp, va))
    }
}
