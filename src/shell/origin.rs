//! Fetches the object, from GCS or through a shield POP, and turns the
//! answer into the client's response with the core's cache policy and
//! header rules applied.

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dl_edge::config::{CacheSettings, Config};
use dl_edge::decision::Fetch;
use dl_edge::origin::route::{self, AttemptResult, OriginRequest};
use dl_edge::origin::sigv4::{self, Credentials};
use dl_edge::policy::cache::{self, CachePolicy, EdgeCache};
use dl_edge::policy::response::{
    self, Body as planned, OriginHead, ServedObject, PLAIN_TEXT_ERROR,
};
use dl_edge::primitives::words;
use dl_edge::request::range::RangeRequest;
use fastly::handle::{BodyHandle, RequestHandle};
use fastly::http::request::SendErrorCause;
use fastly::http::HeaderValue;
use fastly::http::Method;
use fastly::{Backend, Request, Response};

use super::answer::{Answer, AnswerBody};
use super::client::ClientRequest;
use super::headers;
use super::outgoing::{self, Received};
use super::secrets;
use super::shielding::{Hop, SHIELD_HEADER};
use dl_edge::primitives::headers::Headers;

/// The response for a fetch decision, ready to send, and what the log
/// needs to know about how it was made.
pub struct Fetched<'f> {
    pub response: Answer,
    /// The origin's (or shield's) answer `response` was made from, to be
    /// dropped only once the client's has gone: dropping it completes the
    /// stale-while-revalidate refresh `fastly` starts on a stale hit, which
    /// must not hold the client up.
    pub origin: Option<Box<Response>>,
    /// The edge TTL chosen for the origin's answer; `None` if not stored.
    pub ttl: Option<u32>,
    /// Why the origin could not answer, if it could not.
    pub origin_error: Option<String>,
    /// `hit`, `miss`, or `pass` (sent without the cache, as under Viceroy).
    pub cache_state: Option<&'static str>,
    /// What was odd about the answer, for the service log (sampled).
    pub warnings: Vec<String>,
    /// The answer was a range of another version than the client's
    /// (`If-Range` failed): fetch the whole object instead.
    pub refetch_whole: bool,
    /// The shield that answered, if one did.
    pub shield: Option<String>,
    /// Shields that gave no answer before another candidate or the origin
    /// did, with why (for the service log, sampled).
    pub shield_failures: Vec<String>,
    /// The bucket that answered (or was tried last): the fetch's own, or
    /// one of its alternates.
    pub bucket: &'f str,
    /// Why earlier buckets were passed over, when any were.
    pub failures: Vec<String>,
}

/// Fetches the object for a fetch decision, through the shield if `hop`
/// names one. A shield that gives no answer passes the request to the
/// next candidate, and after the last to the origin.
///
/// `to_edge` says this instance is a shield answering an edge, which
/// counts its TTL from the answer's `Age`.
// Its own stack frame: see `shell` on stack depth.
#[inline(never)]
pub fn fetch<'f>(
    client: &ClientRequest,
    fetch: &'f Fetch,
    config: &Config,
    hop: Hop,
    to_edge: bool,
) -> Fetched<'f> {
    let mut hop = hop;
    let mut shield_failures = Vec::new();
    let http_cache = client.offers_http_cache();
    let mut fetched = loop {
        match hop {
            Hop::Origin => break fetch_from_origin(client, fetch, config, to_edge, http_cache),
            Hop::Shield(shield) => {
                let header = shield.header();
                // `send` goes without the cache hook where the platform
                // has no HTTP cache API (Viceroy), so any error left means
                // the shield gave no answer.
                let sent = shield_request(fetch, config, &header).and_then(|request| {
                    send(
                        request,
                        &shield.backend,
                        fetch,
                        &config.cache,
                        Source::Shield,
                        http_cache,
                    )
                });
                match sent {
                    Ok(sent) => {
                        let mut fetched =
                            finish(sent, client, fetch, config, Source::Shield, to_edge);
                        fetched.shield = Some(shield.code.clone());
                        break fetched;
                    }
                    Err(e) => {
                        shield_failures.push(format!(
                            "shield {} gave no answer ({e}); trying the next candidate",
                            shield.code,
                        ));
                        let (next, _) = shield.next(&mut shield_failures);
                        hop = next;
                    }
                }
            }
        }
    };
    fetched.shield_failures = shield_failures;
    fetched
}

