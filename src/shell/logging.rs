//! The request's log record and the service log, written through the
//! platform's named log endpoints.

use std::io::Write;

use dl_edge::config::{Config, ConfigWarning, LogSettings};
use dl_edge::locality::Locality;
use dl_edge::policy::overrides::Applied;
use dl_edge::primitives::utc::rfc3339_millis;
use dl_edge::telemetry::endpoint::{lines, sampled, LogEndpoint, ServiceLogLine};
use dl_edge::telemetry::privacy::IpMode;
use dl_edge::telemetry::record::{LogRecord, ServiceFields};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use dl_edge::policy::response::PLAIN_TEXT_ERROR;
use fastly::log::Endpoint;

use super::client::ClientRequest;
use super::delivery::Delivered;
use super::secrets;
use super::shielding::Placement;

/// The record of one request, and where it will be written.
pub struct RequestLog {
    pub record: LogRecord,
    settings: LogSettings,
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
        client: &ClientRequest,
        config: &Config,
        warnings: &[ConfigWarning],
        store_problems: &[String],
    ) -> RequestLog {
        let settings = config.logging.clone();
        let salt = match settings.client_ip {
            IpMode::Hashed => secrets::bytes(secrets::LOG_IP_SALT),
            _ => None,
        };
        let service = ServiceFields {
            pop: fastly::compute_runtime::pop().to_owned(),
            version: fastly::compute_runtime::service_version().to_string(),
        };
        let mut record =
            LogRecord::begin(&client.meta(), settings.client_ip, salt.as_deref(), service);
        record.host_among(&config.hosts);
        report_panics_to(
            settings.service_endpoint.clone(),
            record
                .request
                .host
                .clone()
                .unwrap_or_else(|| "unknown".to_owned()),
            record.time.start_epoch_ms,
            record.request.id.clone(),
        );
        record.config_warnings = (warnings.len() + store_problems.len()) as u32;
        let repeats_warnings = sampled(&record.request.id, settings.warning_sample_rate);
        let log = RequestLog {
            record,
            settings,
            repeats_warnings,
        };
        log.checkpoint();
        let messages = warnings.iter().map(ToString::to_string);
        log.warn_sampled("config", messages.chain(store_problems.iter().cloned()));
        if log.settings.client_ip == IpMode::Hashed && salt.is_none() {
            log.service(
                "warn",
                "logging",
                "log_client_ip is hashed but the salt is missing; IPs are truncated",
            );
        }
        log
    }

    /// Records locality and the shield hop, and reports the hop's problems.
    pub fn located(&mut self, locality: &Locality, placement: &Placement) {
        self.record.located(locality);
        self.record.shielded(
            placement.role,
            placement.shield.clone(),
            placement.rule.clone(),
        );
        self.warn_sampled("shield", placement.warnings.iter());
    }

    /// After shields gave no answer: the shield that finally answered
    /// (none when the origin did), and why the others were passed over (on
    /// the service log, sampled: a shield that is down meets every
    /// request).
    pub fn shields_failed(&mut self, answered: Option<&str>, failures: &[String]) {
        if failures.is_empty() {
            return;
        }
        self.record.routing.shield = answered.map(str::to_owned);
        self.warn_sampled("shield", failures.iter());
    }

    /// What was odd about the origin's answer, on the service log for the
    /// sampled share of requests.
    pub fn origin_warnings(&self, warnings: &[String]) {
        self.warn_sampled("origin", warnings.iter());
    }

    /// Records the bucket that answered and, after a failover, why the
    /// earlier ones were passed over (on the service log, sampled).
    pub fn served_by(&mut self, bucket: &str, failures: &[String]) {
        if !bucket.is_empty() {
            self.record.routing.bucket = Some(bucket.to_owned());
        }
        self.record.routing.failover = !failures.is_empty();
        self.warn_sampled(
            "origin",
            failures.iter().map(|f| format!("failed over: {f}")),
        );
    }

    /// Names the overrides in force on the record, and says on the service
    /// log (sampled) which are in force and which expired.
    pub fn overrides(&mut self, applied: Applied) {
        self.record.overrides = applied.active;
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

    pub fn origin_failed(&mut self, reason: &str) {
        self.record.origin_failed(reason);
        self.service("error", "origin", reason);
    }

    /// Keeps a copy of the record as it stands for the panic hook, which
    /// writes it if the service panics before [`RequestLog::finish`].
    pub fn checkpoint(&self) {
        if let Ok(mut last) = LAST_WORDS.lock() {
            *last = Some(LastWords {
                record: self.record.clone(),
                endpoints: self.settings.endpoints.clone(),
                at_shield: self.settings.at_shield,
            });
        }
    }

    /// Closes the record and writes one line to each endpoint that selects
    /// it, each with a single write call (every write is one line).
    // Its own stack frame: see `shell` on stack depth.
    #[inline(never)]
    pub fn finish(mut self, client: &ClientRequest, delivered: Delivered) {
        LINE_WRITTEN.store(true, Ordering::SeqCst);
        let elapsed = client.started.elapsed().as_nanos() as u64;
        self.record.finished(
            delivered.bytes,
            elapsed,
            delivered
                .cut
                .as_ref()
                .map(|(cut, why)| (*cut, why.as_str())),
        );
        if self.record.routing.role == "shield" && !self.settings.at_shield {
            return;
        }
        let mut written = 0;
        for (name, line) in lines(&self.settings.endpoints, &self.record) {
            match Endpoint::try_from_name(name) {
                Ok(mut endpoint) => {
                    let _ = endpoint.write_all(line.as_bytes());
                    written += 1;
                }
                Err(e) => self.service("warn", "logging", &format!("log endpoint {name}: {e}")),
            }
        }
        let selected = self
            .settings
            .endpoints
            .iter()
            .any(|e| e.selects(&self.record));
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
        write_service_line(
            &self.settings.service_endpoint,
            self.record.request.host.as_deref().unwrap_or("unknown"),
            self.record.time.start_epoch_ms,
            &self.record.request.id,
            level,
            kind,
            message,
        );
    }
}

