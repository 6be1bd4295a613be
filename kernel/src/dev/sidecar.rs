//! An overlay's changes kept in a host file (the "sidecar"), so a copy-on-write session can end and go
//! on later, and its changes can be committed into the image when wanted. The image is never written
//! by the overlay itself.
//!
//! The file is append-only, so a crash can only cut its tail: a header, then records, each one chunk
//! of the overlay as it was at a flush (sync, fsync, unmount). Later records of a chunk replace earlier
//! ones. A record cut short or failing its checksum ends the file there (what a crash mid-append leaves).
//!
//! ```text
//! header  16  magic "RUMPJS-OVERLAY2\n"
//!          8  base device size (LE)
//!          4  chunk size (LE)      4  reserved (0)
//!          8  fingerprint of the base: XXH64 (seed 0) of the whole device (LE)
//! record   4  "RCHK"  4  data length (LE)  8  chunk index (LE)  8  FNV-1a 64 of the data (LE), data
//! ```
//! The fingerprint stops a sidecar being used on, or committed into, another image, or one changed since
//! in any byte: a direct read-write mount may change nothing but blocks deep inside a partition, and a
//! commit over such changes would overwrite them with the overlay's stale view of the file system. It
//! is computed when the file is begun, when a session goes on from it and when it is committed (a read of
//! the whole image each time: about 0.25 s a GiB from the page cache, at the disk's speed otherwise).
//!
//! Files of format 1 ("RUMPJS-OVERLAY1\n") fingerprinted only the image's size and first 128 KiB, so they
//! cannot show that the image is unchanged since; they are refused with a message saying so.

use super::{BlockDevice, HostFile};
use crate::errno::KResult;
use std::collections::BTreeMap;

const MAGIC: &[u8; 16] = b"RUMPJS-OVERLAY2\n";
/// Format 1: its fingerprint covered the image's size and first 128 KiB only.
const MAGIC_V1: &[u8; 16] = b"RUMPJS-OVERLAY1\n";
const RECORD: &[u8; 4] = b"RCHK";
const HEADER_LEN: u64 = 40;
/// Bytes of the base read at a time for its fingerprint (a multiple of XXH64's 32-byte stripe).
const FINGERPRINT_READ: u64 = 1 << 20;

/// The chunks of an overlay: index → contents (the chunk size long, shorter only at the device's end).
pub type Chunks = BTreeMap<u64, Box<[u8]>>;

fn fnv(h: u64, data: &[u8]) -> u64 {
    data.iter().fold(h, |h, &b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3))
}

/// XXH64 (Yann Collet's xxHash, 64-bit), fed in pieces: four lanes of multiply-rotate over 32-byte
/// stripes, well mixed and as fast as memory.
struct Xxh64 {
    lanes: [u64; 4],
    /// Bytes not yet a whole stripe.
    buf: [u8; 32],
    held: usize,
    total: u64,
}

const P1: u64 = 0x9E37_79B1_85EB_CA87;
const P2: u64 = 0xC2B2_AE3D_27D4_EB4F;
const P3: u64 = 0x1656_67B1_9E37_79F9;
const P4: u64 = 0x85EB_CA77_C2B2_AE63;
const P5: u64 = 0x27D4_EB2F_1656_67C5;

fn xxh_round(acc: u64, input: u64) -> u64 {
    acc.wrapping_add(input.wrapping_mul(P2)).rotate_left(31).wrapping_mul(P1)
}

fn le64(b: &[u8]) -> u64 {
    u64::from_le_bytes(b[..8].try_into().unwrap_or([0; 8]))
}

impl Xxh64 {
    fn new(seed: u64) -> Xxh64 {
        Xxh64 {
            lanes: [seed.wrapping_add(P1).wrapping_add(P2), seed.wrapping_add(P2), seed, seed.wrapping_sub(P1)],
            buf: [0; 32],
            held: 0,
            total: 0,
        }
    }

    fn stripes(&mut self, data: &[u8]) {
        let [mut a, mut b, mut c, mut d] = self.lanes;
        for s in data.chunks_exact(32) {
            a = xxh_round(a, le64(&s[0..]));
            b = xxh_round(b, le64(&s[8..]));
            c = xxh_round(c, le64(&s[16..]));
            d = xxh_round(d, le64(&s[24..]));
        }
        self.lanes = [a, b, c, d];
    }

