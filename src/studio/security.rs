//! Who may talk to the studio. It runs on a shared machine and a browser
//! visits other sites at the same time, so every request must
//!
//! - name this server as its `Host` (`127.0.0.1:PORT` or `localhost:PORT`):
//!   a page of another site that rebinds its name to 127.0.0.1 is refused;
//! - carry this start's token: `?token=` once (it becomes a cookie, and the
//!   address bar loses it), then the cookie — none: 401, a wrong one: 403;
//! - when it changes something (POST): come from this origin (`Origin`,
//!   else `Referer`) and repeat the token in `X-Warmly-Token`, which another
//!   site's form cannot set.

use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// What every request is checked against: this start's token and port.
pub struct Gate {
    /// The secret of this start; every request carries it.
    pub token: String,
    /// The port on 127.0.0.1, once bound.
    pub port: OnceLock<u16>,
}

impl Gate {
    /// A gate with a fresh random token of 32 hex digits from the
    /// operating system.
    pub fn new() -> crate::error::Result<Gate> {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).map_err(|e| {
            crate::error::Error::config(format!("no random numbers for the studio's token: {e}"))
        })?;
        Ok(Gate {
            token: bytes.iter().map(|b| format!("{b:02x}")).collect(),
            port: OnceLock::new(),
        })
    }
}

/// The cookie's name carries the port: cookies do not tell ports apart,
/// and two studios may run side by side.
pub fn cookie_name(port: u16) -> String {
    format!("warmly_studio_{port}")
}

/// The middleware in front of every route.
pub async fn guard(State(gate): State<Arc<Gate>>, request: Request, next: Next) -> Response {
    let port = gate.port.get().copied().unwrap_or(0);
    let headers = request.headers();
    if !host_allowed(headers, port) {
        return refuse(
            StatusCode::FORBIDDEN,
            "this address is not the studio's (Host must be 127.0.0.1 or localhost with its port)",
        );
    }
    let from_query = query_token(request.uri().query());
    let from_cookie = cookie_token(headers, port);
    let given = from_query.clone().or(from_cookie.clone());
    match given {
        None => {
            return refuse(
                StatusCode::UNAUTHORIZED,
                "open the studio with the address it printed (it carries the token)",
            )
        }
        Some(t) if !same(&t, &gate.token) => {
            return refuse(
                StatusCode::FORBIDDEN,
                "wrong token: the studio was started again? open the address it printed last",
            )
        }
        Some(_) => {}
    }
    let changes = !matches!(*request.method(), Method::GET | Method::HEAD);
    if changes {
        let header_token = headers
            .get("x-warmly-token")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !same(header_token, &gate.token) || !same_origin(headers, port) {
            return refuse(
                StatusCode::FORBIDDEN,
                "a change must come from the studio's own page",
            );
        }
    }
    // The token in the address becomes a cookie, and the address drops it.
    if from_query.is_some() && *request.method() == Method::GET {
        let path = request.uri().path().to_string();
        let mut response = Response::builder()
            .status(StatusCode::SEE_OTHER)
            .header(header::LOCATION, path)
            .body(Body::empty())
            .expect("a valid redirect");
        let cookie = format!(
            "{}={}; Path=/; HttpOnly; SameSite=Strict",
            cookie_name(port),
            gate.token
        );
        response.headers_mut().insert(
            header::SET_COOKIE,
            HeaderValue::from_str(&cookie).expect("hex token"),
        );
        return harden(response);
    }
    harden(next.run(request).await)
}

/// Headers on every answer: nothing from other hosts, no framing, no
/// sniffing, no referrer to elsewhere.
fn harden(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; \
             font-src 'self'; connect-src 'self'; frame-src 'self'; frame-ancestors 'none'; \
             base-uri 'none'; form-action 'self'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static("SAMEORIGIN"),
    );
    response
}

fn refuse(status: StatusCode, why: &'static str) -> Response {
    harden((status, why).into_response())
}

/// `Host` is this server by its address or by `localhost`, with its port.
pub fn host_allowed(headers: &HeaderMap, port: u16) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let host = host.to_ascii_lowercase();
    host == format!("127.0.0.1:{port}") || host == format!("localhost:{port}")
}

/// `Origin` (or, without it, `Referer`) is this server.
pub fn same_origin(headers: &HeaderMap, port: u16) -> bool {
    let ours = [
        format!("http://127.0.0.1:{port}"),
        format!("http://localhost:{port}"),
    ];
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|h| h.to_str().ok()) {
        return ours.iter().any(|o| origin.eq_ignore_ascii_case(o));
    }
    match headers.get(header::REFERER).and_then(|h| h.to_str().ok()) {
        Some(referer) => ours
            .iter()
            .any(|o| referer.starts_with(&format!("{o}/")) || referer == o),
        None => false,
    }
}

fn query_token(query: Option<&str>) -> Option<String> {
    query?
        .split('&')
        .find_map(|pair| pair.strip_prefix("token="))
        .map(str::to_string)
}

fn cookie_token(headers: &HeaderMap, port: u16) -> Option<String> {
    let name = cookie_name(port);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            (k == name).then(|| v.to_string())
        })
}

/// Compares without stopping at the first difference (the time a
/// comparison takes says nothing about the token).
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn only_this_servers_names_are_hosts() {
        assert!(host_allowed(&headers(&[("host", "127.0.0.1:8750")]), 8750));
        assert!(host_allowed(&headers(&[("host", "LOCALHOST:8750")]), 8750));
        assert!(!host_allowed(&headers(&[("host", "127.0.0.1:8751")]), 8750));
        assert!(!host_allowed(
            &headers(&[("host", "evil.example:8750")]),
            8750
        ));
        assert!(!host_allowed(&headers(&[]), 8750));
    }

    #[test]
    fn changes_come_from_this_origin() {
        assert!(same_origin(
            &headers(&[("origin", "http://127.0.0.1:9")]),
            9
        ));
        assert!(!same_origin(
            &headers(&[("origin", "http://127.0.0.1:90")]),
            9
        ));
        assert!(!same_origin(&headers(&[("origin", "null")]), 9));
        assert!(same_origin(
            &headers(&[("referer", "http://localhost:9/x")]),
            9
        ));
        assert!(!same_origin(
            &headers(&[("referer", "http://localhost:90/")]),
            9
        ));
        assert!(!same_origin(&headers(&[]), 9));
    }

    #[test]
    fn tokens_come_from_query_or_cookie() {
        assert_eq!(query_token(Some("a=1&token=abc")), Some("abc".into()));
        let h = headers(&[("cookie", "x=1; warmly_studio_9=t0k")]);
        assert_eq!(cookie_token(&h, 9), Some("t0k".into()));
        assert_eq!(cookie_token(&h, 10), None);
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("ab", "abc"));
    }
}
