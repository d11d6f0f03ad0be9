//! The Splunk app (`splunk/dl_edge/`) against the log schema and its own
//! rules: every field a search names is a record field, every search
//! starts from one of the app's macros (client requests counted once,
//! the index in one place), every `BY` field is filled before `stats` or
//! `timechart` drops the events where it is null, and the dashboard shows
//! the saved searches rather than copies of them.

use std::path::Path;

fn read(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

/// `(stanza name, search)` for every saved search.
fn saved_searches() -> Vec<(String, String)> {
    let text = read("splunk/dl_edge/default/savedsearches.conf");
    let mut searches = Vec::new();
    let mut name = None;
    for line in text.lines() {
        if let Some(stanza) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            name = Some(stanza.to_owned());
        } else if let Some(search) = line.strip_prefix("search = ") {
            searches.push((
                name.clone().expect("a search inside a stanza"),
                search.to_owned(),
            ));
        }
    }
    assert!(searches.len() >= 8, "the app's searches: {searches:?}");
    searches
}

/// The dashboard's JSON definition, from its view's CDATA.
fn dashboard() -> serde_json::Value {
    let xml = read("splunk/dl_edge/default/data/ui/views/dl_edge_overview.xml");
    let start = xml.find("<![CDATA[").expect("a CDATA definition") + 9;
    let end = xml.find("]]>").expect("the CDATA's end");
    serde_json::from_str(&xml[start..end]).expect("the definition is JSON")
}

#[test]
fn searches_name_only_schema_fields() {
    let schema: serde_json::Value =
        serde_json::from_str(&read("docs/log-record.schema.json")).unwrap();
    let groups = [
        "time", "request", "client", "artifact", "routing", "response", "service", "error",
    ];
    let mut checked = 0;
    for (name, search) in saved_searches() {
        let words = search.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'));
        for word in words {
            let Some((group, field)) = word.split_once('.') else {
                continue;
            };
            if !groups.contains(&group) || field.is_empty() || field.contains('.') {
                continue;
            }
            assert!(
                schema["properties"][group]["properties"]
                    .get(field)
                    .is_some(),
                "{name}: {word} is not in the log schema"
            );
            checked += 1;
        }
    }
    assert!(checked > 10, "the searches name record fields");
}

/// Every search starts from a macro; the request macro selects client
/// lines only.
#[test]
fn every_search_starts_from_a_macro() {
    for (name, search) in saved_searches() {
        assert!(
            [
                "`dl_edge_requests`",
                "`dl_edge_shield_hops`",
                "`dl_edge_service`"
            ]
            .iter()
            .any(|m| search.starts_with(m)),
            "{name} does not start from the app's macros: {search}"
        );
        assert!(
            !search.contains("sourcetype="),
            "{name} names a sourcetype itself"
        );
    }
    let macros = read("splunk/dl_edge/default/macros.conf");
    let requests = macros
        .split("[dl_edge_requests]")
        .nth(1)
        .and_then(|rest| rest.lines().find(|l| l.starts_with("definition")))
        .expect("the dl_edge_requests macro");
    assert!(requests.contains("routing.role=edge"), "{requests}");
    assert!(requests.contains("`dl_edge_index`"), "{requests}");
}

/// `stats … BY a b` drops every event in which a or b is null: each BY
/// field is filled by a `fillnull` earlier in the search.
#[test]
fn every_by_field_is_filled_first() {
    let mut checked = 0;
    for (name, search) in saved_searches() {
        for (i, part) in search.split('|').enumerate() {
            let part = part.trim();
            let Some((_, by)) = part.split_once(" BY ") else {
                continue;
            };
            let filled: Vec<&str> = search
                .split('|')
                .take(i)
                .filter_map(|p| p.trim().strip_prefix("fillnull"))
                .flat_map(|p| p.split_whitespace().filter(|w| !w.starts_with("value=")))
                .collect();
            for field in by.split_whitespace() {
                assert!(
                    filled.contains(&field),
                    "{name}: BY {field} is not filled first"
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 10, "BY fields checked: {checked}");
}

/// The dashboard refers to the saved searches by name, so a fix to a
/// search is a fix to the dashboard too.
#[test]
fn the_dashboard_shows_the_saved_searches() {
    let names: Vec<String> = saved_searches().into_iter().map(|(n, _)| n).collect();
    let dashboard = dashboard();
    let sources = dashboard["dataSources"].as_object().expect("data sources");
    assert!(sources.len() >= 7);
    for (id, source) in sources {
        assert_eq!(source["type"], "ds.savedSearch", "{id} copies a search");
        let reference = source["options"]["ref"].as_str().unwrap_or("");
        assert!(
            names.iter().any(|n| n == reference),
            "{id}: no saved search {reference:?}"
        );
    }
    for (id, viz) in dashboard["visualizations"]
        .as_object()
        .expect("visualizations")
    {
        let primary = viz["dataSources"]["primary"].as_str().unwrap_or("");
        assert!(sources.contains_key(primary), "{id} shows {primary:?}");
    }
}
