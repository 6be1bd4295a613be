//! The JavaScript host: a session (a booted kernel and a Boa context), the globals and modules scripts
//! see, the event loop, the limits Boa cannot enforce, where output goes; and the host side of the
//! hypercalls with the permission model (grants, host files opened beneath them, copies between the
//! host and the kernel).

pub mod copy;
pub mod errno;
pub mod globals;
pub mod grants;
pub mod host_fs;
pub mod hostdir;
pub mod hypervisor;
pub mod jobs;
pub mod limits;
pub mod loader;
pub mod output;
pub mod rump_host;
pub mod session;
pub mod watchdog;
