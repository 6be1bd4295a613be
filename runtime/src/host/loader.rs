//! Module loading: built-in modules (`fs`/`node:fs`, `path`, `rump`, ...) as synthetic modules, and
//! ES module files from the host, resolved relative to the importing module. A module file is read only
//! from the directory tree of the script the user chose to run (or a test file's), its project, and paths
//! granted with --allow-host, through the descriptor each was opened as (see hostdir): an
//! `import('/etc/passwd')` is denied like any other host access, in words that do not say whether it exists.

use boa_engine::module::{ModuleLoader, Referrer, SyntheticModuleInitializer};
use boa_engine::{js_error, js_string, Context, JsObject, JsResult, JsString, JsValue, Module, Source};
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use crate::host::grants::{Access, Grants};
use crate::host::hostdir::Root;

#[derive(Default)]
pub struct Loader {
    /// Built-in modules by specifier ("fs" and "node:fs" share one).
    builtins: RefCell<HashMap<String, Module>>,
    /// Module files by canonical path.
    files: RefCell<HashMap<PathBuf, Module>>,
    /// Module sources built into the binary, by virtual path (`/rumpjs/lib/inspect.js`): relative imports
    /// between them resolve as between files.
    embedded: RefCell<HashMap<PathBuf, &'static str>>,
    /// Where specifiers of scripts and REPL lines are resolved from.
    pub base: RefCell<PathBuf>,
    /// Directories whose module files may be imported (the script's own, its project), held open.
    roots: RefCell<Vec<Arc<Root>>>,
    /// The session's host grants: granted paths may be imported too.
    grants: Arc<Mutex<Grants>>,
}

/// Where the JavaScript libraries of scripts/lib are embedded.
pub const LIB_DIR: &str = "/rumpjs/lib";

/// Lexical normalisation of `a/./b/../c`.
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out
}

impl Loader {
    pub fn new(base: PathBuf, grants: Arc<Mutex<Grants>>) -> Loader {
        Loader { base: RefCell::new(base), grants, ..Default::default() }
    }

    /// Lets module files under `dir` be imported (the directory of the script the user runs).
    pub fn add_root(&self, dir: &Path) {
        if let Ok(r) = Root::new(dir) {
            self.roots.borrow_mut().push(Arc::new(r));
        }
    }

    /// Lets module files under `dir` be imported as the script's project (or the current directory of
    /// code with no file: -e, the REPL), unless `dir` is `/` or the home directory: a project is never
    /// the whole machine or everything a user owns.
    pub fn add_project_root(&self, dir: &Path) {
        let Ok(c) = dir.canonicalize() else { return };
        let home = std::env::var_os("HOME").and_then(|h| Path::new(&h).canonicalize().ok());
        if c.parent().is_some() && Some(&c) != home.as_ref() {
            self.add_root(&c);
        }
    }

    /// What may serve the module file `requested` (absolute, normalised): the root or grant it lies
    /// beneath, its real path (`canon`) counting, not the string. A file that is missing counts as beneath a
    /// root when its path string is; anything else is denied in the same words whether it exists or not.
    fn may_import(&self, requested: &Path, canon: Option<&Path>) -> Result<Option<Access>, String> {
        let denied = || {
            format!(
                "import of '{}' denied: access denied (modules are read from the script's own directory and \
                 project, and from paths granted with --allow-host)",
                requested.display()
            )
        };
        let Some(canon) = canon else {
            let inside = self.roots.borrow().iter().any(|r| r.relative(requested).is_some());
            return if inside { Ok(None) } else { Err(denied()) };
        };
        let root = self
            .roots
            .borrow()
            .iter()
            .find_map(|r| r.relative(canon).map(|rel| Access { root: r.clone(), rel, canon: canon.to_path_buf() }));
        if let Some(a) = root {
            return Ok(Some(a));
        }
        let g = self.grants.lock().unwrap_or_else(|e| e.into_inner());
        g.check_access(canon, false, false).map(Some).map_err(|_| denied())
    }

    /// Registers `value` as a built-in module under each of `names`: its default export, and its own
    /// enumerable properties as named exports.
    pub fn register(&self, ctx: &mut Context, names: &[&str], value: JsValue) -> JsResult<()> {
        let mut exports: Vec<JsString> = vec![js_string!("default")];
        if let Some(o) = value.as_object() {
            for k in o.own_property_keys(ctx)? {
                if let boa_engine::property::PropertyKey::String(s) = &k {
                    if s.to_std_string_escaped() != "default" {
                        exports.push(s.clone());
                    }
                }
            }
        }
        let obj = value.as_object().unwrap_or_else(JsObject::with_null_proto);
        let names_for_init = exports.clone();
        let init = SyntheticModuleInitializer::from_copy_closure_with_captures(
            |m, (value, obj, names), ctx| {
                for n in names.iter() {
                    let v =
                        if n.to_std_string_escaped() == "default" { value.clone() } else { obj.get(n.clone(), ctx)? };
                    m.set_export(n, v)?;
                }
                Ok(())
            },
            (value, obj, names_for_init),
        );
        let module = Module::synthetic(&exports, init, None, None, ctx);
        let mut b = self.builtins.borrow_mut();
        for n in names {
            b.insert((*n).to_string(), module.clone());
        }
        Ok(())
    }

