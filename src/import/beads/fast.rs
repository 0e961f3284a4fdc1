//! The fast path of [`super::convert`]: one bd issue deserialized straight
//! into a [`Bead`], without a `serde_json::Value` tree in between (only
//! unknown fields become `Value`s, for `extra`).
//!
//! It accepts only what it can convert without a doubt: any type mismatch,
//! missing or invalid field gives `None`, and the caller takes the slow
//! path ([`super::convert`] on a `Value`), which decides and words the
//! error. So both paths give the same result for every input, and only the
//! common case has to be fast. `tests::same_as_slow_path` checks it.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;

use super::{COMPUTED_FIELDS, Converted};
use crate::model::bead::INFRASTRUCTURE_TYPES;
use crate::model::id;
use crate::model::{Bead, Comment, Dependency};

/// Convert one item's JSON text, or `None`: ask the slow path.
pub(super) fn convert(text: &str) -> Option<Converted> {
    let issue: Issue = serde_json::from_str(text).ok()?;
    issue.into_converted()
}

/// The fields of a bd issue, as typed as the slow path wants them.
#[derive(Default)]
struct Issue {
    id: Option<String>,
    title: Option<String>,
    status: Option<String>,
    issue_type: Option<String>,
    priority: Option<u64>,
    texts: [Option<String>; 4],
    optional: [Option<String>; 11],
    ephemeral: Option<bool>,
    pinned: Option<bool>,
    labels: Option<Vec<String>>,
    dependencies: Option<Vec<Fields<DepKey>>>,
    comments: Option<Vec<Fields<CommentKey>>>,
    extra: BTreeMap<String, Value>,
}

/// `description`, `design`, `acceptance_criteria`, `notes`: `""` when absent.
const TEXTS: [&str; 4] = ["description", "design", "acceptance_criteria", "notes"];
/// Optional strings; an empty one is absent.
const OPTIONAL: [&str; 11] = [
    "assignee",
    "owner",
    "created_by",
    "parent",
    "created_at",
    "updated_at",
    "started_at",
    "closed_at",
    "due_at",
    "defer_until",
    "close_reason",
];

impl Issue {
    fn into_converted(self) -> Option<Converted> {
        let id = self.id?;
        id::validate(&id).ok()?;
        let status = self.status.unwrap_or_else(|| "open".into());
        // `deleted_at` stays in `extra` (as the slow path leaves it).
        let deleted = self.extra.get("deleted_at").is_some_and(|v| !v.is_null());
        if status == "tombstone" || deleted {
            return Some(Converted::Skipped("tombstone".into()));
        }
        let issue_type = self.issue_type.unwrap_or_else(|| "task".into());
        if INFRASTRUCTURE_TYPES.contains(&issue_type.as_str()) {
            return Some(Converted::Skipped(format!("type:{issue_type}")));
        }
        let title = self.title?;
        let priority = match self.priority {
            None => 2,
            Some(p) if p <= 4 => p as u8,
            Some(_) => return None,
        };
        let [description, design, acceptance_criteria, notes] =
            self.texts.map(Option::unwrap_or_default);
        let [
            assignee,
            owner,
            created_by,
            parent,
            created_at,
            updated_at,
            started_at,
            closed_at,
            due_at,
            defer_until,
            close_reason,
        ] = self.optional.map(|s| s.filter(|s| !s.is_empty()));
        if let Some(parent) = &parent {
            id::validate(parent).ok()?;
        }
        let dependencies = self
            .dependencies
            .unwrap_or_default()
            .into_iter()
            .map(|d| d.into_dependency(&id))
            .collect::<Option<_>>()?;
        let comments = self
            .comments
            .unwrap_or_default()
            .into_iter()
            .map(|c| c.into_comment(&id))
            .collect();
        let bead = Bead {
            id,
            title,
            description,
            design,
            acceptance_criteria,
            notes,
            status,
            priority,
            issue_type,
            assignee,
            owner,
            created_by,
            parent,
            labels: self.labels.unwrap_or_default(),
            dependencies,
            created_at,
            updated_at,
            started_at,
            closed_at,
            due_at,
            defer_until,
            close_reason,
            ephemeral: self.ephemeral.unwrap_or(false),
            pinned: self.pinned.unwrap_or(false),
            comments,
            extra: self.extra,
        };
        Some(Converted::Bead(Box::new(bead)))
    }
}

