//! Fifos (NetBSD's fifofs over a pipe): opening blocks until the other end is open, unless O_NONBLOCK;
//! reads wait for data or end of file when the last writer closes; writes to a fifo nobody reads give
//! EPIPE.

use super::types::*;
use super::{Kernel, Vnode};
use crate::errno::{Errno, KResult};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

/// Writes of at most this many bytes are atomic (PIPE_BUF).
pub const PIPE_BUF: usize = 512;
/// Bytes a fifo buffers before writers wait (NetBSD's PIPE_SIZE is 16 KiB, BIG_PIPE_SIZE 64 KiB).
const PIPE_SIZE: usize = 64 * 1024;

#[derive(Default)]
struct State {
    buf: VecDeque<u8>,
    readers: usize,
    writers: usize,
    /// Opens of each side so far, so a blocked open sees a partner that came and went.
    read_opens: u64,
    write_opens: u64,
}

/// The pipe behind one fifo node, shared by every open of it.
pub struct Fifo {
    st: Mutex<State>,
    cv: Condvar,
}

/// Registry of fifos with open ends, keyed by (fsid, inode).
#[derive(Default)]
pub(crate) struct FifoTable {
    map: Mutex<HashMap<(u64, Ino), Arc<Fifo>>>,
}

/// An open end of a fifo; closing it (dropping) wakes the other side.
pub struct FifoEnd {
    fifo: Arc<Fifo>,
    read: bool,
    write: bool,
}

impl Fifo {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.st.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// fifo_open.
    pub(crate) fn open(kernel: &Kernel, vp: &Vnode, flags: u32) -> KResult<FifoEnd> {
        let fifo = {
            let mut map = kernel.fifos.map.lock().unwrap_or_else(|e| e.into_inner());
            map.entry((vp.mount.fsid, vp.ino))
                .or_insert_with(|| Arc::new(Fifo { st: Mutex::new(State::default()), cv: Condvar::new() }))
                .clone()
        };
        let acc = flags & O_ACCMODE;
        let read = acc != O_WRONLY;
        let write = acc != O_RDONLY;
        let nonblock = flags & O_NONBLOCK != 0;
        let mut st = fifo.lock();
        if write && !read && nonblock && st.readers == 0 {
            return Err(Errno::ENXIO);
        }
        if read {
            st.readers += 1;
            st.read_opens += 1;
        }
        if write {
            st.writers += 1;
            st.write_opens += 1;
        }
        fifo.cv.notify_all();
        if !nonblock {
            if read && !write {
                let seen = st.write_opens;
                while st.writers == 0 && st.write_opens == seen {
                    st = fifo.cv.wait(st).unwrap_or_else(|e| e.into_inner());
                }
            } else if write && !read {
                let seen = st.read_opens;
                while st.readers == 0 && st.read_opens == seen {
                    st = fifo.cv.wait(st).unwrap_or_else(|e| e.into_inner());
                }
            }
        }
        drop(st);
        Ok(FifoEnd { fifo, read, write })
    }
}

impl FifoEnd {
    /// Reads what is buffered; waits while the buffer is empty and a writer is open (EAGAIN with
    /// O_NONBLOCK); 0 at end of file.
    pub fn read(&self, buf: &mut [u8], nonblock: bool) -> KResult<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let mut st = self.fifo.lock();
        while st.buf.is_empty() {
            if st.writers == 0 {
                return Ok(0);
            }
            if nonblock {
                return Err(Errno::EAGAIN);
            }
            st = self.fifo.cv.wait(st).unwrap_or_else(|e| e.into_inner());
        }
        let n = buf.len().min(st.buf.len());
        for (d, s) in buf.iter_mut().zip(st.buf.drain(..n)) {
            *d = s;
        }
        self.fifo.cv.notify_all();
        Ok(n)
    }

    /// Writes everything, waiting for room (EAGAIN with O_NONBLOCK when nothing fits); EPIPE when no
    /// reader is left.
    pub fn write(&self, buf: &[u8], nonblock: bool) -> KResult<usize> {
        let mut st = self.fifo.lock();
        let mut done = 0;
        while done < buf.len() {
            if st.readers == 0 {
                return if done > 0 { Ok(done) } else { Err(Errno::EPIPE) };
            }
            let room = PIPE_SIZE.saturating_sub(st.buf.len());
            let left = buf.len() - done;
            // Small writes go in whole or not at all (PIPE_BUF atomicity).
            if room == 0 || (left <= PIPE_BUF && room < left) {
                if nonblock {
                    return if done > 0 { Ok(done) } else { Err(Errno::EAGAIN) };
                }
                st = self.fifo.cv.wait(st).unwrap_or_else(|e| e.into_inner());
                continue;
            }
            let n = room.min(left);
            st.buf.extend(&buf[done..done + n]);
            done += n;
            self.fifo.cv.notify_all();
        }
        Ok(done)
    }
}

impl Drop for FifoEnd {
    fn drop(&mut self) {
        let mut st = self.fifo.lock();
        if self.read {
            st.readers -= 1;
        }
        if self.write {
            st.writers -= 1;
        }
        if st.readers == 0 && st.writers == 0 {
            st.buf.clear();
        }
        self.fifo.cv.notify_all();
    }
}