/// Where an answer came from: a shield's answer is already a cached copy
/// of some age, and carries the object's purge keys in `surrogate-key`
/// (the shield strips GCS's `x-goog-meta-surrogate-key`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Origin,
    Shield,
}

impl Source {
    /// The header holding the object's own purge keys.
    fn object_keys_header(self) -> &'static str {
        match self {
            Source::Origin => "x-goog-meta-surrogate-key",
            Source::Shield => "surrogate-key",
        }
    }
}

/// The edge's cache lifetime for an answer: the policy's, counted from the
/// shield's `Age` when a shield answered.
fn lifetime(policy: &CachePolicy, source: Source, age: Option<&str>) -> EdgeCache {
    match (source, age.and_then(cache::parse_age)) {
        (Source::Shield, Some(age)) => cache::aged(policy.edge.clone(), age),
        _ => policy.edge.clone(),
    }
}

/// Fetches from the target's buckets in order: the first, then each
/// alternate the previous result allows (`route::try_next`: no answer or a
/// 5xx, or a 404 during a migration).
fn fetch_from_origin<'f>(
    client: &ClientRequest,
    fetch: &'f Fetch,
    config: &Config,
    to_edge: bool,
    http_cache: bool,
) -> Fetched<'f> {
    let target = &fetch.target;
    let mut bucket = target.bucket.as_str();
    // The decision already built the first bucket's request.
    let mut origin = Cow::Borrowed(&fetch.origin);
    let mut alternates = target.alternates.iter().peekable();
    let mut failures = Vec::new();
    loop {
        let attempt = attempt(bucket, &origin, fetch, config, http_cache);
        let result = match &attempt {
            Ok((received, _)) => AttemptResult::Status(received.status()),
            Err(_) => AttemptResult::Unreachable,
        };
        match alternates.next_if(|next| route::try_next(result, next)) {
            Some(next) => {
                failures.push(match &attempt {
                    Err(failure) => failure.reason.clone(),
                    Ok((received, _)) => {
                        format!("bucket {bucket} answered {}", received.status())
                    }
                });
                bucket = &next.bucket;
                origin = Cow::Owned(route::origin_request_for(bucket, &target.object, config));
            }
            None => {
                let why = |last: String| {
                    let mut all = failures.clone();
                    all.push(last);
                    all.join("; ")
                };
                let mut outcome = match attempt {
                    Ok(sent) => {
                        let status = sent.0.status();
                        let mut outcome =
                            finish(sent, client, fetch, config, Source::Origin, to_edge);
                        if status >= 500 {
                            outcome.origin_error =
                                Some(why(format!("bucket {bucket} answered {status}")));
                        }
                        outcome
                    }
                    Err(failure) => {
                        let mut outcome = failed(why(failure.reason));
                        if failure.credentials {
                            outcome.response = refused_credentials();
                        }
                        outcome
                    }
                };
                outcome.bucket = bucket;
                outcome.failures = failures;
                return outcome;
            }
        }
    }
}

/// Why one bucket gave no usable answer.
struct Failure {
    reason: String,
    /// The origin refused the service's signature: a misconfigured key.
    credentials: bool,
}

/// One origin request to one bucket, signed if the bucket is private.
/// The request is built fresh with only what the origin needs, so nothing
/// of the client's (Authorization, cookies, query) can reach it.
fn attempt(
    bucket: &str,
    origin: &OriginRequest,
    fetch: &Fetch,
    config: &Config,
    http_cache: bool,
) -> Result<(Received, &'static str), Failure> {
    let failure = |reason: String, credentials| Failure {
        reason,
        credentials,
    };
    let Ok(backend) = Backend::from_name(&origin.backend) else {
        return Err(failure(
            format!("no backend named {:?} for bucket {bucket}", origin.backend),
            false,
        ));
    };
    let signed = config.signed_buckets.iter().any(|b| b == bucket);
    let signature = if signed {
        match signature(bucket, origin, fetch) {
            Ok(headers) => Some(headers),
            Err(reason) => return Err(failure(reason, false)),
        }
    } else {
        None
    };
    let signature = signature
        .iter()
        .flatten()
        .map(|(name, value)| (*name, value.as_str()));
    let request = outgoing::request(
        &origin_method(fetch),
        &origin.host,
        &origin.path,
        range_header(fetch).into_iter().chain(signature),
    )
    .map_err(|why| failure(format!("bucket {bucket}: {why}"), false))?;
    let (received, cache_state) = send(
        request,
        &backend,
        fetch,
        &config.cache,
        Source::Origin,
        http_cache,
    )
    .map_err(|why| failure(format!("bucket {bucket} unreachable: {why}"), false))?;
    let status = received.status();
    if signed && (status == 401 || status == 403) {
        return Err(failure(
            format!("the origin refused the signed request for bucket {bucket} ({status}): check its HMAC keys"),
            true,
        ));
    }
    Ok((received, cache_state))
}

