//! A campaign file as text that can be edited and written back without
//! destroying it: the user's comments, blank lines and order stay where
//! they were (toml_edit), only the values set change. The studio edits
//! settings this way; `warmly new` writes a fresh, commented file with it.

use std::path::{Path, PathBuf};

use toml_edit::{DocumentMut, Item, Table, Value};

use crate::error::{Error, Result};

/// A campaign file, parsed for editing.
pub struct CampaignDocument {
    path: PathBuf,
    doc: DocumentMut,
}

impl CampaignDocument {
    /// Reads the campaign at `path`; it must be a valid campaign.
    pub fn open(path: &Path) -> Result<CampaignDocument> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        CampaignDocument::parse(path, &text)
    }

    /// A campaign from its text (`path` names it in errors and for `save`).
    pub fn parse(path: &Path, text: &str) -> Result<CampaignDocument> {
        super::campaign::parse(path, text)?;
        let doc = text
            .parse::<DocumentMut>()
            .map_err(|e| Error::config(format!("{}: {}", path.display(), e.message().trim())))?;
        Ok(CampaignDocument {
            path: path.to_path_buf(),
            doc,
        })
    }

    /// The text as it would be written.
    pub fn text(&self) -> String {
        self.doc.to_string()
    }

    /// A value as text (`["theme"], "motif"`), if set and not a table.
    pub fn get(&self, tables: &[&str], key: &str) -> Option<String> {
        let mut item = self.doc.as_item();
        for name in tables {
            item = item.get(name)?;
        }
        match item.get(key)?.as_value()? {
            Value::String(s) => Some(s.value().clone()),
            other => Some(other.to_string().trim().to_string()),
        }
    }

    /// Sets `key` in the table `tables` (made when missing, at the end) to
    /// `value`; a key that is there keeps its place and its comments.
    pub fn set(&mut self, tables: &[&str], key: &str, value: impl Into<Value>) {
        let table = self.table_mut(tables);
        let mut value: Value = value.into();
        match table.get_mut(key).and_then(Item::as_value_mut) {
            Some(old) => {
                // Keep the comment after the value and the space before it.
                *value.decor_mut() = old.decor().clone();
                *old = value;
            }
            None => {
                table.insert(key, Item::Value(value));
            }
        }
    }

    /// Removes `key` from the table `tables`; true when it was there.
    pub fn remove(&mut self, tables: &[&str], key: &str) -> bool {
        let mut item = self.doc.as_item_mut();
        for name in tables {
            match item.get_mut(name) {
                Some(next) => item = next,
                None => return false,
            }
        }
        item.as_table_like_mut()
            .is_some_and(|t| t.remove(key).is_some())
    }

    fn table_mut(&mut self, tables: &[&str]) -> &mut Table {
        let mut table = self.doc.as_table_mut();
        for name in tables {
            let item = table.entry(name).or_insert_with(|| {
                let mut t = Table::new();
                t.set_implicit(false);
                Item::Table(t)
            });
            if !item.is_table() {
                *item = Item::Table(Table::new());
            }
            table = item.as_table_mut().expect("made a table above");
        }
        table
    }

    /// Writes the file back (atomically) after checking that it is still
    /// a valid campaign; nothing is written otherwise.
    pub fn save(&self) -> Result<()> {
        let text = self.text();
        super::campaign::parse(&self.path, &text)?;
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| Error::config(format!("{}: not a file", self.path.display())))?;
        crate::write::write_atomic(dir, &name, text.as_bytes())
            .map(|_| ())
            .map_err(|e| Error::io(&self.path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "# My campaign\nname = \"x\"   # the name\n\n[theme]\n\
                        # the colours\nprimary = \"#112233\" # dark\n";

    #[test]
    fn a_changed_value_keeps_every_comment_and_the_order() {
        let mut doc = CampaignDocument::parse(Path::new("c.toml"), TEXT).unwrap();
        assert_eq!(doc.text(), TEXT);
        doc.set(&["theme"], "primary", "#445566");
        doc.set(&["theme"], "motif", "botanical");
        doc.set(&["policy"], "repeat", "allow");
        assert_eq!(
            doc.text(),
            "# My campaign\nname = \"x\"   # the name\n\n[theme]\n# the colours\n\
             primary = \"#445566\" # dark\nmotif = \"botanical\"\n\n[policy]\nrepeat = \"allow\"\n"
        );
        assert_eq!(doc.get(&["theme"], "motif").as_deref(), Some("botanical"));
        assert!(doc.remove(&["theme"], "motif"));
        assert!(!doc.remove(&["nothing"], "motif"));
    }

    #[test]
    fn an_invalid_result_is_not_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, TEXT).unwrap();
        let mut doc = CampaignDocument::open(&path).unwrap();
        doc.set(&["policy"], "repeat", "sometimes");
        let e = doc.save().unwrap_err().to_string();
        assert!(e.contains("policy.repeat = \"sometimes\""), "{e}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), TEXT);
    }
}
