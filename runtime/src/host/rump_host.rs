//! `rump.host`: copies between granted host paths and the kernel, and the list of grants.

use super::grants::Grants;
use boa_engine::object::builtins::JsArray;
use boa_engine::{js_string, Context, JsError, JsNativeError, JsObject, JsResult, JsString, JsValue};
use kernel_bindings::args::{arg, opt, opt_bool, options, path, string};
use kernel_bindings::define;
use kernel_bindings::error::{coded, errno_error};
use std::path::Path;
use std::sync::{Arc, Mutex};

kernel_bindings::ops! {
    /// `rump.host.*`: copying between granted host paths and the kernel.
    pub static HOST;
    "copyIn", 2, copy_in, "copyIn(hostPath, kernelPath, {progress}) → {files, dirs, links, bytes}  (recursive; keeps hard links, holes, times)";
    "copyOut", 2, copy_out, "copyOut(kernelPath, hostPath, {progress}) → {files, dirs, links, bytes}  (recursive; keeps hard links, holes, times)";
    "grants", 0, grants, "grants() → host paths granted with --allow-host";
}

/// Host state the `rump.host` functions reach.
pub struct HostData {
    pub grants: Arc<Mutex<Grants>>,
}

fn data(ctx: &Context) -> JsResult<Arc<Mutex<Grants>>> {
    ctx.get_data::<HostData>()
        .map(|d| d.grants.clone())
        .ok_or_else(|| JsNativeError::error().with_message("no host").into())
}

/// Installs `rump.host` on the `rump` object.
pub fn install(ctx: &mut Context, rump: &JsObject, grants: Arc<Mutex<Grants>>) {
    ctx.insert_data(HostData { grants });
    let host = kernel_bindings::table(ctx, HOST);
    define(rump, "host", host.into());
}

fn denied(ctx: &mut Context, msg: String, p: &str) -> JsError {
    let e = coded(ctx, JsNativeError::error(), "ERR_ACCESS_DENIED", msg);
    if let Some(o) = e.as_opaque().and_then(|v| v.as_object()) {
        let _ = o.create_data_property_or_throw(js_string!("path"), JsString::from(p), ctx);
    }
    e
}

/// The result of a copy: `{files, dirs, links, bytes}` (links: symbolic links), and, not enumerated (so
/// JSON shows the four), `hardLinks`, `specials` (fifos and devices made) and `skipped` (messages).
fn stats_to_js(ctx: &mut Context, s: &kernel_bindings::copy::Stats) -> JsValue {
    use boa_engine::property::PropertyDescriptor;
    let v = kernel_bindings::convert::plain(
        ctx,
        vec![
            ("files", JsValue::from(s.files as f64)),
            ("dirs", JsValue::from(s.dirs as f64)),
            ("links", JsValue::from(s.symlinks as f64)),
            ("bytes", JsValue::from(s.bytes as f64)),
        ],
    );
    let skipped: Vec<JsValue> = s.skipped.iter().map(|m| JsString::from(m.as_str()).into()).collect();
    let skipped: JsValue = JsArray::from_iter(skipped, ctx).into();
    if let Some(o) = v.as_object() {
        for (k, val) in [
            ("hardLinks", JsValue::from(s.hardlinks as f64)),
            ("specials", JsValue::from(s.specials as f64)),
            ("skipped", skipped),
        ] {
            let d = PropertyDescriptor::builder().value(val).writable(true).enumerable(false).configurable(true);
            let _ = o.define_property_or_throw(JsString::from(k), d, ctx);
        }
    }
    v
}

fn progress_opt(ctx: &mut Context, a: &[JsValue]) -> JsResult<Option<bool>> {
    let o = options(ctx, &arg(a, 2), "options")?;
    if opt(ctx, &o, "progress")?.is_undefined() {
        Ok(None)
    } else {
        opt_bool(ctx, &o, "progress", false).map(Some)
    }
}

/// Says on stderr what a copy left out (sockets; devices without the privilege to make them).
fn report_skipped(s: &kernel_bindings::copy::Stats) {
    for m in &s.skipped {
        crate::host::output::line(crate::host::output::Stream::Stderr, &format!("rumpjs: skipped {m}"));
    }
}

fn copy_in(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    copy_tree(a, ctx, true)
}

fn copy_out(_: &JsValue, a: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    copy_tree(a, ctx, false)
}

/// copyIn(hostPath, kernelPath, options) or copyOut(kernelPath, hostPath, options): the host path checked
/// against the grants (reading the host needs only a read-only grant), then one tree copy.
fn copy_tree(a: &[JsValue], ctx: &mut Context, into_kernel: bool) -> JsResult<JsValue> {
    let h = kernel_bindings::host(ctx)?;
    let (hp, kp) = if into_kernel {
        let hp = string(ctx, &arg(a, 0), "hostPath")?;
        (hp, path(ctx, &arg(a, 1), "kernelPath")?)
    } else {
        let kp = path(ctx, &arg(a, 0), "kernelPath")?;
        (string(ctx, &arg(a, 1), "hostPath")?, kp)
    };
    let asked = progress_opt(ctx, a)?;
    let grants = data(ctx)?;
    let (host, preserve) = {
        let g = grants.lock().unwrap_or_else(|e| e.into_inner());
        (g.check_access(Path::new(&hp), false, !into_kernel), g.preserve_all)
    };
    let host = host.map_err(|m| denied(ctx, m, &hp))?;
    let s = if into_kernel {
        crate::host::copy::copy_in(&h.proc, &host, &kp.bytes, asked)
    } else {
        crate::host::copy::copy_out(&h.proc, &kp.bytes, &host, preserve, asked)
    };
    let s = s.map_err(|e| errno_error(ctx, e.errno, e.call, Some(&e.path), None))?;
    report_skipped(&s);
    Ok(stats_to_js(ctx, &s))
}

fn grants(_: &JsValue, _a: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let g = data(ctx)?;
    let list: Vec<JsValue> = g
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .granted()
        .iter()
        .map(|p| JsString::from(p.to_string_lossy().as_ref()).into())
        .collect();
    Ok(JsArray::from_iter(list, ctx).into())
}
