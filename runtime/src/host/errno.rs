//! Errno numbers between the kernel (NetBSD's) and this host (Linux's): FUSE replies say the host's,
//! host calls made for the kernel (image files, copies) report the kernel's.

use kernel::Errno;

/// NetBSD errno → Linux errno, for FUSE replies. Numbers 1-10 and 12-34 are the same on both; the
/// rest differ or (EFTYPE, EPROCLIM, the Sun RPC errors, EAUTH/ENEEDAUTH) have no Linux twin and get
/// the nearest meaning, as said in each line.
pub const ERRNO_TABLE: &[(Errno, i32)] = &[
    (Errno::EPERM, 1),
    (Errno::ENOENT, 2),
    (Errno::ESRCH, 3),
    (Errno::EINTR, 4),
    (Errno::EIO, 5),
    (Errno::ENXIO, 6),
    (Errno::E2BIG, 7),
    (Errno::ENOEXEC, 8),
    (Errno::EBADF, 9),
    (Errno::ECHILD, 10),
    (Errno::EDEADLK, 35),
    (Errno::ENOMEM, 12),
    (Errno::EACCES, 13),
    (Errno::EFAULT, 14),
    (Errno::ENOTBLK, 15),
    (Errno::EBUSY, 16),
    (Errno::EEXIST, 17),
    (Errno::EXDEV, 18),
    (Errno::ENODEV, 19),
    (Errno::ENOTDIR, 20),
    (Errno::EISDIR, 21),
    (Errno::EINVAL, 22),
    (Errno::ENFILE, 23),
    (Errno::EMFILE, 24),
    (Errno::ENOTTY, 25),
    (Errno::ETXTBSY, 26),
    (Errno::EFBIG, 27),
    (Errno::ENOSPC, 28),
    (Errno::ESPIPE, 29),
    (Errno::EROFS, 30),
    (Errno::EMLINK, 31),
    (Errno::EPIPE, 32),
    (Errno::EDOM, 33),
    (Errno::ERANGE, 34),
    (Errno::EAGAIN, 11),
    (Errno::EINPROGRESS, 115),
    (Errno::EALREADY, 114),
    (Errno::ENOTSOCK, 88),
    (Errno::EDESTADDRREQ, 89),
    (Errno::EMSGSIZE, 90),
    (Errno::EPROTOTYPE, 91),
    (Errno::ENOPROTOOPT, 92),
    (Errno::EPROTONOSUPPORT, 93),
    (Errno::ESOCKTNOSUPPORT, 94),
    (Errno::EOPNOTSUPP, 95),
    (Errno::EPFNOSUPPORT, 96),
    (Errno::EAFNOSUPPORT, 97),
    (Errno::EADDRINUSE, 98),
    (Errno::EADDRNOTAVAIL, 99),
    (Errno::ENETDOWN, 100),
    (Errno::ENETUNREACH, 101),
    (Errno::ENETRESET, 102),
    (Errno::ECONNABORTED, 103),
    (Errno::ECONNRESET, 104),
    (Errno::ENOBUFS, 105),
    (Errno::EISCONN, 106),
    (Errno::ENOTCONN, 107),
    (Errno::ESHUTDOWN, 108),
    (Errno::ETOOMANYREFS, 109),
    (Errno::ETIMEDOUT, 110),
    (Errno::ECONNREFUSED, 111),
    (Errno::ELOOP, 40),
    (Errno::ENAMETOOLONG, 36),
    (Errno::EHOSTDOWN, 112),
    (Errno::EHOSTUNREACH, 113),
    (Errno::ENOTEMPTY, 39),
    (Errno::EPROCLIM, 11), // no twin: Linux's fork says EAGAIN for "too many processes"
    (Errno::EUSERS, 87),
    (Errno::EDQUOT, 122),
    (Errno::ESTALE, 116),
    (Errno::EREMOTE, 66),
    (Errno::EBADRPC, 5),       // Sun RPC errors: no twin, EIO
    (Errno::ERPCMISMATCH, 5),  // EIO
    (Errno::EPROGUNAVAIL, 5),  // EIO
    (Errno::EPROGMISMATCH, 5), // EIO
    (Errno::EPROCUNAVAIL, 5),  // EIO
    (Errno::ENOLCK, 37),
    (Errno::ENOSYS, 38),
    (Errno::EFTYPE, 22),    // no twin: "inappropriate file type or format" is EINVAL on Linux
    (Errno::EAUTH, 13),     // no twin: EACCES
    (Errno::ENEEDAUTH, 13), // EACCES
    (Errno::EIDRM, 43),
    (Errno::ENOMSG, 42),
    (Errno::EOVERFLOW, 75),
    (Errno::EILSEQ, 84),
    (Errno::ENOTSUP, 95), // Linux's ENOTSUP is EOPNOTSUPP
    (Errno::ECANCELED, 125),
    (Errno::EBADMSG, 74),
    (Errno::ENODATA, 61),
    (Errno::ENOSR, 63),
    (Errno::ENOSTR, 60),
    (Errno::ETIME, 62),
    (Errno::ENOATTR, 61), // Linux's ENOATTR is ENODATA
    (Errno::EMULTIHOP, 72),
    (Errno::ENOLINK, 67),
    (Errno::EPROTO, 71),
];

