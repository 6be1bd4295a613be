//! Unit tests: decoding, the search, both byte orders (built only for tests: `#[cfg(test)] mod tests`).

use super::*;

/// Superblocks built in memory.
mod testutil {
    use super::*;

    pub fn ufs2_le(bsize: u32, fsize: u32) -> Vec<u8> {
        let o = ByteOrder::Little;
        let mut b = vec![0u8; SBLOCKSIZE];
        let frag = bsize / fsize;
        let ipg = 64 * (bsize / 256);
        let fpg = 8 * bsize;
        o.put_u32(&mut b, off::SBLKNO, 8192 / fsize + if 8192 % fsize == 0 { 0 } else { 1 });
        o.put_u32(&mut b, off::CBLKNO, 16 * 1024 / fsize);
        o.put_u32(&mut b, off::IBLKNO, 16 * 1024 / fsize + frag);
        o.put_u32(&mut b, off::DBLKNO, 16 * 1024 / fsize + frag + (ipg / (bsize / 256)) * frag);
        o.put_u32(&mut b, off::NCG, 1);
        o.put_u32(&mut b, off::BSIZE, bsize);
        o.put_u32(&mut b, off::FSIZE, fsize);
        o.put_u32(&mut b, off::FRAG, frag);
        o.put_u32(&mut b, off::MINFREE, 5);
        o.put_u32(&mut b, off::BMASK, !(bsize - 1));
        o.put_u32(&mut b, off::FMASK, !(fsize - 1));
        o.put_u32(&mut b, off::BSHIFT, ilog2(bsize));
        o.put_u32(&mut b, off::FSHIFT, ilog2(fsize));
        o.put_u32(&mut b, off::MAXBPG, bsize / 8);
        o.put_u32(&mut b, off::FRAGSHIFT, ilog2(frag));
        o.put_u32(&mut b, off::FSBTODB, ilog2(fsize / 512));
        o.put_u32(&mut b, off::SBSIZE, 2048);
        o.put_u32(&mut b, off::NINDIR, bsize / 8);
        o.put_u32(&mut b, off::INOPB, bsize / 256);
        o.put_u32(&mut b, off::CSSIZE, fsize);
        o.put_u32(&mut b, off::IPG, ipg);
        o.put_u32(&mut b, off::FPG, fpg);
        let cg = SIZEOF_CG + 4 + (ipg as u64).div_ceil(8) + (fpg as u64).div_ceil(8);
        o.put_u32(&mut b, off::CGSIZE, (cg.div_ceil(fsize as u64) * fsize as u64) as u32);
        b[off::OLD_FLAGS] = FS_FLAGS_UPDATED as u8;
        o.put_u64(&mut b, off::SBLOCKLOC, 8192);
        o.put_u64(&mut b, off::SIZE, fpg as u64);
        o.put_u64(&mut b, off::DSIZE, fpg as u64 - 100);
        o.put_u32(&mut b, off::MAXSYMLINKLEN, 120);
        o.put_u32(&mut b, off::OLD_INODEFMT, 2);
        o.put_u32(&mut b, off::MAGIC, FS_UFS2_MAGIC);
        b
    }

    /// A UFS1 superblock in the old layout (no FS_FLAGS_UPDATED: sizes in the fs_old_* fields).
    pub fn ufs1_old_le(bsize: u32, fsize: u32) -> Vec<u8> {
        let o = ByteOrder::Little;
        let mut b = ufs2_le(bsize, fsize);
        let frag = bsize / fsize;
        let ipg = 64 * (bsize / 256);
        o.put_u32(&mut b, off::INOPB, bsize / 128);
        o.put_u32(&mut b, off::NINDIR, bsize / 4);
        o.put_u32(&mut b, off::DBLKNO, 16 * 1024 / fsize + frag + (ipg / (bsize / 128)) * frag);
        o.put_u32(&mut b, off::OLD_SIZE, 8 * bsize);
        o.put_u32(&mut b, off::OLD_DSIZE, 8 * bsize - 100);
        o.put_u32(&mut b, off::OLD_CSTOTAL + 4, 77);
        b[off::OLD_FLAGS] = 0;
        o.put_u64(&mut b, off::SIZE, 0);
        o.put_u64(&mut b, off::SBLOCKLOC, 0);
        o.put_u32(&mut b, off::MAGIC, FS_UFS1_MAGIC);
        b
    }
}

