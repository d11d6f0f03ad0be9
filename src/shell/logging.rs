//! The request's log record and the service log, written through the
//! platform's named log endpoints.

use std::borrow::Cow;
use std::io::Write;

use dl_edge::config::{Config, ConfigWarning};
use dl_edge::locality::Locality;
use dl_edge::policy::overrides::Applied;
use dl_edge::telemetry::endpoint::{lines, sampled, LogEndpoint, ServiceLogLine};
use dl_edge::telemetry::privacy::IpMode;
use dl_edge::telemetry::record::{LogRecord, ServiceFields};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use fastly::log::{Endpoint, LogError};

use super::client::ClientRequest;
use super::delivery::Delivered;
use super::environment;
use super::secrets;
use super::shielding::Placement;

/// The record of one request, and where it will be written.
///
/// The record itself is kept in a [`Slot`] shared with the panic hook,
/// which can take it: a panic writes the record as far as the request
/// got, and no copy of it is made along the way.
pub struct RequestLog {
    service: Arc<ServiceLog>,
    slot: Arc<Slot>,
    /// Whether this request is one of the sample that repeats warnings
    /// every request would meet (config, shield, failover, overrides).
    repeats_warnings: bool,
}

impl RequestLog {
    /// Starts the record, routes panics to the service log, and repeats
    /// config warnings there for a sample of requests.
    // Its own stack frame: see `shell` on stack depth.
    #[inline(never)]
    pub fn begin(
        client: &'static ClientRequest,
        config: &'static Config,
        warnings: &[ConfigWarning],
        store_problems: &[String],
    ) -> RequestLog {
        let settings = &config.logging;
        let salt = match settings.client_ip {
            IpMode::Hashed => secrets::bytes(secrets::LOG_IP_SALT),
            _ => None,
        };
        let (pop, version) = environment::pop_and_version();
        let service_fields = ServiceFields { pop, version };
        let mut record = LogRecord::begin(
            &client.meta(),
            settings.client_ip,
            salt.as_deref(),
            service_fields,
        );
        record.host_among(&config.hosts);
        record.config_warnings = (warnings.len() + store_problems.len()) as u32;
        let service = Arc::new(ServiceLog {
            endpoint: &settings.service_endpoint,
            host: record
                .request
                .host
                .clone()
                .unwrap_or(Cow::Borrowed("unknown")),
            epoch_ms: record.time.start_epoch_ms,
            request_id: record.request.id.clone(),
        });
        let repeats_warnings = sampled(&record.request.id, settings.warning_sample_rate);
        let slot = Arc::new(Slot {
            line: Mutex::new(Some(Line {
                record,
                endpoints: &settings.endpoints,
                at_shield: settings.at_shield,
            })),
            written: AtomicBool::new(false),
        });
        report_panics_to(Arc::clone(&service), Arc::clone(&slot));
        let log = RequestLog {
            service,
            slot,
            repeats_warnings,
        };
        let messages = warnings.iter().map(ToString::to_string);
        log.warn_sampled("config", messages.chain(store_problems.iter().cloned()));
        if settings.client_ip == IpMode::Hashed && salt.is_none() {
            log.service(
                "warn",
                "logging",
                "log_client_ip is hashed but the salt is missing; IPs are truncated",
            );
        }
        log
    }