    /// The names of the built-in modules.
    pub fn builtin_names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.builtins.borrow().keys().cloned().collect();
        v.sort();
        v
    }

    /// Resolves `spec` imported from `referrer` (a file path) or from the base directory.
    pub fn resolve(&self, spec: &str, referrer: Option<&Path>) -> Result<PathBuf, String> {
        let spec = spec.strip_prefix("file://").unwrap_or(spec);
        if spec.starts_with('/') {
            return Ok(normalize(Path::new(spec)));
        }
        if spec.starts_with("./") || spec.starts_with("../") {
            let dir = match referrer.and_then(|r| r.parent()) {
                Some(d) => d.to_path_buf(),
                None => self.base.borrow().clone(),
            };
            return Ok(normalize(&dir.join(spec)));
        }
        Err(format!(
            "Cannot find module '{spec}' (built-in modules: {}, rumpjs:test, node:test, assert, assert/strict)",
            self.builtin_names().join(", ")
        ))
    }

    /// Builds `source` into the binary as the module at the virtual path `path`.
    pub fn embed(&self, path: impl Into<PathBuf>, source: &'static str) {
        self.embedded.borrow_mut().insert(path.into(), source);
    }

    /// Loads, links and evaluates the module at `path` (embedded or a file) and returns its namespace.
    pub fn import(&self, path: &Path, ctx: &mut Context) -> JsResult<JsObject> {
        let m = self.load_file(path, ctx)?;
        let p = m.load_link_evaluate(ctx);
        ctx.run_jobs()?;
        match p.state() {
            boa_engine::builtins::promise::PromiseState::Rejected(e) => Err(boa_engine::JsError::from_opaque(e)),
            _ => Ok(m.namespace(ctx)),
        }
    }

    /// Loads (parses and caches) the module file at `path`.
    pub fn load_file(&self, path: &Path, ctx: &mut Context) -> JsResult<Module> {
        let src = self.embedded.borrow().get(path).copied();
        if let Some(src) = src {
            if let Some(m) = self.files.borrow().get(path) {
                return Ok(m.clone());
            }
            let m = Module::parse(Source::from_bytes(src).with_path(path), None, ctx)?;
            self.files.borrow_mut().insert(path.to_path_buf(), m.clone());
            return Ok(m);
        }
        let denied = |m: String, ctx: &mut Context| {
            kernel_bindings::error::coded(ctx, boa_engine::JsNativeError::error(), "ERR_ACCESS_DENIED", m)
        };
        let requested = normalize(path);
        let canon = path.canonicalize();
        let access = self.may_import(&requested, canon.as_deref().ok()).map_err(|m| denied(m, ctx))?;
        let (Some(a), Ok(canon)) = (access, canon.as_ref()) else {
            let e = canon.err().map_or_else(String::new, |e| e.to_string());
            let m = format!("Cannot find module '{}': {e}", path.display());
            return Err(kernel_bindings::error::coded(
                ctx,
                boa_engine::JsNativeError::error(),
                "ERR_MODULE_NOT_FOUND",
                m,
            ));
        };
        if let Some(m) = self.files.borrow().get(canon) {
            return Ok(m.clone());
        }
        // Read through the descriptor of the grant, not by the path string (see hostdir).
        let text = a
            .open(libc::O_RDONLY)
            .and_then(|fd| {
                let mut b = Vec::new();
                std::io::Read::read_to_end(&mut std::fs::File::from(fd), &mut b).map(|_| b)
            })
            .map_err(|e| js_error!(Error: "{}: {}", canon.display(), e))?;
        let m = Module::parse(Source::from_bytes(&text).with_path(canon), None, ctx)?;
        self.files.borrow_mut().insert(canon.clone(), m.clone());
        Ok(m)
    }

    fn load(&self, referrer: &Referrer, spec: &str, ctx: &mut Context) -> JsResult<Module> {
        if let Some(m) = self.builtins.borrow().get(spec) {
            return Ok(m.clone());
        }
        if let Some(lib) = lib_alias(spec) {
            return self.load_file(&Path::new(LIB_DIR).join(lib), ctx);
        }
        let path = self.resolve(spec, referrer.path()).map_err(|m| js_error!(TypeError: "{}", m))?;
        self.load_file(&path, ctx)
    }
}

/// Module names answered by the libraries built into the binary (scripts/lib): the test API under
/// rumpjs's name and Node's, Node's assert, and the shell commands, inspector and formatters.
pub fn lib_alias(spec: &str) -> Option<&'static str> {
    Some(match spec {
        "rumpjs:test" | "node:test" | "test" => "test.js",
        "assert" | "node:assert" => "assert.js",
        "assert/strict" | "node:assert/strict" => "assert_strict.js",
        "rumpjs:commands" => "commands.js",
        "rumpjs:inspect" => "inspect.js",
        "rumpjs:format" => "format.js",
        _ => return None,
    })
}

impl ModuleLoader for Loader {
    fn load_imported_module(
        self: Rc<Self>,
        referrer: Referrer,
        request: boa_engine::module::ModuleRequest,
        context: &RefCell<&mut Context>,
    ) -> impl std::future::Future<Output = JsResult<Module>> {
        let spec = request.specifier().to_std_string_escaped();
        let r = self.load(&referrer, &spec, &mut context.borrow_mut());
        std::future::ready(r)
    }

    fn init_import_meta(self: Rc<Self>, import_meta: &JsObject, module: &Module, context: &mut Context) {
        if let Some(p) = module.path() {
            let url = format!("file://{}", p.display());
            let _ = import_meta.set(js_string!("url"), JsString::from(url.as_str()), false, context);
            let f = p.to_string_lossy().into_owned();
            let _ = import_meta.set(js_string!("filename"), JsString::from(f.as_str()), false, context);
            if let Some(d) = p.parent() {
                let d = d.to_string_lossy().into_owned();
                let _ = import_meta.set(js_string!("dirname"), JsString::from(d.as_str()), false, context);
            }
        }
    }
}