/// A key of an issue object, matched without allocating.
enum IssueKey {
    Id,
    Title,
    Status,
    IssueType,
    Priority,
    Text(usize),
    Optional(usize),
    Ephemeral,
    Pinned,
    Labels,
    Dependencies,
    Comments,
    Computed,
    Other(String),
}

impl IssueKey {
    fn of(key: &str) -> IssueKey {
        match key {
            "id" => IssueKey::Id,
            "title" => IssueKey::Title,
            "status" => IssueKey::Status,
            "issue_type" => IssueKey::IssueType,
            "priority" => IssueKey::Priority,
            "ephemeral" => IssueKey::Ephemeral,
            "pinned" => IssueKey::Pinned,
            "labels" => IssueKey::Labels,
            "dependencies" => IssueKey::Dependencies,
            "comments" => IssueKey::Comments,
            _ if COMPUTED_FIELDS.contains(&key) => IssueKey::Computed,
            _ => {
                if let Some(i) = TEXTS.iter().position(|k| *k == key) {
                    IssueKey::Text(i)
                } else if let Some(i) = OPTIONAL.iter().position(|k| *k == key) {
                    IssueKey::Optional(i)
                } else {
                    IssueKey::Other(key.to_string())
                }
            }
        }
    }
}

/// Reads a map key through `of`, borrowing it from the input when it can.
struct KeySeed<T>(fn(&str) -> T);

impl<'de, T> DeserializeSeed<'de> for KeySeed<T> {
    type Value = T;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de, T> Visitor<'de> for KeySeed<T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }
    fn visit_str<E: de::Error>(self, key: &str) -> Result<T, E> {
        Ok((self.0)(key))
    }
}

impl<'de> Deserialize<'de> for Issue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct IssueVisitor;
        impl<'de> Visitor<'de> for IssueVisitor {
            type Value = Issue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Issue, A::Error> {
                let mut issue = Issue::default();
                // A repeated key: the last one wins, as in a `Value`.
                while let Some(key) = map.next_key_seed(KeySeed(IssueKey::of))? {
                    match key {
                        IssueKey::Id => issue.id = map.next_value()?,
                        IssueKey::Title => issue.title = map.next_value()?,
                        IssueKey::Status => issue.status = map.next_value()?,
                        IssueKey::IssueType => issue.issue_type = map.next_value()?,
                        IssueKey::Priority => issue.priority = map.next_value()?,
                        IssueKey::Text(i) => issue.texts[i] = map.next_value()?,
                        IssueKey::Optional(i) => issue.optional[i] = map.next_value()?,
                        IssueKey::Ephemeral => issue.ephemeral = map.next_value()?,
                        IssueKey::Pinned => issue.pinned = map.next_value()?,
                        IssueKey::Labels => issue.labels = map.next_value()?,
                        IssueKey::Dependencies => issue.dependencies = map.next_value()?,
                        IssueKey::Comments => issue.comments = map.next_value()?,
                        IssueKey::Computed => {
                            map.next_value::<IgnoredAny>()?;
                        }
                        IssueKey::Other(key) => {
                            issue.extra.insert(key, map.next_value()?);
                        }
                    }
                }
                Ok(issue)
            }
        }
        d.deserialize_map(IssueVisitor)
    }
}

/// The keys of a dependency or a comment object.
trait Keys: Sized {
    /// Known string fields, by slot.
    const STRINGS: &'static [&'static str];
    /// Whether an `id` field is the object's own (a comment's).
    const HAS_ID: bool;
    /// The slot of `key`, if it is a known string field.
    fn slot(key: &str) -> Option<usize> {
        Self::STRINGS.iter().position(|k| *k == key)
    }
}