    /// Changes the record. Nothing in `change` may panic or write: a
    /// panic while it runs would find the record in use, and the hook
    /// could not write the request's line.
    pub fn update(&self, change: impl FnOnce(&mut LogRecord<'static>)) {
        if let Some(line) = self.slot.lock().as_mut() {
            change(&mut line.record);
        }
    }

    /// Records locality and the shield hop, and reports the hop's problems.
    pub fn located(&self, locality: &Locality, placement: &Placement) {
        self.update(|record| {
            record.located(locality);
            record.shielded(
                placement.role,
                placement.shield.clone(),
                placement.rule.clone(),
            );
        });
        self.warn_sampled("shield", placement.warnings.iter());
    }

    /// After shields gave no answer: the shield that finally answered
    /// (none when the origin did), and why the others were passed over (on
    /// the service log, sampled: a shield that is down meets every
    /// request).
    pub fn shields_failed(&self, answered: Option<&str>, failures: &[String]) {
        if failures.is_empty() {
            return;
        }
        self.update(|record| record.routing.shield = answered.map(str::to_owned));
        self.warn_sampled("shield", failures.iter());
    }

    /// What was odd about the origin's answer, on the service log for the
    /// sampled share of requests.
    pub fn origin_warnings(&self, warnings: &[String]) {
        self.warn_sampled("origin", warnings.iter());
    }

    /// Records the bucket that answered and, after a failover, why the
    /// earlier ones were passed over (on the service log, sampled).
    pub fn served_by(&self, bucket: &'static str, failures: &[String]) {
        self.update(|record| {
            if !bucket.is_empty() {
                record.routing.bucket = Some(Cow::Borrowed(bucket));
            }
            record.routing.failover = !failures.is_empty();
        });
        self.warn_sampled(
            "origin",
            failures.iter().map(|f| format!("failed over: {f}")),
        );
    }

    /// Names the overrides in force on the record, and says on the service
    /// log (sampled) which are in force and which expired.
    pub fn overrides(&self, applied: Applied) {
        self.update(|record| record.overrides = applied.active);
        self.warn_sampled("override", applied.notices.iter());
    }

    /// Warnings that every request meets while their cause lasts, written
    /// for the sampled share of requests only (`warning_sample_rate`).
    fn warn_sampled(&self, kind: &'static str, messages: impl Iterator<Item = impl AsRef<str>>) {
        if self.repeats_warnings {
            for message in messages {
                self.warn(kind, message.as_ref());
            }
        }
    }

    /// A warning on the service log.
    pub fn warn(&self, kind: &'static str, message: &str) {
        self.service("warn", kind, message);
    }

    pub fn origin_failed(&self, reason: &str) {
        self.update(|record| record.origin_failed(reason));
        self.service("error", "origin", reason);
    }

    /// Closes the record and writes one line to each endpoint that selects
    /// it, each with a single write call (every write is one line).
    // Its own stack frame: see `shell` on stack depth.
    #[inline(never)]
    pub fn finish(self, client: &ClientRequest, delivered: Delivered) {
        self.slot.written.store(true, Ordering::SeqCst);
        let Some(mut line) = self.slot.lock().take() else {
            return;
        };
        let elapsed = client.started.elapsed().as_nanos() as u64;
        line.record.finished(
            delivered.bytes,
            elapsed,
            delivered
                .cut
                .as_ref()
                .map(|(cut, why)| (*cut, why.as_str())),
        );
        let Some((written, unopened)) = line.write() else {
            return;
        };
        for (name, e) in unopened {
            self.service("warn", "logging", &format!("log endpoint {name}: {e}"));
        }
        let selected = line.endpoints.iter().any(|e| e.selects(&line.record));
        if selected && written == 0 {
            self.service(
                "error",
                "logging",
                "no configured log endpoint accepted the request line",
            );
        }
    }

    /// One JSON line on the service log endpoint.
    fn service(&self, level: &'static str, kind: &'static str, message: &str) {
        self.service.write(level, kind, message);
    }
}

/// Where the service's own lines go, and the request they are about.
struct ServiceLog {
    endpoint: &'static LogEndpoint,
    host: Cow<'static, str>,
    epoch_ms: i64,
    request_id: Cow<'static, str>,
}

impl ServiceLog {
    /// One line on the service log endpoint, in its format, with one write.
    fn write(&self, level: &'static str, kind: &'static str, message: &str) {
        let line = ServiceLogLine {
            level,
            kind,
            message,
            request_id: &self.request_id,
        }
        .to_line(self.endpoint, &self.host, self.epoch_ms);
        if let Ok(mut out) = Endpoint::try_from_name(&self.endpoint.name) {
            let _ = out.write_all(line.as_bytes());
        }
    }
}

/// The request's record and where its line goes.
struct Line {
    record: LogRecord<'static>,
    endpoints: &'static [LogEndpoint],
    at_shield: bool,
}

impl Line {
    /// Writes the line to each endpoint that selects it, one write call
    /// each (every write is one line): how many took it, and the ones that
    /// could not be opened. `None` for a shield's line when shields do not
    /// log.
    fn write(&self) -> Option<(usize, Vec<(&str, LogError)>)> {
        if self.record.routing.role == "shield" && !self.at_shield {
            return None;
        }
        let mut written = 0;
        let mut unopened = Vec::new();
        for (name, text) in lines(self.endpoints, &self.record) {
            match Endpoint::try_from_name(name) {
                Ok(mut endpoint) => {
                    let _ = endpoint.write_all(text.as_bytes());
                    written += 1;
                }
                Err(e) => unopened.push((name, e)),
            }
        }
        Some((written, unopened))
    }
}

/// The request's line until it is written, by [`RequestLog::finish`] or
/// by the panic hook, whichever comes first.
///
/// On the heap, not in a static: a static's page is read before it is
/// written (the lock is checked first), and a page of the instance first
/// mapped for reading costs a copy and a TLB flush across the host's
/// threads when it is then written. Heap pages are written first. As a
/// static, this alone cost about 34 µs per request whenever the layout
/// put it on a page of its own (docs/performance.md).
struct Slot {
    line: Mutex<Option<Line>>,
    /// The request's line went out: the panic hook must not write another.
    written: AtomicBool,
}

impl Slot {
    fn lock(&self) -> MutexGuard<'_, Option<Line>> {
        self.line.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// If the service panics, the instance ends without the rest of the
/// request's handling. The hook still says so on the service log (a
/// line like any other, not raw text an HEC endpoint would refuse),
/// answers the client with a short 502 if nothing was sent yet (never a
/// backtrace), and writes the request's line with `error.kind =
/// internal` if none was written.
fn report_panics_to(service: Arc<ServiceLog>, slot: Arc<Slot>) {
    std::panic::set_hook(Box::new(move |info| {
        let message = info.to_string();
        let message = dl_edge::telemetry::record::clip(&message, 2048);
        service.write("error", "panic", &message);
        let answered = !super::delivery::RESPONSE_SENT.swap(true, Ordering::SeqCst);
        if answered {
            let body = "bad gateway: the service failed on this request\n";
            super::delivery::deliver(super::origin::edge_error(502, body), false);
        }
        if slot.written.swap(true, Ordering::SeqCst) {
            return;
        }
        // Held only while a record update runs (`RequestLog::update`).
        let Some(mut line) = slot.line.try_lock().ok().and_then(|mut l| l.take()) else {
            return;
        };
        if answered {
            line.record.response.status = 502;
        }
        line.record.panicked(&message);
        line.write();
    }));
}