    fn update(&mut self, mut data: &[u8]) {
        self.total += data.len() as u64;
        if self.held > 0 {
            let n = (32 - self.held).min(data.len());
            self.buf[self.held..self.held + n].copy_from_slice(&data[..n]);
            self.held += n;
            data = &data[n..];
            if self.held < 32 {
                return;
            }
            let buf = self.buf;
            self.stripes(&buf);
            self.held = 0;
        }
        let whole = data.len() & !31;
        self.stripes(&data[..whole]);
        self.buf[..data.len() - whole].copy_from_slice(&data[whole..]);
        self.held = data.len() - whole;
    }

    fn finish(&self) -> u64 {
        let [a, b, c, d] = self.lanes;
        let mut h = if self.total >= 32 {
            let mut h = a
                .rotate_left(1)
                .wrapping_add(b.rotate_left(7))
                .wrapping_add(c.rotate_left(12))
                .wrapping_add(d.rotate_left(18));
            for v in [a, b, c, d] {
                h = (h ^ xxh_round(0, v)).wrapping_mul(P1).wrapping_add(P4);
            }
            h
        } else {
            c.wrapping_add(P5) // the seed
        };
        h = h.wrapping_add(self.total);
        let mut rest = &self.buf[..self.held];
        while rest.len() >= 8 {
            h = (h ^ xxh_round(0, le64(rest))).rotate_left(27).wrapping_mul(P1).wrapping_add(P4);
            rest = &rest[8..];
        }
        if rest.len() >= 4 {
            let k = u32::from_le_bytes(rest[..4].try_into().unwrap_or([0; 4])) as u64;
            h = (h ^ k.wrapping_mul(P1)).rotate_left(23).wrapping_mul(P2).wrapping_add(P3);
            rest = &rest[4..];
        }
        for &byte in rest {
            h = (h ^ (byte as u64).wrapping_mul(P5)).rotate_left(11).wrapping_mul(P1);
        }
        h ^= h >> 33;
        h = h.wrapping_mul(P2);
        h ^= h >> 29;
        h = h.wrapping_mul(P3);
        h ^ (h >> 32)
    }
}

/// XXH64 of the whole base, every byte of it: any change to the image since shows.
pub fn fingerprint(base: &dyn BlockDevice) -> KResult<u64> {
    let size = base.size();
    let mut h = Xxh64::new(0);
    let mut buf = vec![0u8; FINGERPRINT_READ.min(size) as usize];
    let mut off = 0;
    while off < size {
        let n = FINGERPRINT_READ.min(size - off) as usize;
        base.read_at(off, &mut buf[..n])?;
        h.update(&buf[..n]);
        off += n as u64;
    }
    Ok(h.finish())
}

/// Why a sidecar cannot be used, in words.
#[derive(Debug)]
pub struct SidecarError(pub String);

impl std::fmt::Display for SidecarError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An open sidecar file, appended to at each flush of its overlay.
pub struct Sidecar {
    file: Box<dyn HostFile>,
    /// What the file is called, for messages.
    name: String,
    end: u64,
}

/// What a sidecar holds, read back: its chunks (the last record of each) and how many records.
pub struct Loaded {
    pub chunks: Chunks,
    pub records: u64,
    /// Bytes at the end that were not a whole, intact record (cut by a crash), dropped.
    pub torn: u64,
}

impl Sidecar {
    /// Takes `file` (opened read-write by the host; `name` says which in messages) for an overlay of
    /// `base` with chunks of `chunk` bytes: its header written when it is empty, else checked against
    /// `base` and its records read back.
    pub fn open(
        file: Box<dyn HostFile>,
        name: &str,
        base: &dyn BlockDevice,
        chunk: u64,
    ) -> Result<(Sidecar, Loaded), SidecarError> {
        let err = |what: String| SidecarError(format!("overlay file {name}: {what}"));
        let len = file.size().map_err(|e| err(e.to_string()))?;
        if len == 0 {
            let fp = fingerprint(base).map_err(|e| err(format!("cannot read the image: {e}")))?;
            let mut h = Vec::with_capacity(HEADER_LEN as usize);
            h.extend_from_slice(MAGIC);
            h.extend_from_slice(&base.size().to_le_bytes());
            h.extend_from_slice(&(chunk as u32).to_le_bytes());
            h.extend_from_slice(&0u32.to_le_bytes());
            h.extend_from_slice(&fp.to_le_bytes());
            file.write_at(0, &h).and_then(|_| file.sync()).map_err(|e| err(e.to_string()))?;
            let loaded = Loaded { chunks: Chunks::new(), records: 0, torn: 0 };
            return Ok((Sidecar { file, name: name.to_string(), end: HEADER_LEN }, loaded));
        }
        check_header(file.as_ref(), base, chunk).map_err(err)?;
        let loaded = read_records(file.as_ref(), len, base.size(), chunk).map_err(err)?;
        let end = len - loaded.torn;
        if loaded.torn > 0 {
            // Drop the torn tail now, so the next append follows the last whole record.
            file.truncate(end).map_err(|e| err(e.to_string()))?;
        }
        Ok((Sidecar { file, name: name.to_string(), end }, loaded))
    }

