//! Who may talk to `rumpjs serve`, in both modes: a request must name this server in its Host header
//! (which stops DNS rebinding) and carry the token printed at start. The token comes in the
//! `X-Rumpjs-Token` header (any method), as `?token=` (GET and HEAD only, so a form on another site cannot
//! post even with a leaked token), or — for the page whose kernel runs in the browser, whose module
//! imports, Worker and image reads cannot carry a query — in the cookie the page itself is answered with
//! (`HttpOnly`, `SameSite=Strict`: another site's pages never send it). Compared in constant time.

use super::http::{Request, Response};
use std::net::{IpAddr, SocketAddr};

/// Which Host headers name this server.
pub(super) struct HostCheck {
    pub(super) ip: IpAddr,
    pub(super) port: u16,
}

impl HostCheck {
    pub(super) fn allows(&self, host: &str) -> bool {
        let h = host.trim().to_ascii_lowercase();
        if let Some(p) = h.strip_prefix("localhost:") {
            return (self.ip.is_loopback() || self.ip.is_unspecified()) && p == self.port.to_string();
        }
        match h.parse::<SocketAddr>() {
            Ok(a) => {
                a.port() == self.port
                    && (self.ip.is_unspecified() || a.ip() == self.ip || self.ip.is_loopback() && a.ip().is_loopback())
            }
            Err(_) => false,
        }
    }
}

/// Constant-time comparison (the time taken does not tell how much of a guess was right).
pub(super) fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let d = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | std::hint::black_box(x ^ y));
    std::hint::black_box(d) == 0
}

/// The token and the addresses that name the server; `cookie` when the token may come as a cookie.
pub(super) struct Guard {
    pub(super) token: String,
    pub(super) hosts: HostCheck,
    pub(super) cookie: bool,
}

impl Guard {
    /// The cookie's name: one per port, as cookies are not told apart by port and two servers on one
    /// machine must not overwrite each other's.
    fn cookie_name(&self) -> String {
        format!("rumpjs-token-{}", self.hosts.port)
    }

    /// `Set-Cookie` for an answer to a request that carried the token in its query (the page's URL).
    pub(super) fn set_cookie(&self, req: &Request) -> Option<String> {
        let from_query = req.param("token").is_some_and(|t| same(t, self.token.as_bytes()));
        (self.cookie && from_query)
            .then(|| format!("{}={}; Path=/; HttpOnly; SameSite=Strict", self.cookie_name(), self.token))
    }

    fn cookie_token<'a>(&self, req: &'a Request) -> Option<&'a [u8]> {
        let name = self.cookie_name();
        req.headers
            .iter()
            .filter(|(k, _)| k == "cookie")
            .flat_map(|(_, v)| v.split(';'))
            .filter_map(|c| c.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_bytes())
    }

    /// Ok when `req` names this server and carries the token; else why not, for a 403.
    pub(super) fn check(&self, req: &Request) -> Result<(), String> {
        match req.header("host") {
            Some(h) if self.hosts.allows(h) => {}
            h => {
                return Err(format!(
                    "rumpjs serve: the Host header {} does not name this server ({}:{}); requests for other names are \
                     refused (DNS-rebinding protection). Open the URL rumpjs serve printed.",
                    h.map_or("(missing)".to_string(), |h| format!("'{h}'")),
                    self.hosts.ip,
                    self.hosts.port
                ))
            }
        }
        let get = req.method == "GET" || req.method == "HEAD";
        let given = match req.header("x-rumpjs-token") {
            Some(t) => Some(t.as_bytes()),
            None if get => req.param("token").or_else(|| if self.cookie { self.cookie_token(req) } else { None }),
            None => None,
        };
        if given.is_some_and(|t| same(t, self.token.as_bytes())) {
            return Ok(());
        }
        Err(if req.method == "POST" {
            "rumpjs serve: this request has no valid token: POST requests carry it in the X-Rumpjs-Token header"
        } else {
            "rumpjs serve: this request has no valid token. Open the URL that rumpjs serve printed at start \
             (it ends with ?token=…)"
        }
        .to_string())
    }
}

