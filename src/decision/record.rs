//! What a decision puts in the request's log record: the artifact, the
//! routing, or the rejection and its status.
//!
//! It lives here, above the record, because the record is a lower layer
//! than the decision and must not know it.

use std::borrow::Cow;

use crate::decision::{Decision, Reply};
use crate::telemetry::record::{
    clip, ArtifactFields, ErrorFields, LogRecord, MAX_FILE, MAX_OBJECT, MAX_VERSION,
};

impl<'r> LogRecord<'r> {
    /// Fills in what the decision says: the artifact, the routing, or the
    /// rejection and its status.
    pub fn decided(&mut self, decision: &'r Decision) {
        match decision {
            Decision::Reply(reply) => {
                self.response.status = reply.status();
                if let Reply::Rejected(rejection) = reply {
                    self.error = Some(ErrorFields {
                        kind: "rejected",
                        reason: rejection.code().to_owned(),
                    });
                }
            }
            Decision::Fetch(fetch) => {
                let c = &fetch.classification;
                let v = c.version.as_ref();
                self.artifact = ArtifactFields {
                    class: Some(c.class.as_str()),
                    version: c.version_text().map(|t| clip(t, MAX_VERSION)),
                    major: v.map(|v| v.major),
                    minor: v.map(|v| v.minor),
                    patch: v.map(|v| v.patch),
                    pre_release: v
                        .and_then(|v| v.pre_release.as_deref().map(|p| clip(p, MAX_VERSION))),
                    build: v.and_then(|v| v.build.as_deref().map(|b| clip(b, MAX_VERSION))),
                    os: c.os,
                    arch: c.arch,
                    file: Some(clip(&c.file, MAX_FILE)),
                };
                self.routing.bucket = Some(Cow::Borrowed(&fetch.target.bucket));
                self.routing.object = Some(clip(&fetch.target.object, MAX_OBJECT));
            }
        }
    }
}

#[cfg(test)]
mod tests;
