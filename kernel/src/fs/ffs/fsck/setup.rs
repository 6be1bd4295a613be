//! setup.c: finding the file system (as a mount finds it), the journal (replayed into the view checked;
//! with `-y` written to the device first), the skipping of clean or journaled file systems when preening,
//! and the checks of the superblock fsck needs before it can walk anything, with the tables it fills.

use super::*;
use crate::fs::ffs::superblock::{FS_44INODEFMT, FS_DOWAPBL};
use crate::fs::ffs::wapbl;

/// What `open` settled on.
pub(super) enum Opened {
    /// Check this device (the journal replayed into it when there was one) with this superblock;
    /// `replayed`: the replay was written to the device already.
    Check { dev: Dev, sb: Box<Superblock>, replayed: bool },
    /// Nothing to check (preen on a clean or journaled file system).
    Skip,
    /// The check cannot begin (the message, already said).
    Failed(String),
}

/// The file system on `dev`: partition, superblock, journal.
pub(super) fn open(dev: &Dev, opts: &FsckOptions, yes: bool, log: &mut dyn FnMut(&str)) -> KResult<Opened> {
    let said = std::cell::RefCell::new(Vec::<String>::new());
    let opened = crate::fs::ffs::open(dev, opts.partition.as_deref(), opts.force, &|s: &str| {
        said.borrow_mut().push(s.to_string())
    });
    for n in said.into_inner() {
        log(&n);
    }
    let opened = match opened {
        Ok(o) => o,
        Err(e) => {
            let msg = format!("CANNOT CHECK FILE SYSTEM: no usable FFS superblock ({e:?})");
            log(&msg);
            return Ok(Opened::Failed(msg));
        }
    };
    if let Some(p) = &opened.chosen.partition {
        log(&format!("** {p}"));
    }
    // The journal: replayed into the view fsck checks; with -y its blocks are written and the log
    // disabled (fsck_ffs replays it and clears FS_DOWAPBL).
    let mut fsdev = opened.dev.clone();
    let mut sb = opened.sb.clone();
    let mut journal_replayed = false;
    if sb.flags & FS_DOWAPBL != 0 {
        if let Some((n, what)) = &opened.replay {
            log(&format!("** File system is journaled; {what}"));
            journal_replayed = *n > 0;
        }
    }
    let base_dev = opened.chosen.dev.clone();
    // Preen: a journaled file system is left to the kernel, which replays its log when it mounts it;
    // only -f checks it (replaying the journal first, as below).
    if opts.preen && !opts.force && sb.flags & FS_DOWAPBL != 0 {
        log("** file system is journaled; not checking");
        return Ok(Opened::Skip);
    }
    let mut replayed = false;
    if yes && journal_replayed {
        // Write the replayed view over the device, then check the device itself.
        if let Err(e) = wapbl::write_replay(fsdev.as_ref(), base_dev.as_ref()).and_then(|()| base_dev.flush()) {
            log(&format!("CANNOT WRITE REPLAYED JOURNAL: {e:?}"));
            return Ok(Opened::Failed("cannot write the replayed journal".into()));
        }
        fsdev = base_dev.clone();
        sb = Superblock::read_at(fsdev.as_ref(), sb.sblockloc)?;
        replayed = true;
    }
    if opts.preen && sb.is_clean() && !opts.force {
        log("** file system is clean; not checking");
        return Ok(Opened::Skip);
    }
    Ok(Opened::Check { dev: fsdev, sb: Box::new(sb), replayed })
}

impl<'a> Fsck<'a> {
    /// setup(): the checks of the superblock fsck needs before it can walk anything, and the tables.
    pub(super) fn setup(
        dev: Dev,
        sb: Superblock,
        yes: bool,
        preen: bool,
        hyper: &'a dyn Hypervisor,
        log: &'a mut dyn FnMut(&str),
    ) -> FResult<Fsck<'a>> {
        let devsize = dev.size();
        let fsbytes = sb.size.checked_mul(sb.fsize as u64).ok_or_else(|| Fatal("BAD SUPER BLOCK: size".into()))?;
        if fsbytes > devsize {
            return Err(Fatal(format!(
                "BAD SUPER BLOCK: FILE SYSTEM SIZE {fsbytes} BYTES LARGER THAN DEVICE ({devsize} BYTES)"
            )));
        }
        let maxino = sb.ninodes();
        let ncg = sb.ncg as u64;
        let last_dmin = sb.cgstart(sb.ncg - 1) + sb.dblkno as u64;
        if last_dmin > sb.size {
            return Err(Fatal(format!("BAD SUPER BLOCK: last cylinder group's inodes end past fs_size {}", sb.size)));
        }
        if sb.cssize < sb.ncg.saturating_mul(16) || sb.csaddr + (sb.cssize as u64).div_ceil(sb.fsize as u64) > sb.size {
            return Err(Fatal(format!(
                "BAD SUPER BLOCK: summary area at {} ({} bytes) for {} groups",
                sb.csaddr, sb.cssize, sb.ncg
            )));
        }
        if sb.ufs == Ufs::Ufs1 && !sb.has_new_layout() && sb.old.postblformat != 1 {
            return Err(Fatal(format!(
                "UNKNOWN ROTATIONAL TABLE FORMAT {} (only the dynamic format is checked)",
                sb.old.postblformat
            )));
        }
        let maxfsblock = sb.size;
        let words = (maxfsblock + sb.frag as u64).div_ceil(64) as usize;
        let o = sb.order;
        let ufs = sb.ufs;
        let fmt = DirFormat { order: o, dtype: sb.has_dtype() };
        let old_ids = sb.old_inodefmt < FS_44INODEFMT;
        let mut csum = vec![0u8; sb.cssize as usize];
        dev.read_at(sb.csaddr << sb.fshift, &mut csum).map_err(|_| Fatal("CANNOT READ SUMMARY AREA".into()))?;
        let mut f = Fsck {
            dev: Arc::new(OverlayDevice::new(dev.clone())),
            target: dev,
            cache: BlockCache::new(super::super::cache::DEFAULT_CACHE_BYTES),
            hyper,
            o,
            ufs,
            fmt,
            old_ids,
            yes,
            preen,
            log,
            line: String::new(),
            msg: String::new(),
            problems: Vec::new(),
            resolved: true,
            rerun: false,
            markclean: true,
            fsmodified: false,
            maxino,
            maxfsblock,
            state: vec![0u8; maxino as usize],
            linkcnt: vec![0i32; maxino as usize],
            itype: vec![0u8; maxino as usize],
            zln: Vec::new(),
            dirs: HashMap::new(),
            dirorder: Vec::new(),
            countdirs: 0,
            inited: vec![sb.ipg; ncg as usize],
            blockmap: vec![0u64; words],
            dups: BTreeMap::new(),
            n_files: 0,
            n_blks: 0,
            lfdir: 0,
            sbdirty: false,
            csum,
            csdirty: false,
            scratch: 0,
            marked_clean_now: false,
            exit_code: 0,
            sb,
        };
        if yes && f.sb.flags & FS_DOWAPBL != 0 {
            // The journal is done with (replayed above, or empty): logging goes off.
            f.sb.flags &= !FS_DOWAPBL;
            let fl = f.sb.flags;
            f.sb.raw_mut().set_flags(fl);
            f.sbdirty = true;
        }
        Ok(f)
    }
}
