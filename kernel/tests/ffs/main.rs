//! FFS through the kernel: the committed images of every geometry read back against their manifests,
//! damaged images refused with a reason, images made by Debian's makefs compared with their source
//! trees and with The Sleuth Kit, what makefs cannot write patched in, WAPBL journals replayed, every
//! kind of change on read-write mounts (and on overlays), our newfs, random operation sequences against
//! tmpfs, and the conformance suites (vfs/t_vfs.rs, vfs/threads.rs) on fresh read-write images.

#[path = "../common/mod.rs"]
mod common;

mod conformance_threads;
mod conformance_vfs;
mod corrupt;
mod differential;
mod fixtures;
mod newfs;
mod overlay_file;
mod patched;
mod rw;
mod rw_images;
mod rw_proptest;
mod rw_wapbl;
mod wapbl;
