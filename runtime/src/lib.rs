//! rumpjs, the host side: a kernel booted under the Boa JavaScript engine with the host's hypercalls, the
//! permission model, the globals and modules scripts see, and the CLI. [`session::Session`] is the unit
//! every subcommand starts from; [`cli`] holds the argument definitions and the `run`/`-e` commands.

pub mod cli;
pub mod copy;
pub mod fuse;
pub mod globals;
pub mod host;
pub mod hostdir;
pub mod jobs;
pub mod limits;
pub mod loader;
pub mod makefs;
pub mod output;
pub mod repl;
pub mod serve;
pub mod session;
pub mod test_cmd;
pub mod test_runner;
pub mod tools;
pub mod watchdog;

pub use session::{Failure, ImageSpec, Session, SessionOptions};
