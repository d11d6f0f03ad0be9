//! The URL corpus, `tests/fixtures/urls.tsv`: one real public path a row,
//! with the bucket and object it is fetched from, its cache class and its
//! release surrogate key. The only Rust parser of that file; the shell
//! scripts read it with `cut`.

/// One row of `tests/fixtures/urls.tsv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UrlRow {
    /// The public request path, e.g. `/release/v1.31.0/bin/linux/amd64/kubectl`.
    pub path: &'static str,
    pub bucket: &'static str,
    pub object: &'static str,
    /// `immutable`, `marker` or `mutable`.
    pub class: &'static str,
    /// The release surrogate key; `None` where the file says `-`.
    pub release: Option<&'static str>,
}

/// The file, compiled in so that no test depends on its working directory.
const TSV: &str = include_str!("../../tests/fixtures/urls.tsv");

/// Every row, in file order; comment and blank lines skipped.
///
/// # Panics
///
/// On a row without exactly five tab-separated columns.
pub fn url_rows() -> Vec<UrlRow> {
    TSV.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|line| {
            let cols: Vec<&'static str> = line.split('\t').collect();
            let [path, bucket, object, class, release] = cols[..] else {
                panic!("bad row in tests/fixtures/urls.tsv (five columns expected): {line:?}");
            };
            UrlRow {
                path,
                bucket,
                object,
                class,
                release: (release != "-").then_some(release),
            }
        })
        .collect()
}

/// The public paths of every row, in file order.
pub fn paths() -> Vec<&'static str> {
    url_rows().into_iter().map(|r| r.path).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_parses_and_names_a_known_class() {
        let rows = url_rows();
        assert!(rows.len() > 80, "{} rows", rows.len());
        for row in rows {
            assert!(row.path.starts_with('/'), "{row:?}");
            assert!(
                matches!(row.class, "immutable" | "marker" | "mutable"),
                "{row:?}"
            );
        }
    }
}