/// The headers every answer carries: no type sniffing, no Referer (the token is in the URL), nothing
/// cached, no framing by other pages.
pub(super) fn harden(r: Response) -> Response {
    r.header("X-Content-Type-Options", "nosniff")
        .header("Referrer-Policy", "no-referrer")
        .header("Cache-Control", "no-store")
        .header("X-Frame-Options", "DENY")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_check() {
        let h = HostCheck { ip: "127.0.0.1".parse().unwrap(), port: 8080 };
        assert!(h.allows("127.0.0.1:8080"));
        assert!(h.allows("localhost:8080"));
        assert!(h.allows("LOCALHOST:8080"));
        assert!(h.allows("[::1]:8080"));
        assert!(!h.allows("127.0.0.1:8081"));
        assert!(!h.allows("127.0.0.1"));
        assert!(!h.allows("evil.example:8080"));
        assert!(!h.allows("localhost.evil.example:8080"));
        assert!(!h.allows("192.168.1.2:8080"));
        let any = HostCheck { ip: "0.0.0.0".parse().unwrap(), port: 80 };
        assert!(any.allows("10.1.2.3:80"));
        assert!(any.allows("localhost:80"));
        assert!(!any.allows("rebind.example:80"));
        let one = HostCheck { ip: "10.0.0.5".parse().unwrap(), port: 80 };
        assert!(one.allows("10.0.0.5:80"));
        assert!(!one.allows("localhost:80"));
        assert!(!one.allows("10.0.0.6:80"));
    }

    fn req(method: &str, query: &[(&str, &str)], headers: &[(&str, &str)]) -> Request {
        let mut h: Vec<(String, String)> = vec![("host".into(), "127.0.0.1:8080".into())];
        h.extend(headers.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        Request {
            method: method.into(),
            path: "/".into(),
            query: query.iter().map(|(k, v)| (k.to_string(), v.as_bytes().to_vec())).collect(),
            headers: h,
            body: vec![],
        }
    }

    #[test]
    fn the_token_comes_in_the_header_the_query_or_the_cookie() {
        let hosts = || HostCheck { ip: "127.0.0.1".parse().unwrap(), port: 8080 };
        let g = Guard { token: "abc".into(), hosts: hosts(), cookie: true };
        assert!(g.check(&req("GET", &[], &[])).is_err());
        assert!(g.check(&req("GET", &[("token", "abc")], &[])).is_ok());
        assert!(g.check(&req("GET", &[("token", "abd")], &[])).is_err());
        assert!(g.check(&req("POST", &[("token", "abc")], &[])).is_err());
        assert!(g.check(&req("POST", &[], &[("x-rumpjs-token", "abc")])).is_ok());
        let cookie = [("cookie", "a=b; rumpjs-token-8080=abc")];
        assert!(g.check(&req("GET", &[], &cookie)).is_ok());
        assert!(g.check(&req("POST", &[], &cookie)).is_err());
        assert!(g.check(&req("GET", &[], &[("cookie", "rumpjs-token-8081=abc")])).is_err());
        assert!(g.check(&req("GET", &[], &[("cookie", "rumpjs-token-8080=abcd")])).is_err());
        assert!(g.set_cookie(&req("GET", &[("token", "abc")], &[])).unwrap().contains("HttpOnly; SameSite=Strict"));
        assert!(g.set_cookie(&req("GET", &[], &cookie)).is_none());
        // The server-kernel page takes no cookie.
        let old = Guard { token: "abc".into(), hosts: hosts(), cookie: false };
        assert!(old.check(&req("GET", &[], &cookie)).is_err());
        assert!(old.set_cookie(&req("GET", &[("token", "abc")], &[])).is_none());
        let mut wrong_host = req("GET", &[("token", "abc")], &[]);
        wrong_host.headers[0].1 = "evil.example:8080".into();
        assert!(g.check(&wrong_host).unwrap_err().contains("DNS-rebinding"));
    }
}
