//! Duplicate keys in a JSON text. serde_json, like the service, keeps the
//! last of two equal keys without a word, so a plan or a config file that
//! names a group twice loses the first silently; the checkers say so.

use std::collections::HashSet;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// The path of every key that appears a second time in its object, as
/// `groups.na-east` or `rules[2].name`, in the order met.
pub fn duplicate_keys(text: &str) -> Result<Vec<String>, serde_json::Error> {
    let mut found = Vec::new();
    let mut de = serde_json::Deserializer::from_str(text);
    Walk {
        path: String::new(),
        found: &mut found,
    }
    .deserialize(&mut de)?;
    de.end()?;
    Ok(found)
}

/// Walks one value, noting duplicate keys below `path`.
struct Walk<'a> {
    path: String,
    found: &'a mut Vec<String>,
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0;
        loop {
            let element = Walk {
                path: format!("{}[{i}]", self.path),
                found: &mut *self.found,
            };
            if seq.next_element_seed(element)?.is_none() {
                return Ok(());
            }
            i += 1;
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            let path = if self.path.is_empty() {
                key.clone()
            } else {
                format!("{}.{key}", self.path)
            };
            if !seen.insert(key) {
                self.found.push(path.clone());
            }
            map.next_value_seed(Walk {
                path,
                found: &mut *self.found,
            })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::duplicate_keys;

    #[test]
    fn finds_duplicates_at_any_depth_and_nothing_else() {
        let text = r#"{"groups": {"na-east": ["a"], "na-east": ["b"]},
                       "rules": [{"name": "x", "shields": [], "name": "y"}],
                       "default": [], "default": []}"#;
        assert_eq!(
            duplicate_keys(text).unwrap(),
            ["groups.na-east", "rules[0].name", "default"]
        );
        assert!(
            duplicate_keys(r#"{"a": {"b": 1}, "c": {"b": [1, {"b": 2}]}}"#)
                .unwrap()
                .is_empty()
        );
        assert!(duplicate_keys("{").is_err());
        assert!(duplicate_keys("{} x").is_err(), "trailing text");
    }
}
