//! The decision for one request: fetch an object, or answer at the edge.
//!
//! This is the whole request-handling policy as a pure function, in the
//! order of docs/request-handling.md. The shell executes what it returns.

use crate::artifact::classify::{classify, Classification};
use crate::config::Config;
use crate::origin::route::{self, OriginRequest, Target};
use crate::policy::cache::{self, RequestKeys};
use crate::policy::response::{ALLOW, ALWAYS, PLAIN_TEXT_ERROR, PREFLIGHT};
use crate::request::path::{self, PublicPath};
use crate::request::range::{self, RangeRequest};
use crate::request::rejection::Rejection;

/// What the shell knows about the client request, before any decision.
#[derive(Debug, Clone, Copy)]
pub struct RequestView<'a> {
    pub method: &'a str,
    pub host: Option<&'a str>,
    /// The request target exactly as received: path, query and all.
    pub target: &'a str,
    pub range: Option<&'a str>,
    /// Total size of the header names and values.
    pub header_bytes: usize,
    /// A header that must come once and came more than once (`host`,
    /// `range`): which one is taken would be a guess.
    pub repeated: Option<&'a str>,
}

/// What to do with a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Fetch(Box<Fetch>),
    Reply(Reply),
}

/// Fetch an object from the origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetch {
    pub head: bool,
    pub public: PublicPath,
    pub target: Target,
    pub classification: Classification,
    pub origin: OriginRequest,
    pub range: RangeRequest,
}

impl Fetch {
    /// Surrogate keys known from the request; the object's own keys join
    /// them once the response is known.
    pub fn request_keys(&self) -> RequestKeys<'_> {
        let class = &self.classification;
        cache::request_keys(class.class, class.release.as_deref(), &self.target.path)
    }
}

/// Answer at the edge, without an origin fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    /// 204 to a CORS preflight.
    Preflight,
    /// A 4xx with a short plain-text reason.
    Rejected(Rejection),
}

impl Reply {
    pub fn status(self) -> u16 {
        match self {
            Reply::Preflight => 204,
            Reply::Rejected(r) => r.status(),
        }
    }

    /// The body: empty for a preflight, the reason and a newline otherwise.
    pub fn body(self) -> String {
        match self {
            Reply::Preflight => String::new(),
            Reply::Rejected(r) => format!("{}\n", r.reason()),
        }
    }

    pub fn headers(self) -> Vec<(&'static str, &'static str)> {
        match self {
            Reply::Preflight => [ALWAYS.as_slice(), &PREFLIGHT].concat(),
            Reply::Rejected(rejection) => {
                let mut headers = PLAIN_TEXT_ERROR.to_vec();
                if rejection == Rejection::MethodNotAllowed {
                    headers.push(("allow", ALLOW));
                }
                headers
            }
        }
    }
}

/// Decides what to do with a request; see docs/request-handling.md.
pub fn decide(view: &RequestView<'_>, config: &Config) -> Decision {
    match fetch(view, config) {
        Ok(fetch) => Decision::Fetch(Box::new(fetch)),
        Err(reply) => Decision::Reply(reply),
    }
}

fn fetch(view: &RequestView<'_>, config: &Config) -> Result<Fetch, Reply> {
    let reject = Reply::Rejected;
    if view.header_bytes > config.max_header_bytes {
        return Err(reject(Rejection::HeadersTooLarge));
    }
    if view.repeated.is_some() {
        return Err(reject(Rejection::RepeatedHeader));
    }
    let host = view
        .host
        .filter(|h| !h.is_empty())
        .ok_or(reject(Rejection::MissingHost))?;
    let hostname = crate::request::host::hostname(host).ok_or(reject(Rejection::BadHost))?;
    if !config.serves_host(hostname) {
        return Err(reject(Rejection::UnknownHost));
    }
    let head = match view.method {
        "GET" => false,
        "HEAD" => true,
        "OPTIONS" => return Err(Reply::Preflight),
        _ => return Err(reject(Rejection::MethodNotAllowed)),
    };
    let public = path::parse(view.target, config.max_path_bytes).map_err(reject)?;
    let target = route::resolve(&public.path, config).map_err(reject)?;
    let range = range::check(view.range).map_err(reject)?;
    let classification = classify(&target.path);
    let origin = route::origin_request(&target, config);
    Ok(Fetch {
        head,
        public,
        target,
        classification,
        origin,
        range,
    })
}

mod record;

#[cfg(test)]
mod tests;