/// One line on the service log endpoint, in its format, with one write.
fn write_service_line(
    endpoint: &LogEndpoint,
    host: &str,
    epoch_ms: i64,
    request_id: &str,
    level: &'static str,
    kind: &'static str,
    message: &str,
) {
    let time = rfc3339_millis(epoch_ms);
    let line = ServiceLogLine {
        time: &time,
        level,
        kind,
        message,
        request_id,
    }
    .to_line(endpoint, host, epoch_ms);
    if let Ok(mut out) = Endpoint::try_from_name(&endpoint.name) {
        let _ = out.write_all(line.as_bytes());
    }
}

/// What the panic hook needs to keep "exactly one line per request":
/// the record as far as the request got, and where lines go.
struct LastWords {
    record: LogRecord,
    endpoints: Vec<LogEndpoint>,
    at_shield: bool,
}

static LAST_WORDS: Mutex<Option<LastWords>> = Mutex::new(None);
/// The request's line went out: the panic hook must not write another.
static LINE_WRITTEN: AtomicBool = AtomicBool::new(false);

/// If the service panics, the instance ends without the rest of the
/// request's handling. The hook still says so on the service log (a
/// line like any other, not raw text an HEC endpoint would refuse),
/// answers the client with a short 502 if nothing was sent yet (never a
/// backtrace), and writes the request's line with `error.kind =
/// internal` if none was written.
fn report_panics_to(endpoint: LogEndpoint, host: String, epoch_ms: i64, request_id: String) {
    std::panic::set_hook(Box::new(move |info| {
        let message = dl_edge::telemetry::record::clip(&info.to_string(), 2048);
        write_service_line(
            &endpoint,
            &host,
            epoch_ms,
            &request_id,
            "error",
            "panic",
            &message,
        );
        let answered = !super::delivery::RESPONSE_SENT.swap(true, Ordering::SeqCst);
        if answered {
            let body = "bad gateway: the service failed on this request\n";
            let mut response = fastly::Response::from_status(502);
            for (name, value) in PLAIN_TEXT_ERROR {
                response.set_header(name, value);
            }
            response.set_header("content-length", body.len().to_string());
            response.set_body(body);
            response.send_to_client();
        }
        if LINE_WRITTEN.swap(true, Ordering::SeqCst) {
            return;
        }
        let Some(last) = LAST_WORDS.lock().ok().and_then(|mut l| l.take()) else {
            return;
        };
        let mut record = last.record;
        if answered {
            record.response.status = 502;
        }
        record.panicked(&message);
        if record.routing.role == "shield" && !last.at_shield {
            return;
        }
        for (name, line) in lines(&last.endpoints, &record) {
            if let Ok(mut out) = Endpoint::try_from_name(name) {
                let _ = out.write_all(line.as_bytes());
            }
        }
    }));
}
