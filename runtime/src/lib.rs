//! rumpjs, the host side: a kernel booted under the Boa JavaScript engine with the host's hypercalls, the
//! permission model, the globals and modules scripts see ([`host`]), and the commands of the CLI
//! ([`cmd`]). [`Session`] is the unit every command starts from; [`cmd::Cli`] holds the arguments.

pub mod cmd;
pub mod host;

pub use host::session::{Failure, ImageSpec, Session, SessionOptions};
