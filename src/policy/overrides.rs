//! Applying the emergency overrides in force: they adjust the config the
//! decision sees, so the decision code knows nothing about them.
//!
//! Pure: the shell passes the time in.

use crate::config::overrides::Action;
use crate::config::values::sort_routes;
use crate::config::{Config, Route};
use crate::primitives::utc::format_utc;
use crate::shield::Plan;

/// What applying the overrides did, for the log.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Applied {
    /// Names of the overrides in force, for every log line.
    pub active: Vec<String>,
    /// Service-log messages: what is in force until when, what expired.
    pub notices: Vec<String>,
}

/// Adjusts `config` by every override still in force at `now`.
pub fn apply(config: &mut Config, now: i64) -> Applied {
    let mut applied = Applied::default();
    for o in config.overrides.clone() {
        if now >= o.expires {
            applied.notices.push(format!(
                "override {} expired at {}; ignored",
                o.name,
                format_utc(o.expires)
            ));
            continue;
        }
        applied.notices.push(format!(
            "override {} in force until {}",
            o.name,
            format_utc(o.expires)
        ));
        applied.active.push(o.name.clone());
        match &o.action {
            Action::ForceBucket { prefix, bucket } => force_bucket(config, prefix, bucket),
            Action::NoShield => {
                config.shield_plan = Plan::parse(r#"{"default":[],"unversioned":[]}"#)
                    .expect("an empty plan is valid")
                    .0;
            }
            Action::MaxTtl { seconds } => {
                let c = &mut config.cache;
                for ttl in [
                    &mut c.immutable_ttl,
                    &mut c.marker_ttl,
                    &mut c.mutable_ttl,
                    &mut c.not_found_ttl,
                ] {
                    *ttl = (*ttl).min(*seconds);
                }
            }
        }
    }
    applied
}

fn force_bucket(config: &mut Config, prefix: &str, bucket: &str) {
    match config.routes.iter_mut().find(|r| r.prefix == prefix) {
        Some(route) => {
            route.bucket = bucket.to_owned();
            route.new_bucket = None;
            route.fallback = None;
        }
        None => {
            config.routes.push(Route {
                prefix: prefix.to_owned(),
                bucket: bucket.to_owned(),
                strip_prefix: false,
                fallback: None,
                new_bucket: None,
                new_percent: 0,
            });
            sort_routes(&mut config.routes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::overrides::OverrideError;
    use crate::config::{ConfigWarning, ValueError};
    use std::collections::HashMap;

    const NOW: i64 = 1_795_257_906; // 2026-11-21T10:45:06Z

    fn config(overrides: &str) -> (Config, Vec<ConfigWarning>) {
        let map: HashMap<&str, &str> = [("overrides", overrides)].into();
        Config::load(&map)
    }

    #[test]
    fn an_override_in_the_past_changes_nothing() {
        let (mut c, _) =
            config(r#"[{"name":"old","kind":"no_shield","expires":"2026-11-20T00:00:00Z"}]"#);
        let before = c.clone();
        let applied = apply(&mut c, NOW);
        assert!(applied.active.is_empty());
        assert_eq!(
            applied.notices,
            ["override old expired at 2026-11-20T00:00:00Z; ignored"]
        );
        assert_eq!(c, before);
    }

    #[test]
    fn an_override_in_the_future_takes_effect() {
        let (mut c, warnings) = config(
            r#"[{"name":"eu","kind":"force_bucket","prefix":"/release/","bucket":"k8s-release-eu","expires":"2026-11-22T00:00:00Z"},
                {"name":"ttl","kind":"max_ttl","seconds":30,"expires":"2026-11-22T00:00:00Z"},
                {"name":"direct","kind":"no_shield","expires":"2026-11-22T00:00:00Z"}]"#,
        );
        assert!(warnings.is_empty(), "{warnings:?}");
        let applied = apply(&mut c, NOW);
        assert_eq!(applied.active, ["eu", "ttl", "direct"]);
        assert_eq!(
            c.route_for("/release/stable.txt").unwrap().bucket,
            "k8s-release-eu"
        );
        assert_eq!(
            c.route_for("/ci/latest.txt").unwrap().bucket,
            "k8s-release-dev",
            "other routes stay"
        );
        assert_eq!(c.cache.immutable_ttl, 30);
        assert_eq!(c.cache.not_found_ttl, 10, "already shorter");
        let choice = c.shield_plan.choose(
            &crate::artifact::classify::classify("/release/v1.31.0/kubernetes.tar.gz"),
            "/release/v1.31.0/kubernetes.tar.gz",
            crate::locality::RegionGroup::NaEast,
        );
        assert!(choice.candidates.is_empty());
    }

    #[test]
    fn an_override_without_a_valid_expiry_is_refused_with_a_warning() {
        let (c, warnings) = config(
            r#"[{"name":"forever","kind":"no_shield"},
                {"name":"vague","kind":"no_shield","expires":"next week"},
                {"name":"odd","kind":"teleport","expires":"2026-11-22T00:00:00Z"},
                {"name":"fine","kind":"no_shield","expires":"2026-11-22T00:00:00Z"}]"#,
        );
        assert_eq!(c.overrides.len(), 1, "only the valid one stands");
        let refused: Vec<(&str, &ValueError)> = warnings
            .iter()
            .map(|w| (w.value.as_str(), &w.reason))
            .collect();
        let refusal = |name: &str, error| ValueError::Override {
            name: name.to_owned(),
            error,
        };
        assert_eq!(
            refused,
            [
                ("forever", &refusal("forever", OverrideError::MissingExpiry)),
                (
                    "vague",
                    &refusal("vague", OverrideError::BadExpiry("next week".into()))
                ),
                (
                    "odd",
                    &refusal("odd", OverrideError::UnknownKind("teleport".into()))
                ),
            ]
        );
        assert!(warnings.iter().all(|w| !w.fell_back));
        assert_eq!(
            warnings[0].to_string(),
            "config key overrides = \"forever\": override forever: an expiry (\"expires\") is required; the override is refused"
        );
    }

    /// A `force_bucket` override is held to the rules routes are.
    #[test]
    fn a_force_bucket_override_names_what_a_route_could() {
        let (c, warnings) = config(
            r#"[{"name":"loose","kind":"force_bucket","prefix":"/release","bucket":"k8s-release-eu","expires":"2026-11-22T00:00:00Z"},
                {"name":"typo","kind":"force_bucket","prefix":"/release/","bucket":"K8S_Release","expires":"2026-11-22T00:00:00Z"}]"#,
        );
        assert!(c.overrides.is_empty());
        let errors: Vec<&ValueError> = warnings.iter().map(|w| &w.reason).collect();
        assert_eq!(
            errors,
            [
                &ValueError::Override {
                    name: "loose".into(),
                    error: OverrideError::RoutePrefix("/release".into())
                },
                &ValueError::Override {
                    name: "typo".into(),
                    error: OverrideError::NotBucket("K8S_Release".into())
                },
            ]
        );
    }
}
