//! NetBSD errno values (sys/sys/errno.h), their names, and the message text Node (libuv) shows for them.

use std::fmt;

/// A NetBSD errno. Every kernel error is one of these; the bindings turn it into a Node-shaped JS error.
#[derive(Copy, Clone, PartialEq, Eq, Hash)]
pub struct Errno(pub i32);

/// Result of a kernel operation.
pub type KResult<T> = Result<T, Errno>;

macro_rules! errnos {
    ($( $name:ident = $num:expr, $msg:expr; )*) => {
        impl Errno {
            $( pub const $name: Errno = Errno($num); )*

            /// The symbolic name, e.g. `"ENOENT"`.
            pub fn name(self) -> &'static str {
                match self.0 { $( $num => stringify!($name), )* _ => "EUNKNOWN" }
            }

            /// The message Node (libuv) uses for this error, e.g. `"no such file or directory"`.
            pub fn message(self) -> &'static str {
                match self.0 { $( $num => $msg, )* _ => "unknown error" }
            }

            /// Looks an errno up by its symbolic name.
            pub fn from_name(name: &str) -> Option<Errno> {
                match name { $( stringify!($name) => Some(Errno($num)), )* _ => None }
            }

            /// Every errno the kernel knows, in numeric order.
            pub const ALL: &'static [Errno] = &[$( Errno($num), )*];
        }
    };
}

errnos! {
    EPERM = 1, "operation not permitted";
    ENOENT = 2, "no such file or directory";
    ESRCH = 3, "no such process";
    EINTR = 4, "interrupted system call";
    EIO = 5, "i/o error";
    ENXIO = 6, "no such device or address";
    E2BIG = 7, "argument list too long";
    ENOEXEC = 8, "exec format error";
    EBADF = 9, "bad file descriptor";
    ECHILD = 10, "no child processes";
    EDEADLK = 11, "resource deadlock avoided";
    ENOMEM = 12, "not enough memory";
    EACCES = 13, "permission denied";
    EFAULT = 14, "bad address in system call argument";
    ENOTBLK = 15, "block device required";
    EBUSY = 16, "resource busy or locked";
    EEXIST = 17, "file already exists";
    EXDEV = 18, "cross-device link not permitted";
    ENODEV = 19, "no such device";
    ENOTDIR = 20, "not a directory";
    EISDIR = 21, "illegal operation on a directory";
    EINVAL = 22, "invalid argument";
    ENFILE = 23, "file table overflow";
    EMFILE = 24, "too many open files";
    ENOTTY = 25, "inappropriate ioctl for device";
    ETXTBSY = 26, "text file is busy";
    EFBIG = 27, "file too large";
    ENOSPC = 28, "no space left on device";
    ESPIPE = 29, "invalid seek";
    EROFS = 30, "read-only file system";
    EMLINK = 31, "too many links";
    EPIPE = 32, "broken pipe";
    EDOM = 33, "numerical argument out of domain";
    ERANGE = 34, "result too large";
    EAGAIN = 35, "resource temporarily unavailable";
    EINPROGRESS = 36, "operation now in progress";
    EALREADY = 37, "connection already in progress";
    ENOTSOCK = 38, "socket operation on non-socket";
    EDESTADDRREQ = 39, "destination address required";
    EMSGSIZE = 40, "message too long";
    EPROTOTYPE = 41, "protocol wrong type for socket";
    ENOPROTOOPT = 42, "protocol not available";
    EPROTONOSUPPORT = 43, "protocol not supported";
    ESOCKTNOSUPPORT = 44, "socket type not supported";
    EOPNOTSUPP = 45, "operation not supported";
    EPFNOSUPPORT = 46, "protocol family not supported";
    EAFNOSUPPORT = 47, "address family not supported";
    EADDRINUSE = 48, "address already in use";
    EADDRNOTAVAIL = 49, "address not available";
    ENETDOWN = 50, "network is down";
    ENETUNREACH = 51, "network is unreachable";
    ENETRESET = 52, "network dropped connection on reset";
    ECONNABORTED = 53, "connection aborted";
    ECONNRESET = 54, "connection reset by peer";
    ENOBUFS = 55, "no buffer space available";
    EISCONN = 56, "socket is already connected";
    ENOTCONN = 57, "socket is not connected";
    ESHUTDOWN = 58, "cannot send after transport endpoint shutdown";
    ETOOMANYREFS = 59, "too many references";
    ETIMEDOUT = 60, "connection timed out";
    ECONNREFUSED = 61, "connection refused";
    ELOOP = 62, "too many symbolic links encountered";
    ENAMETOOLONG = 63, "name too long";
    EHOSTDOWN = 64, "host is down";
    EHOSTUNREACH = 65, "host is unreachable";
    ENOTEMPTY = 66, "directory not empty";
    EPROCLIM = 67, "too many processes";
    EUSERS = 68, "too many users";
    EDQUOT = 69, "disc quota exceeded";
    ESTALE = 70, "stale file handle";
    EREMOTE = 71, "object is remote";
    EBADRPC = 72, "RPC struct is bad";
    ERPCMISMATCH = 73, "RPC version wrong";
    EPROGUNAVAIL = 74, "RPC program not available";
    EPROGMISMATCH = 75, "program version wrong";
    EPROCUNAVAIL = 76, "bad procedure for program";
    ENOLCK = 77, "no locks available";
    ENOSYS = 78, "function not implemented";
    EFTYPE = 79, "inappropriate file type or format";
    EAUTH = 80, "authentication error";
    ENEEDAUTH = 81, "need authenticator";
    EIDRM = 82, "identifier removed";
    ENOMSG = 83, "no message of desired type";
    EOVERFLOW = 84, "value too large for defined data type";
    EILSEQ = 85, "illegal byte sequence";
    ENOTSUP = 86, "not supported";
    ECANCELED = 87, "operation canceled";
    EBADMSG = 88, "bad or corrupt message";
    ENODATA = 89, "no message available";
    ENOSR = 90, "no STREAM resources";
    ENOSTR = 91, "not a STREAM";
    ETIME = 92, "STREAM ioctl timeout";
    ENOATTR = 93, "attribute not found";
    EMULTIHOP = 94, "multihop attempted";
    ENOLINK = 95, "link has been severed";
    EPROTO = 96, "protocol error";
}

