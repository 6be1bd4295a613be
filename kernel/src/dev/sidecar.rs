//! An overlay's changes kept in a host file (the "sidecar"), so a copy-on-write session can end and go
//! on later, and its changes can be committed into the image when wanted. The image is never written
//! by the overlay itself.
//!
//! The file is append-only, so a crash can only cut its tail: a header, then records, each one chunk
//! of the overlay as it was at a flush (sync, fsync, unmount). Later records of a chunk replace earlier
//! ones. A record cut short or failing its checksum ends the file there (what a crash mid-append leaves).
//!
//! ```text
//! header  16  magic "RUMPJS-OVERLAY1\n"
//!          8  base device size (LE)
//!          4  chunk size (LE)      4  reserved (0)
//!          8  fingerprint of the base: FNV-1a 64 of its size and first 128 KiB (labels, superblocks)
//! record   4  "RCHK"  4  data length (LE)  8  chunk index (LE)  8  FNV-1a 64 of the data (LE), data
//! ```
//! The fingerprint stops a sidecar being used on, or committed into, another image, or one changed since
//! (a read-write mount rewrites its superblock).

use super::BlockDevice;
use crate::errno::{Errno, KResult};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 16] = b"RUMPJS-OVERLAY1\n";
const RECORD: &[u8; 4] = b"RCHK";
const HEADER_LEN: u64 = 40;
const FINGERPRINT_SPAN: u64 = 128 << 10;

/// The chunks of an overlay: index → contents (the chunk size long, shorter only at the device's end).
pub type Chunks = BTreeMap<u64, Box<[u8]>>;

fn fnv(h: u64, data: &[u8]) -> u64 {
    data.iter().fold(h, |h, &b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3))
}

/// FNV-1a 64 of the base's size and its first 128 KiB.
pub fn fingerprint(base: &dyn BlockDevice) -> KResult<u64> {
    let size = base.size();
    let mut buf = vec![0u8; FINGERPRINT_SPAN.min(size) as usize];
    base.read_at(0, &mut buf)?;
    Ok(fnv(fnv(0xcbf2_9ce4_8422_2325, &size.to_le_bytes()), &buf))
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
    file: File,
    path: PathBuf,
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
    /// Opens `path` for an overlay of `base` with chunks of `chunk` bytes: made with its header when
    /// missing or empty, else checked against `base` and read back.
    pub fn open(path: &Path, base: &dyn BlockDevice, chunk: u64) -> Result<(Sidecar, Loaded), SidecarError> {
        let err = |what: String| SidecarError(format!("overlay file {}: {what}", path.display()));
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| err(e.to_string()))?;
        let fp = fingerprint(base).map_err(|e| err(format!("cannot read the image: {e}")))?;
        let len = file.metadata().map_err(|e| err(e.to_string()))?.len();
        if len == 0 {
            let mut h = Vec::with_capacity(HEADER_LEN as usize);
            h.extend_from_slice(MAGIC);
            h.extend_from_slice(&base.size().to_le_bytes());
            h.extend_from_slice(&(chunk as u32).to_le_bytes());
            h.extend_from_slice(&0u32.to_le_bytes());
            h.extend_from_slice(&fp.to_le_bytes());
            file.write_all(&h).and_then(|_| file.sync_data()).map_err(|e| err(e.to_string()))?;
            let loaded = Loaded { chunks: Chunks::new(), records: 0, torn: 0 };
            return Ok((Sidecar { file, path: path.to_path_buf(), end: HEADER_LEN }, loaded));
        }
        let loaded = read_records(&mut file, base.size(), fp, chunk).map_err(err)?;
        let end = len - loaded.torn;
        if loaded.torn > 0 {
            // Drop the torn tail now, so the next append follows the last whole record.
            file.set_len(end).map_err(|e| err(e.to_string()))?;
        }
        Ok((Sidecar { file, path: path.to_path_buf(), end }, loaded))
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
        self.file.seek(SeekFrom::Start(self.end)).map_err(|_| Errno::EIO)?;
        self.file.write_all(&out).map_err(|_| Errno::EIO)?;
        self.file.sync_data().map_err(|_| Errno::EIO)?;
        self.end += out.len() as u64;
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Reads a sidecar's header (checked against the base: size, fingerprint, chunk size) and records.
fn read_records(file: &mut File, size: u64, fp: u64, chunk: u64) -> Result<Loaded, String> {
    let len = file.metadata().map_err(|e| e.to_string())?.len();
    file.seek(SeekFrom::Start(0)).map_err(|e| e.to_string())?;
    let mut h = [0u8; HEADER_LEN as usize];
    file.read_exact(&mut h).map_err(|_| "not an overlay file (too short)".to_string())?;
    if &h[..16] != MAGIC {
        return Err("not an overlay file made by rumpjs (bad magic)".into());
    }
    let u64_at = |b: &[u8], o: usize| u64::from_le_bytes(b[o..o + 8].try_into().unwrap_or([0; 8]));
    let u32_at = |b: &[u8], o: usize| u32::from_le_bytes(b[o..o + 4].try_into().unwrap_or([0; 4]));
    if u64_at(&h, 16) != size {
        return Err(format!("made for a device of {} bytes, this image has {size}", u64_at(&h, 16)));
    }
    if u32_at(&h, 24) as u64 != chunk {
        return Err(format!("chunk size {} is not {chunk}", u32_at(&h, 24)));
    }
    if u64_at(&h, 32) != fp {
        return Err("made for another image, or this image changed since (its first 128 KiB differ)".into());
    }
    let mut chunks = Chunks::new();
    let mut records = 0;
    let mut pos = HEADER_LEN;
    let mut rh = [0u8; 24];
    let mut r = std::io::BufReader::with_capacity(1 << 20, &mut *file);
    loop {
        if pos + 24 > len || r.read_exact(&mut rh).is_err() {
            break;
        }
        let n = u32_at(&rh, 4) as u64;
        let idx = u64_at(&rh, 8);
        // Bounded by the chunk size, so a damaged length cannot ask for a huge buffer.
        let want = chunk.min(size.saturating_sub(idx.saturating_mul(chunk)));
        if &rh[..4] != RECORD || n != want || n == 0 || pos + 24 + n > len {
            break;
        }
        let mut data = vec![0u8; n as usize].into_boxed_slice();
        if r.read_exact(&mut data).is_err() || fnv(0xcbf2_9ce4_8422_2325, &data) != u64_at(&rh, 16) {
            break;
        }
        let mut full = vec![0u8; chunk as usize].into_boxed_slice();
        full[..n as usize].copy_from_slice(&data);
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

/// Writes the changes a sidecar holds into `target` (a writable handle to the image it was made for),
/// then flushes it. The sidecar is left as it is; it no longer fits the image once that changed.
pub fn commit(path: &Path, target: &dyn BlockDevice, chunk: u64) -> Result<Committed, SidecarError> {
    let err = |what: String| SidecarError(format!("overlay file {}: {what}", path.display()));
    let mut file = File::open(path).map_err(|e| err(e.to_string()))?;
    let fp = fingerprint(target).map_err(|e| err(format!("cannot read the image: {e}")))?;
    let loaded = read_records(&mut file, target.size(), fp, chunk).map_err(err)?;
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