#[test]
fn decodes_and_checks() {
    let b = testutil::ufs2_le(8192, 1024);
    let sb = Superblock::decode(&b, 8192).unwrap();
    assert_eq!(sb.ufs, Ufs::Ufs2);
    assert_eq!(sb.frag, 8);
    assert_eq!(sb.ino_to_fsba(2), (sb.iblkno as u64, 2));
    // An alternate (fs_sblockloc elsewhere) is skipped.
    assert!(Superblock::decode(&b, 65536).is_err());
    // A bad block size is refused.
    let mut bad = b.clone();
    ByteOrder::Little.put_u32(&mut bad, off::BSIZE, 3000);
    assert_eq!(Superblock::decode(&bad, 8192).unwrap_err().0, Errno::EINVAL);
    // UFS2ea is named.
    let mut ea = b.clone();
    ByteOrder::Little.put_u32(&mut ea, off::MAGIC, FS_UFS2EA_MAGIC);
    let (e, why) = Superblock::decode(&ea, 8192).unwrap_err();
    assert_eq!(e, Errno::EFTYPE);
    assert!(why.unwrap().contains("UFS2ea"));
}

fn dev_with(sbs: &[(u64, Vec<u8>)]) -> crate::dev::MemDevice {
    let mut img = vec![0u8; 512 * 1024];
    for (loc, sb) in sbs {
        img[*loc as usize..*loc as usize + sb.len()].copy_from_slice(sb);
    }
    crate::dev::MemDevice::new(img, true)
}

fn at(mut sb: Vec<u8>, loc: u64) -> Vec<u8> {
    if ByteOrder::Little.u32(&sb, off::MAGIC) == FS_UFS2_MAGIC || sb[off::OLD_FLAGS] != 0 {
        ByteOrder::Little.put_u64(&mut sb, off::SBLOCKLOC, loc);
    }
    sb
}

#[test]
fn search_order_and_alternates() {
    let u2 = testutil::ufs2_le(8192, 1024);
    // Only at 262144 (SBLOCK_PIGGY), or only at 0 (SBLOCK_FLOPPY).
    for loc in [SBLOCK_PIGGY, SBLOCK_FLOPPY] {
        let d = dev_with(&[(loc, at(u2.clone(), loc))]);
        assert_eq!(Superblock::find(&d, &mut Vec::new()).unwrap().sblockloc, loc);
    }
    // An alternate at 65536 (its fs_sblockloc says 8192) is passed over for the one at 8192.
    let d = dev_with(&[(SBLOCK_UFS2, at(u2.clone(), 8192)), (SBLOCK_UFS1, at(u2.clone(), 8192))]);
    let mut notes = Vec::new();
    assert_eq!(Superblock::find(&d, &mut notes).unwrap().sblockloc, 8192);
    assert!(notes[0].what.contains("an alternate"), "{notes:?}");
    // An old-layout UFS1 superblock at 65536 is a backup: skipped; the one at 8192 is used, with the
    // sizes and counts from the fs_old_* fields.
    let u1 = testutil::ufs1_old_le(8192, 1024);
    let d = dev_with(&[(SBLOCK_UFS2, u1.clone()), (SBLOCK_UFS1, u1.clone())]);
    let mut notes = Vec::new();
    let sb = Superblock::find(&d, &mut notes).unwrap();
    assert_eq!((sb.ufs, sb.sblockloc, sb.size, sb.cstotal.nbfree), (Ufs::Ufs1, 8192, 8 * 8192, 77));
    assert!(!sb.has_new_layout());
    assert!(notes[0].what.contains("backup"), "{notes:?}");
    // Nothing at all.
    assert_eq!(Superblock::find(&dev_with(&[]), &mut Vec::new()).unwrap_err(), Errno::EINVAL);
    // Big-endian: the same superblock byte-swapped field by field is found too.
    let mut be = u2.clone();
    for o in (0..off::END).step_by(4) {
        let v = ByteOrder::Little.u32(&u2, o);
        ByteOrder::Big.put_u32(&mut be, o, v);
    }
    // 64-bit fields swap as wholes, not as two halves.
    for o in [off::SBLOCKLOC, off::SIZE, off::DSIZE] {
        let v = ByteOrder::Little.u64(&u2, o);
        ByteOrder::Big.put_u64(&mut be, o, v);
    }
    be[off::OLD_FLAGS] = u2[off::OLD_FLAGS];
    let d = dev_with(&[(SBLOCK_UFS1, be)]);
    let sb = Superblock::find(&d, &mut Vec::new()).unwrap();
    assert_eq!((sb.order, sb.bsize, sb.size), (ByteOrder::Big, 8192, 65536));
}