/// The headers that sign a private bucket's request, or why there are
/// none.
fn signature(
    bucket: &str,
    origin: &OriginRequest,
    fetch: &Fetch,
) -> Result<[(&'static str, String); 3], String> {
    let Some(credentials) = credentials(bucket) else {
        return Err(format!(
            "bucket {bucket} is signed but {} has no hmac.{bucket}.access_key and secret_key",
            secrets::STORE
        ));
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let method = origin_method(fetch);
    Ok(sigv4::gcs_object_headers(
        method.as_str(),
        &origin.host,
        &origin.path,
        now,
        &credentials,
    ))
}

/// The HMAC key pair of a signed bucket, from the Secret Store.
fn credentials(bucket: &str) -> Option<Credentials> {
    Some(Credentials {
        access_key: secrets::text(&secrets::hmac_key(bucket, "access_key"))?,
        secret_key: secrets::text(&secrets::hmac_key(bucket, "secret_key"))?,
    })
}

fn failed(reason: String) -> Fetched<'static> {
    Fetched {
        response: origin_unavailable(),
        origin: None,
        ttl: None,
        origin_error: Some(reason),
        cache_state: None,
        warnings: Vec::new(),
        refetch_whole: false,
        shield: None,
        shield_failures: Vec::new(),
        bucket: "",
        failures: Vec::new(),
    }
}

/// The client's response to an origin (or shield) answer, with the cache
/// policy its status calls for.
fn finish<'f>(
    (origin, cache_state): (Received, &'static str),
    client: &ClientRequest,
    fetch: &'f Fetch,
    config: &Config,
    source: Source,
    to_edge: bool,
) -> Fetched<'f> {
    let status = origin.status();
    let policy = cache::policy(fetch.classification.class, status, &config.cache);
    let (answer, held) = take_apart(origin, status, source);
    let ttl = match lifetime(&policy, source, answer.headers.str("age")) {
        EdgeCache::Store { ttl, .. } => Some(ttl),
        EdgeCache::DoNotStore => None,
    };
    let mut warnings = Vec::new();
    let response = client_response(
        answer,
        client,
        fetch,
        &policy,
        source,
        to_edge,
        &mut warnings,
    );
    Fetched {
        warnings,
        refetch_whole: response.is_none(),
        response: response.unwrap_or_else(|| Answer::new(200, AnswerBody::Empty)),
        origin: held,
        ttl,
        origin_error: None,
        cache_state: Some(cache_state),
        shield: None,
        shield_failures: Vec::new(),
        bucket: &fetch.target.bucket,
        failures: Vec::new(),
    }
}

/// The request a shield gets: the object named canonically (first
/// hostname, aliased path; see `route::shield_request`), the range, and
/// the token that makes the shield fetch from the origin instead of
/// choosing a shield again.
fn shield_request(fetch: &Fetch, config: &Config, header: &str) -> Result<RequestHandle, String> {
    let target = route::shield_request(&fetch.target, config);
    let headers = [(SHIELD_HEADER, header)]
        .into_iter()
        .chain(range_header(fetch));
    outgoing::request(&origin_method(fetch), &target.host, &target.path, headers)
}

/// The client's single range, as a backend request's `Range`.
fn range_header(fetch: &Fetch) -> Option<(&'static str, &str)> {
    match &fetch.range {
        RangeRequest::Single(range) => Some(("range", range.as_str())),
        _ => None,
    }
}

/// HEAD for a HEAD, GET for everything else the edge fetches.
fn origin_method(fetch: &Fetch) -> Method {
    if fetch.head {
        Method::HEAD
    } else {
        Method::GET
    }
}