/// The Linux errno for a kernel (NetBSD) errno; EIO for anything unknown.
pub fn linux_errno(e: Errno) -> i32 {
    ERRNO_TABLE.iter().find(|(n, _)| *n == e).map_or(5, |&(_, l)| l)
}

/// A host error with NetBSD's number for it (EIO for a number with no NetBSD meaning).
pub fn host_errno(e: &std::io::Error) -> Errno {
    let Some(n) = e.raw_os_error() else { return Errno::from(std::io::Error::from(e.kind())) };
    ERRNO_TABLE.iter().find(|&&(_, l)| l == n).map_or(Errno::EIO, |&(e, _)| e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_table_covers_every_errno_once() {
        for e in Errno::ALL {
            let n = ERRNO_TABLE.iter().filter(|(x, _)| x == e).count();
            assert_eq!(n, 1, "{e:?} appears {n} times");
        }
        assert_eq!(ERRNO_TABLE.len(), Errno::ALL.len());
    }

    #[test]
    fn errno_values_mean_the_same_on_linux() {
        // Linux's own messages (glibc's strerror through std) for the translated numbers.
        let msg = |e: Errno| std::io::Error::from_raw_os_error(linux_errno(e)).to_string();
        let want = [
            (Errno::EAGAIN, "Resource temporarily unavailable"),
            (Errno::ELOOP, "Too many levels of symbolic links"),
            (Errno::ENAMETOOLONG, "File name too long"),
            (Errno::ENOTEMPTY, "Directory not empty"),
            (Errno::EDQUOT, "Disk quota exceeded"),
            (Errno::ENOSYS, "Function not implemented"),
            (Errno::EOPNOTSUPP, "Operation not supported"),
            (Errno::ENOTSUP, "Operation not supported"),
            (Errno::EFTYPE, "Invalid argument"),
            (Errno::EDEADLK, "Resource deadlock avoided"),
            (Errno::ESTALE, "Stale file handle"),
            (Errno::ENOLCK, "No locks available"),
            (Errno::EOVERFLOW, "Value too large for defined data type"),
            (Errno::EILSEQ, "Invalid or incomplete multibyte or wide character"),
            (Errno::ECANCELED, "Operation canceled"),
            (Errno::ENOATTR, "No data available"),
            (Errno::ENOENT, "No such file or directory"),
            (Errno::EROFS, "Read-only file system"),
            (Errno::EXDEV, "Invalid cross-device link"),
            (Errno::EPROTO, "Protocol error"),
            (Errno::ETIMEDOUT, "Connection timed out"),
        ];
        for (e, m) in want {
            assert!(msg(e).starts_with(m), "{e:?} → {} ({})", linux_errno(e), msg(e));
        }
    }

    #[test]
    fn host_errors_read_back() {
        let host = |n: i32| host_errno(&std::io::Error::from_raw_os_error(n));
        for (e, n) in [
            (Errno::ENOENT, libc::ENOENT),
            (Errno::EAGAIN, libc::EAGAIN),
            (Errno::ENAMETOOLONG, libc::ENAMETOOLONG),
            (Errno::ENOTEMPTY, libc::ENOTEMPTY),
            (Errno::ELOOP, libc::ELOOP),
            (Errno::EOPNOTSUPP, libc::EOPNOTSUPP),
            (Errno::ENOSYS, libc::ENOSYS),
            (Errno::EDQUOT, libc::EDQUOT),
            (Errno::ETIMEDOUT, libc::ETIMEDOUT),
            (Errno::EDEADLK, libc::EDEADLK),
            (Errno::EOVERFLOW, libc::EOVERFLOW),
            (Errno::EILSEQ, libc::EILSEQ),
            (Errno::EINVAL, libc::EINVAL),
            (Errno::EACCES, libc::EACCES),
        ] {
            assert_eq!(host(n), e, "host errno {n}");
            assert_eq!(linux_errno(e), n, "{e:?}");
        }
        assert_eq!(host(4095), Errno::EIO, "a number with no meaning");
    }
}