/// A dependency or comment object: its known string fields, a comment's
/// `id` (any JSON value, `null` included), and the rest.
struct Fields<K> {
    strings: [Option<String>; 4],
    id: Option<Value>,
    issue_id: Option<Value>,
    extra: BTreeMap<String, Value>,
    keys: std::marker::PhantomData<K>,
}

struct DepKey;
impl Keys for DepKey {
    const STRINGS: &'static [&'static str] = &["depends_on_id", "type", "created_at", "created_by"];
    const HAS_ID: bool = false;
}

struct CommentKey;
impl Keys for CommentKey {
    const STRINGS: &'static [&'static str] = &["author", "text", "created_at"];
    const HAS_ID: bool = true;
}

impl<K> Fields<K> {
    /// `issue_id` repeats the bead's own id: derivable, so not stored;
    /// any other value is kept.
    fn drop_own_id(&mut self, bead_id: &str) {
        match self.issue_id.take() {
            Some(Value::String(id)) if id == bead_id => {}
            Some(other) => {
                self.extra.insert("issue_id".into(), other);
            }
            None => {}
        }
    }
}

impl Fields<DepKey> {
    fn into_dependency(mut self, bead_id: &str) -> Option<Dependency> {
        self.drop_own_id(bead_id);
        let [to, dep_type, created_at, created_by] = self.strings;
        let to = to?;
        id::validate(&to).ok()?;
        let mut dep = Dependency::new(to, dep_type.unwrap_or_else(|| "blocks".into()));
        dep.created_at = created_at;
        dep.created_by = created_by;
        dep.extra = self.extra;
        Some(dep)
    }
}

impl Fields<CommentKey> {
    fn into_comment(mut self, bead_id: &str) -> Comment {
        self.drop_own_id(bead_id);
        let [author, text, created_at, _] = self.strings;
        Comment {
            id: self.id,
            author,
            text: text.unwrap_or_default(),
            created_at,
            extra: self.extra,
        }
    }
}

impl<'de, K: Keys> Deserialize<'de> for Fields<K> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct FieldsVisitor<K>(std::marker::PhantomData<K>);
        impl<'de, K: Keys> Visitor<'de> for FieldsVisitor<K> {
            type Value = Fields<K>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Fields<K>, A::Error> {
                let mut fields = Fields {
                    strings: Default::default(),
                    id: None,
                    issue_id: None,
                    extra: BTreeMap::new(),
                    keys: std::marker::PhantomData,
                };
                while let Some(key) = map.next_key_seed(KeySeed(FieldKey::<K>::of))? {
                    match key {
                        FieldKey::String(i, _) => fields.strings[i] = map.next_value()?,
                        // A comment's `id`: kept as given, `null` included.
                        FieldKey::Id => fields.id = Some(map.next_value()?),
                        FieldKey::IssueId => fields.issue_id = Some(map.next_value()?),
                        FieldKey::Other(key) => {
                            fields.extra.insert(key, map.next_value()?);
                        }
                    }
                }
                Ok(fields)
            }
        }
        d.deserialize_map(FieldsVisitor(std::marker::PhantomData))
    }
}

/// A key of a dependency or comment object.
enum FieldKey<K> {
    String(usize, std::marker::PhantomData<K>),
    /// Only comments have an `id` of their own.
    Id,
    /// The bead's own id, usually.
    IssueId,
    Other(String),
}

impl<K: Keys> FieldKey<K> {
    fn of(key: &str) -> FieldKey<K> {
        if let Some(i) = K::slot(key) {
            FieldKey::String(i, std::marker::PhantomData)
        } else if K::HAS_ID && key == "id" {
            FieldKey::Id
        } else if key == "issue_id" {
            FieldKey::IssueId
        } else {
            FieldKey::Other(key.to_string())
        }
    }
}