/// Sends with an after-send hook that applies the cache policy once the
/// status is known (a TTL set before sending would also apply to a 404).
///
/// Where the platform offers no HTTP cache API (`http_cache` false, see
/// [`ClientRequest::offers_http_cache`]: Viceroy), it sends uncached (a
/// pass) at once. Should the hooked send be refused all the same
/// (`HttpCacheApiUnsupported`, before anything is sent), the request comes
/// back in the error and is sent uncached, not built again.
///
/// The hook runs only when the response comes from the origin, so whether
/// it ran tells a cache hit from a miss: the cache state the log reports.
/// `Err` says why no answer came.
#[inline(always)]
fn send(
    request: RequestHandle,
    backend: &Backend,
    fetch: &Fetch,
    settings: &CacheSettings,
    source: Source,
    http_cache: bool,
) -> Result<(Received, &'static str), String> {
    if !http_cache {
        return outgoing::send_uncached(request, backend).map(|r| (r, "pass"));
    }
    // The two sends are made one after the other, not one inside the
    // other: the deeper of them is then a frame shallower (stack depth,
    // see `shell`).
    match send_hooked(request, backend, fetch, settings, source) {
        Err(e) if matches!(e.root_cause(), SendErrorCause::HttpCacheApiUnsupported) => {
            let (request, _) = e.into_sent_req().into_handles();
            outgoing::send_uncached(request, backend).map(|r| (r, "pass"))
        }
        Err(e) => Err(format!("{:?}", e.root_cause())),
        Ok(sent) => Ok(sent),
    }
}

/// The send with the after-send hook (see [`send`]).
#[inline(never)]
fn send_hooked(
    request: RequestHandle,
    backend: &Backend,
    fetch: &Fetch,
    settings: &CacheSettings,
    source: Source,
) -> Result<(Received, &'static str), fastly::http::request::SendError> {
    let class = fetch.classification.class;
    let keys: Vec<String> = fetch
        .request_keys()
        .as_slice()
        .iter()
        .map(|&k| k.to_owned())
        .collect();
    let hook_settings = settings.clone();
    let fetched = Arc::new(AtomicBool::new(false));
    let hook_fetched = Arc::clone(&fetched);
    let hooked = Request::from_handles(request, None).with_after_send(move |candidate| {
        hook_fetched.store(true, Ordering::Relaxed);
        let status = candidate.get_status().as_u16();
        let text = |name: &str| candidate.get_header(name).and_then(|v| v.to_str().ok());
        let policy = cache::policy(class, status, &hook_settings);
        let edge = lifetime(&policy, source, text("age"));
        let object_keys = text(source.object_keys_header()).map(str::to_owned);
        match edge {
            EdgeCache::Store {
                ttl,
                stale_while_revalidate,
                stale_if_error,
            } => {
                candidate.set_cacheable();
                candidate.set_ttl(Duration::from_secs(ttl.into()));
                candidate
                    .set_stale_while_revalidate(Duration::from_secs(stale_while_revalidate.into()));
                candidate.set_stale_if_error(Duration::from_secs(stale_if_error.into()));
                let keys = cache::with_object_keys(&keys, object_keys.as_deref());
                candidate.set_surrogate_keys(keys.iter().map(String::as_str));
            }
            EdgeCache::DoNotStore => candidate.set_uncacheable(false),
        }
        Ok(())
    });
    // `send_async` + `wait` is `send`'s own guest-caching path, without
    // `send`'s Image Optimizer branch: that branch links serde, ryu and
    // form encoding, 54.6 KB of Wasm every request instantiates
    // (docs/performance.md). This request never carries optimizer options.
    let response = hooked.send_async(backend)?.wait()?;
    let state = if fetched.load(Ordering::Relaxed) {
        "miss"
    } else {
        "hit"
    };
    Ok((Received::of(response), state))
}

/// Takes the origin's answer apart: the headers the client's response may
/// get ([`response::kept`], `Age` among them) and the object's keys, and
/// its body.
///
/// They are read raw from its handle, one host call each into one buffer
/// (`fastly`'s header map reads each value into a 4 KiB buffer of its
/// own, a fresh page of the instance's memory). A stale hit is the
/// exception ([`Received::Stale`]): it is read through its header map and
/// handed back, to be dropped after delivery.
fn take_apart(
    origin: Received,
    status: u16,
    source: Source,
) -> (OriginAnswer, Option<Box<Response>>) {
    let names = origin_names(source);
    let (headers, body, held) = match origin {
        Received::Handles { response, body, .. } => {
            (headers::of_response(&response, &names), body, None)
        }
        Received::Stale(mut origin) => {
            let headers = Headers::copied(&names, |name| {
                origin
                    .get_header_all(name)
                    .map(HeaderValue::as_bytes)
                    .collect()
            });
            (headers, origin.take_body().into_handle(), Some(origin))
        }
    };
    let answer = OriginAnswer {
        status,
        names,
        headers,
        body,
    };
    (answer, held)
}

