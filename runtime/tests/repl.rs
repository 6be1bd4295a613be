//! The REPL through a pseudo-terminal, as a person uses it: boot banner, shell-like commands, reading a
//! file from JavaScript, tab completion of a kernel path, a multi-line function, an error and recovery,
//! history kept in a file, Ctrl-D to leave.

use expectrl::{Eof, Regex, Session};
use std::process::Command;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_rumpjs");

#[test]
fn repl_through_a_terminal() {
    let home = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("repl-home");
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).unwrap();
    let mut cmd = Command::new(BIN);
    cmd.env("HOME", &home).env_remove("XDG_STATE_HOME").env("TERM", "xterm").env("NO_COLOR", "1");
    let mut p = Session::spawn(cmd).expect("spawn the REPL on a pty");
    p.set_expect_timeout(Some(Duration::from_secs(30)));

    // The 2012 page's first screen: the boot log, the mounts, a prompt.
    p.expect("mounted ffs /dev/demo0 on /ffs (read-only)").unwrap();
    p.expect("/dev/demo0 on /ffs type ffs (read-only, local)").unwrap();
    p.expect("rump:/> ").unwrap();

    p.send_line(".ls /ffs").unwrap();
    p.expect("README").unwrap();
    p.expect("rump:/> ").unwrap();

    // A path completed with Tab inside a string literal, then the rest of the line.
    p.send("fs.readFileSync('/ffs/et").unwrap();
    p.send("\t").unwrap();
    p.expect("/ffs/etc/").unwrap();
    p.send_line("motd', 'utf8').split('\\n')[0]").unwrap();
    p.expect("'NetBSD 10.1 (RUMPJS) #0: a rump kernel hosted by JavaScript'").unwrap();
    p.expect("rump:/> ").unwrap();

    // A property completed with Tab.
    p.send("rump.sys.fsta").unwrap();
    p.send("\t").unwrap();
    p.expect("rump.sys.fstat").unwrap();
    p.send("\x15").unwrap(); // Ctrl-U: clear the line
    p.send_line("").unwrap();
    p.expect("rump:/> ").unwrap();

    // An unfinished statement continues on the next lines.
    p.send_line("function sq(x) {").unwrap();
    p.send_line("  return x * x").unwrap();
    p.send_line("}").unwrap();
    p.expect("undefined").unwrap();
    p.send_line("sq(12) + 1").unwrap();
    p.expect("145").unwrap();

    // An error is shown with its code, and the session goes on with its state.
    p.send_line("fs.writeFileSync('/ffs/x', 'y')").unwrap();
    p.expect("EROFS: read-only file system, open '/ffs/x'").unwrap();
    p.expect("errno: 30").unwrap();
    p.send_line("sq(3)").unwrap();
    p.expect(Regex("\r?\n9\r?\n")).unwrap();
    p.send_line(".cd /ffs/data").unwrap();
    p.expect("rump:/ffs/data> ").unwrap();
    p.send_line(".bogus").unwrap();
    p.expect("bogus: unknown command").unwrap();
    // Ctrl-D only once the prompt is back: typed ahead, the terminal is not yet in raw mode and the
    // line discipline would take the ^D as end-of-file of that read, not as a key for the editor.
    p.expect("rump:/ffs/data> ").unwrap();

    // Ctrl-D leaves with status 0, and the history was kept.
    p.send("\x04").unwrap();
    p.expect(Eof).unwrap();
    let status = p.get_process_mut().wait().unwrap();
    assert_eq!(status, expectrl::WaitStatus::Exited(p.get_process().pid(), 0));
    let hist = std::fs::read_to_string(home.join(".local/state/rumpjs/history")).expect("history file");
    assert!(hist.contains("sq(12) + 1"), "{hist}");
}
