//! FFS (UFS1 and UFS2) — being written; see issue 4.

use crate::errno::{Errno, KResult};
use crate::vfs::{FileSystem, MountCtx, MountOptions};
use std::sync::Arc;

pub fn mount(_ctx: &MountCtx, _opts: &MountOptions) -> KResult<Arc<dyn FileSystem>> {
    Err(Errno::EOPNOTSUPP)
}