    /// Appends `chunks` as records and syncs the file.
    pub fn append<'a>(&mut self, chunks: impl Iterator<Item = (u64, &'a [u8])>) -> KResult<()> {
        let mut out = Vec::new();
        for (idx, data) in chunks {
            out.extend_from_slice(RECORD);
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(&idx.to_le_bytes());
            out.extend_from_slice(&fnv(0xcbf2_9ce4_8422_2325, data).to_le_bytes());
            out.extend_from_slice(data);
        }
        if out.is_empty() {
            return Ok(());
        }
        self.file.write_at(self.end, &out)?;
        self.file.sync()?;
        self.end += out.len() as u64;
        Ok(())
    }

    /// What the file is called.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Sequential reads of a host file through a window of 1 MiB, so reading back a sidecar of many small
/// records costs a read call per MiB, not two per record.
struct Window<'f> {
    file: &'f dyn HostFile,
    buf: Vec<u8>,
    /// File offset of `buf[0]`.
    start: u64,
}

impl<'f> Window<'f> {
    fn new(file: &'f dyn HostFile) -> Window<'f> {
        Window { file, buf: Vec::new(), start: 0 }
    }

    /// Fills `out` from offset `pos`; false when the file ends first.
    fn read(&mut self, pos: u64, out: &mut [u8]) -> KResult<bool> {
        let inside = pos >= self.start && pos + out.len() as u64 <= self.start + self.buf.len() as u64;
        if !inside {
            self.start = pos;
            self.buf.resize(out.len().max(1 << 20), 0);
            let mut got = 0;
            while got < self.buf.len() {
                let n = self.file.read_at(pos + got as u64, &mut self.buf[got..])?;
                if n == 0 {
                    break;
                }
                got += n;
            }
            self.buf.truncate(got);
            if got < out.len() {
                return Ok(false);
            }
        }
        let at = (pos - self.start) as usize;
        out.copy_from_slice(&self.buf[at..at + out.len()]);
        Ok(true)
    }
}

fn u64_at(b: &[u8], o: usize) -> u64 {
    u64::from_le_bytes(b[o..o + 8].try_into().unwrap_or([0; 8]))
}

fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes(b[o..o + 4].try_into().unwrap_or([0; 4]))
}

/// Checks a sidecar's header against the base: format, size, chunk size, then (reading the whole base)
/// the fingerprint.
fn check_header(file: &dyn HostFile, base: &dyn BlockDevice, chunk: u64) -> Result<(), String> {
    let size = base.size();
    let mut h = [0u8; HEADER_LEN as usize];
    if !Window::new(file).read(0, &mut h).map_err(|e| e.to_string())? {
        return Err("not an overlay file (too short)".to_string());
    }
    if &h[..16] == MAGIC_V1 {
        return Err("an overlay file of format 1 (RUMPJS-OVERLAY1), whose fingerprint covered only the image's \
                    first 128 KiB: changes made to the image since cannot be ruled out, and a commit would \
                    overwrite them; refused (begin a new overlay file)"
            .into());
    }
    if &h[..16] != MAGIC {
        return Err("not an overlay file made by rumpjs (bad magic)".into());
    }
    if u64_at(&h, 16) != size {
        return Err(format!("made for a device of {} bytes, this image has {size}", u64_at(&h, 16)));
    }
    if u32_at(&h, 24) as u64 != chunk {
        return Err(format!("chunk size {} is not {chunk}", u32_at(&h, 24)));
    }
    let fp = fingerprint(base).map_err(|e| format!("cannot read the image: {e}"))?;
    if u64_at(&h, 32) != fp {
        return Err("made for another image, or this image changed since the overlay file was begun \
                    (its fingerprint of the whole image differs)"
            .into());
    }
    Ok(())
}