impl fmt::Debug for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.name())
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name(), self.message())
    }
}

impl std::error::Error for Errno {}

impl From<std::io::Error> for Errno {
    /// Host I/O errors reach the kernel through the hypervisor; map the host's kind onto NetBSD's numbers.
    fn from(e: std::io::Error) -> Errno {
        use std::io::ErrorKind as K;
        match e.kind() {
            K::NotFound => Errno::ENOENT,
            K::PermissionDenied => Errno::EACCES,
            K::AlreadyExists => Errno::EEXIST,
            K::InvalidInput => Errno::EINVAL,
            K::UnexpectedEof => Errno::EIO,
            K::OutOfMemory => Errno::ENOMEM,
            K::Unsupported => Errno::EOPNOTSUPP,
            K::ReadOnlyFilesystem => Errno::EROFS,
            K::StorageFull => Errno::ENOSPC,
            K::IsADirectory => Errno::EISDIR,
            K::NotADirectory => Errno::ENOTDIR,
            K::FileTooLarge => Errno::EFBIG,
            _ => Errno::EIO,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_names_round_trip() {
        for (i, e) in Errno::ALL.iter().enumerate() {
            assert_eq!(e.0, i as i32 + 1, "errno table is dense from 1");
            assert_eq!(Errno::from_name(e.name()), Some(*e));
        }
        assert_eq!(Errno::ELOOP.0, 62);
        assert_eq!(Errno::ENOTEMPTY.0, 66);
        assert_eq!(Errno::EFTYPE.0, 79);
        assert_eq!(Errno::ENOENT.to_string(), "ENOENT: no such file or directory");
    }
}
