//! The shared test corpus: tests/fixtures/urls.tsv.

/// One row of tests/fixtures/urls.tsv.
pub struct UrlRow<'a> {
    pub path: &'a str,
    pub bucket: &'a str,
    pub object: &'a str,
    pub class: &'a str,
    pub release: Option<&'a str>,
}

pub fn url_rows() -> Vec<UrlRow<'static>> {
    include_str!("../tests/fixtures/urls.tsv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            assert_eq!(cols.len(), 5, "bad fixture row {line:?}");
            UrlRow {
                path: cols[0],
                bucket: cols[1],
                object: cols[2],
                class: cols[3],
                release: (cols[4] != "-").then_some(cols[4]),
            }
        })
        .collect()
}