/// Reads a sidecar's records (its header already checked; `len` bytes long).
fn read_records(file: &dyn HostFile, len: u64, size: u64, chunk: u64) -> Result<Loaded, String> {
    let mut chunks = Chunks::new();
    let mut records = 0;
    let mut pos = HEADER_LEN;
    let mut rh = [0u8; 24];
    let mut w = Window::new(file);
    loop {
        if pos + 24 > len || !w.read(pos, &mut rh).map_err(|e| e.to_string())? {
            break;
        }
        let n = u32_at(&rh, 4) as u64;
        let idx = u64_at(&rh, 8);
        // Bounded by the chunk size, so a damaged length cannot ask for a huge buffer.
        let want = chunk.min(size.saturating_sub(idx.saturating_mul(chunk)));
        if &rh[..4] != RECORD || n != want || n == 0 || pos + 24 + n > len {
            break;
        }
        let mut full = vec![0u8; chunk as usize].into_boxed_slice();
        let data = &mut full[..n as usize];
        if !w.read(pos + 24, data).map_err(|e| e.to_string())? || fnv(0xcbf2_9ce4_8422_2325, data) != u64_at(&rh, 16) {
            break;
        }
        chunks.insert(idx, full);
        records += 1;
        pos += 24 + n;
    }
    Ok(Loaded { chunks, records, torn: len - pos })
}

/// What a commit did.
pub struct Committed {
    pub chunks: u64,
    pub bytes: u64,
}

/// Writes the changes the sidecar `file` (called `name`) holds into `target` (a writable handle to the
/// image it was made for), then flushes it. The sidecar is left as it is; it no longer fits the image
/// once that changed.
pub fn commit(
    file: &dyn HostFile,
    name: &str,
    target: &dyn BlockDevice,
    chunk: u64,
) -> Result<Committed, SidecarError> {
    let err = |what: String| SidecarError(format!("overlay file {name}: {what}"));
    check_header(file, target, chunk).map_err(err)?;
    let len = file.size().map_err(|e| err(e.to_string()))?;
    let loaded = read_records(file, len, target.size(), chunk).map_err(err)?;
    let size = target.size();
    let mut bytes = 0;
    for (&idx, data) in &loaded.chunks {
        let off = idx * chunk;
        let n = chunk.min(size - off) as usize;
        target.write_at(off, &data[..n]).map_err(|e| SidecarError(format!("writing the image: {e}")))?;
        bytes += n as u64;
    }
    target.flush().map_err(|e| SidecarError(format!("flushing the image: {e}")))?;
    Ok(Committed { chunks: loaded.chunks.len() as u64, bytes })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dev::MemDevice;

    fn xxh64(data: &[u8], seed: u64) -> u64 {
        let mut h = Xxh64::new(seed);
        h.update(data);
        h.finish()
    }

    /// Values from the reference library (libxxhash 0.8's XXH64).
    #[test]
    fn xxh64_matches_the_reference() {
        assert_eq!(xxh64(b"", 0), 0xef46_db37_51d8_e999);
        assert_eq!(xxh64(b"a", 0), 0xd24e_c4f1_a98c_6e5b);
        assert_eq!(xxh64(b"abc", 0), 0x44bc_2cf5_ad77_0999);
        assert_eq!(xxh64(b"Nobody inspects the spammish repetition", 0), 0xfbce_a83c_8a37_8bf1);
        let pattern: Vec<u8> = (0..100_003u32).map(|i| (i * 7 + i / 251) as u8).collect();
        assert_eq!(xxh64(&pattern[..37], 0), 0x0f67_f332_bdd5_b35b);
        assert_eq!(xxh64(&pattern[..37], 12345), 0xf058_f545_e10e_1d4c);
        assert_eq!(xxh64(&pattern, 0), 0xd3c4_e7b8_2c71_f484);
        // Fed in pieces of any size, the same.
        for step in [1, 5, 31, 32, 33, 4096, 65_537] {
            let mut h = Xxh64::new(0);
            pattern.chunks(step).for_each(|c| h.update(c));
            assert_eq!(h.finish(), 0xd3c4_e7b8_2c71_f484, "pieces of {step}");
        }
        // Through a device, read a MiB at a time.
        let size = 3 * FINGERPRINT_READ as usize + 12_345;
        let big: Vec<u8> = (0..size as u32).map(|i| (i * 7 + i / 251) as u8).collect();
        assert_eq!(fingerprint(&MemDevice::new(big.clone(), true)).unwrap(), xxh64(&big, 0));
    }

    #[test]
    fn the_fingerprint_sees_one_byte_changed_anywhere() {
        let size = 2 * FINGERPRINT_READ as usize + 777;
        let data: Vec<u8> = (0..size as u32).map(|i| (i * 13 + i / 4099) as u8).collect();
        let fp = fingerprint(&MemDevice::new(data.clone(), true)).unwrap();
        for at in [0, 1, 131_072, FINGERPRINT_READ as usize - 1, FINGERPRINT_READ as usize + 31, size - 700, size - 1] {
            let mut d = data.clone();
            d[at] ^= 0x01;
            assert_ne!(fingerprint(&MemDevice::new(d, true)).unwrap(), fp, "byte {at}");
        }
    }
}
