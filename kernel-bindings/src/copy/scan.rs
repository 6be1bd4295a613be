//! The first pass of a copy: the source read into a [`Node`] tree, directories sorted by name.

use super::{cerr, push_name, split, CopyError, Fs, Kind, Node};

/// Reads the tree at `path` (a file or a directory; symbolic links inside are not followed) into
/// memory, directories sorted by name.
pub fn scan<F: Fs>(fs: &F, path: &[u8]) -> Result<Node, CopyError> {
    scan_with(fs, path, &mut |_| Ok(true))
}

/// [`scan`], asking `keep` about every node below the top before it is read: `keep(rel)` with its path
/// relative to the top ("a/b"), false leaves the node and everything under it out (Node's `filter`).
/// `keep`'s own errors end the scan.
pub fn scan_with<F: Fs, E: From<CopyError>>(
    fs: &F,
    path: &[u8],
    keep: &mut dyn FnMut(&[u8]) -> Result<bool, E>,
) -> Result<Node, E> {
    let (parent, name) = split(path);
    let d = fs.open_path_dir(&parent).map_err(|e| cerr(e, "open", &parent))?;
    let mut p = path.to_vec();
    let mut rel = Vec::new();
    scan_node(fs, &d, &name, &mut p, &mut rel, keep)
}

fn scan_node<F: Fs, E: From<CopyError>>(
    fs: &F,
    d: &F::Dir,
    name: &[u8],
    path: &mut Vec<u8>,
    rel: &mut Vec<u8>,
    keep: &mut dyn FnMut(&[u8]) -> Result<bool, E>,
) -> Result<Node, E> {
    let stat = if fs.follows() { "stat" } else { "lstat" };
    let meta = fs.lstat(d, name).map_err(|e| cerr(e, stat, path))?;
    let mut n = Node {
        name: name.to_vec(),
        copy_len: if meta.kind == Kind::Reg { meta.size } else { 0 },
        meta,
        target: Vec::new(),
        children: Vec::new(),
        in_source: true,
    };
    match n.meta.kind {
        Kind::Lnk => n.target = fs.readlink(d, name).map_err(|e| cerr(e, "readlink", path))?,
        Kind::Dir => {
            let sub = fs.open_dir(d, name).map_err(|e| cerr(e, "open", path))?;
            let mut names = fs.list(&sub).map_err(|e| cerr(e, "scandir", path))?;
            names.sort();
            n.children.reserve(names.len());
            for c in names {
                let (len, rlen) = (path.len(), rel.len());
                push_name(path, &c);
                if !rel.is_empty() {
                    rel.push(b'/');
                }
                rel.extend_from_slice(&c);
                let r = match keep(rel) {
                    Ok(true) => scan_node(fs, &sub, &c, path, rel, keep).map(Some),
                    Ok(false) => Ok(None),
                    Err(e) => Err(e),
                };
                path.truncate(len);
                rel.truncate(rlen);
                if let Some(c) = r? {
                    n.children.push(c);
                }
            }
        }
        _ => {}
    }
    Ok(n)
}