/// The origin headers read: those that may reach a client or an edge
/// ([`response::kept`]), then the object's purge keys.
fn origin_names(source: Source) -> [&'static str; response::KEPT_COUNT + 1] {
    let mut names = [""; response::KEPT_COUNT + 1];
    names[..response::KEPT_COUNT].copy_from_slice(response::kept(true));
    names[response::KEPT_COUNT] = source.object_keys_header();
    names
}

/// The origin's answer as [`take_apart`] read it.
struct OriginAnswer {
    status: u16,
    /// The header names read ([`origin_names`]), in the order read.
    names: [&'static str; response::KEPT_COUNT + 1],
    headers: Headers,
    body: BodyHandle,
}

/// Makes the client's answer from the origin's, as the core's response
/// plan says. `None` when the plan says the origin's (a range of another
/// version than the client's) cannot be used.
fn client_response(
    origin: OriginAnswer,
    client: &ClientRequest,
    fetch: &Fetch,
    policy: &CachePolicy,
    source: Source,
    to_edge: bool,
    warnings: &mut Vec<String>,
) -> Option<Answer> {
    // Leaked, as what lives as long as the request is (`shell`): the
    // values passed to the client are lent from it, not copied.
    let headers: &'static Headers = Box::leak(Box::new(origin.headers));
    // Every value read, in one pass; the names below are looked up in it
    // by their index in `names` (`kept(to_edge)` is a prefix of it).
    let names = origin.names;
    let values = headers.values_of(&names);
    let index = |name: &str| {
        names
            .iter()
            .position(|n| words::same(n.as_bytes(), name.as_bytes()))
    };
    let first = |name: &str| {
        let i = index(name)?;
        values.iter().find(|&&(n, _)| n == i)?.1
    };
    let mut sent = Vec::new();
    let mut unreadable = Vec::new();
    for (i, &name) in response::kept(to_edge).iter().enumerate() {
        let mut of_name = values.iter().filter(|&&(n, _)| n == i).peekable();
        if of_name.peek().is_some() {
            sent.push(name);
            // A value that is not text is treated as absent.
            if of_name.any(|(_, v)| v.is_none()) {
                unreadable.push(name);
            }
        }
    }
    if !unreadable.is_empty() {
        warnings.push(format!(
            "the origin sent {} with bytes that are not text; treated as absent",
            unreadable.join(", ")
        ));
    }
    let head = OriginHead {
        status: origin.status,
        sent,
        etag: first("etag"),
        last_modified: first("last-modified"),
        content_type: first("content-type"),
        object_keys: first(source.object_keys_header()),
        unreadable,
    };
    let request_keys = fetch.request_keys();
    let object = ServedObject {
        class: fetch.classification.class,
        file: &fetch.classification.file,
        request_keys: request_keys.as_slice(),
        ranged: matches!(fetch.range, RangeRequest::Single(_)),
        keep_age: to_edge,
    };
    let plan = response::plan(&head, &object, &client.conditions(), policy);
    let body = match plan.body {
        planned::Origin => AnswerBody::Fetched(origin.body),
        planned::Replace(text) => AnswerBody::Text(text.into()),
        planned::Empty => AnswerBody::Empty,
        planned::RefetchWhole => return None,
    };
    let mut answer = Answer::new(plan.status, body);
    for name in plan.pass {
        let i = index(name);
        for &(_, value) in values.iter().filter(|&&(n, _)| Some(n) == i) {
            if let Some(value) = value {
                answer.append(name, value);
            }
        }
    }
    for (name, value) in plan.set {
        answer.set(name, value);
    }
    Some(answer)
}

/// The origin could not be reached or did not answer.
fn origin_unavailable() -> Answer {
    edge_error(503, "origin unavailable, try again shortly\n")
}

/// A short plain-text error made at the edge, never cached.
pub fn edge_error(status: u16, body: &'static str) -> Answer {
    Answer::text(status, &PLAIN_TEXT_ERROR, body)
}

/// The client's answer when the origin refuses the service's credentials:
/// a server-side problem, so a 502, not the origin's 403.
fn refused_credentials() -> Answer {
    edge_error(
        502,
        "bad gateway: the origin refused the service's credentials\n",
    )
}
