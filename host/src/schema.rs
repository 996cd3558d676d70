//! The live schema as seedhost sees it: a table's columns, how each column's
//! values are converted ([`Kind`], from its declared type) and its unique keys.
//! The store backends read it from the catalog; the store checks every write
//! against it, and a plugin's identifiers reach SQL only after they matched a
//! name read from here.

/// How seedhost converts values for a column, decided from its declared type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `boolean`.
    Bool,
    /// An integer column and the bits it holds.
    Int(u8),
    /// `real`, `double precision`.
    Float,
    /// `numeric`/`decimal` (PostgreSQL): written as decimal text, cast by the database.
    Numeric,
    /// Text of any length.
    Text,
    /// `uuid`.
    Uuid,
    /// `json`, `jsonb`.
    Json,
    /// A timestamp, with or without time zone.
    Timestamp {
        /// Whether it has a time zone.
        tz: bool,
    },
    /// `date`.
    Date,
    /// `bytea`, `blob`.
    Bytes,
    /// Anything else (enums, domains, arrays, ...): written as text and cast by
    /// the database.
    Other,
}

impl Kind {
    /// Classifies a PostgreSQL type by its `pg_type.typname`.
    pub fn from_postgres(typname: &str) -> Kind {
        match typname {
            "bool" => Kind::Bool,
            "int2" => Kind::Int(16),
            "int4" => Kind::Int(32),
            "int8" => Kind::Int(64),
            "float4" | "float8" => Kind::Float,
            "numeric" => Kind::Numeric,
            "text" | "varchar" | "bpchar" | "name" | "citext" => Kind::Text,
            "uuid" => Kind::Uuid,
            "json" | "jsonb" => Kind::Json,
            "timestamptz" => Kind::Timestamp { tz: true },
            "timestamp" => Kind::Timestamp { tz: false },
            "date" => Kind::Date,
            "bytea" => Kind::Bytes,
            _ => Kind::Other,
        }
    }

    /// Classifies a SQLite column by its declared type, in the spirit of SQLite's
    /// own affinity rules, extended with the type names PostgreSQL migrations use
    /// so one migration serves both databases.
    pub fn from_sqlite(declared: &str) -> Kind {
        let t = declared.to_ascii_uppercase();
        let has = |s: &str| t.contains(s);
        if has("BOOL") {
            Kind::Bool
        } else if has("UUID") {
            Kind::Uuid
        } else if has("JSON") {
            Kind::Json
        } else if has("TIMESTAMP") || has("DATETIME") {
            Kind::Timestamp { tz: true }
        } else if has("DATE") {
            Kind::Date
        } else if has("INT") {
            Kind::Int(64)
        } else if has("CHAR") || has("CLOB") || has("TEXT") {
            Kind::Text
        } else if has("BLOB") || has("BYTEA") {
            Kind::Bytes
        } else if has("REAL") || has("FLOA") || has("DOUB") || has("NUMERIC") || has("DECIMAL") {
            Kind::Float
        } else {
            Kind::Other
        }
    }

    /// The kind in words, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Kind::Bool => "boolean",
            Kind::Int(_) => "integer",
            Kind::Float => "float",
            Kind::Numeric => "numeric",
            Kind::Text => "text",
            Kind::Uuid => "uuid",
            Kind::Json => "json",
            Kind::Timestamp { .. } => "timestamp",
            Kind::Date => "date",
            Kind::Bytes => "bytes",
            Kind::Other => "text-castable",
        }
    }
}

/// One column of a live table.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The column's name, as the catalog has it.
    pub name: String,
    /// How values are converted for it.
    pub kind: Kind,
    /// The type as the database spells it (`format_type` on PostgreSQL, the
    /// declared type on SQLite); used for casts and messages.
    pub sql_type: String,
    /// Whether it takes NULL.
    pub nullable: bool,
    /// The most characters a value may have (`varchar(n)`, `char(n)`): longer
    /// text is refused, never cut (a cast would cut it silently).
    pub max_chars: Option<usize>,
    /// Whether a float must fit 4 bytes (`real`): a larger finite value is
    /// refused, never stored as infinity.
    pub float32: bool,
    /// Whether the database stores NaN (PostgreSQL does; SQLite would store NULL).
    pub nan: bool,
}

impl Column {
    /// A column as the catalog describes it: `sql_type` as the database spells
    /// it, `postgres` for the database that holds it.
    pub fn new(
        name: String,
        kind: Kind,
        sql_type: String,
        nullable: bool,
        postgres: bool,
    ) -> Column {
        Column {
            max_chars: char_limit(&sql_type),
            float32: postgres && sql_type == "real",
            nan: postgres,
            name,
            kind,
            sql_type,
            nullable,
        }
    }
}

/// `n` of a text type with a length: `character varying(n)`, `character(n)`,
/// `VARCHAR(n)`, `CHAR(n)`, `NVARCHAR(n)`.
pub fn char_limit(sql_type: &str) -> Option<usize> {
    let t = sql_type.to_ascii_lowercase();
    let (base, rest) = t.split_once('(')?;
    let base = base.trim();
    let texty = [
        "character varying",
        "varchar",
        "character",
        "char",
        "bpchar",
        "nvarchar",
        "nchar",
    ];
    if !texty.contains(&base) {
        return None;
    }
    rest.strip_suffix(')')?.trim().parse().ok()
}

/// A live table: its columns and the column sets that are unique (primary key
/// and unique constraints or indexes without predicate or expression).
#[derive(Debug, Clone, PartialEq)]
pub struct TableSchema {
    /// The schema (PostgreSQL) or attached database (SQLite) holding it.
    pub schema: String,
    /// The table's name in the catalog.
    pub name: String,
    /// Its columns, in the table's order.
    pub columns: Vec<Column>,
    /// Its unique column sets, the primary key first.
    pub unique_keys: Vec<Vec<String>>,
    /// Citus: the distribution column of a hash-distributed table, which every
    /// unique key (and so every conflict target) must include.
    pub distribution: Option<String>,
}

impl TableSchema {
    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Whether `columns` (in any order) are exactly one of the unique keys.
    pub fn is_unique_key(&self, columns: &[String]) -> bool {
        let mut wanted: Vec<&str> = columns.iter().map(String::as_str).collect();
        wanted.sort_unstable();
        self.unique_keys.iter().any(|key| {
            let mut have: Vec<&str> = key.iter().map(String::as_str).collect();
            have.sort_unstable();
            have == wanted
        })
    }

    /// The unique keys, for messages: `(id), (journey_id, position)`.
    pub fn describe_keys(&self) -> String {
        if self.unique_keys.is_empty() {
            return "none".to_owned();
        }
        self.unique_keys
            .iter()
            .map(|k| format!("({})", k.join(", ")))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_declared_types_map_like_postgres_names() {
        assert_eq!(Kind::from_sqlite("UUID"), Kind::Uuid);
        assert_eq!(
            Kind::from_sqlite("TIMESTAMPTZ"),
            Kind::Timestamp { tz: true }
        );
        assert_eq!(Kind::from_sqlite("jsonb"), Kind::Json);
        assert_eq!(Kind::from_sqlite("BOOLEAN"), Kind::Bool);
        assert_eq!(Kind::from_sqlite("INTEGER"), Kind::Int(64));
        assert_eq!(Kind::from_sqlite("varchar(20)"), Kind::Text);
        assert_eq!(Kind::from_sqlite("DATE"), Kind::Date);
        assert_eq!(Kind::from_sqlite("NUMERIC(10,2)"), Kind::Float);
        assert_eq!(Kind::from_sqlite(""), Kind::Other);
    }

    #[test]
    fn text_lengths_come_from_the_declared_type() {
        assert_eq!(char_limit("character varying(4)"), Some(4));
        assert_eq!(char_limit("character(2)"), Some(2));
        assert_eq!(char_limit("VARCHAR(255)"), Some(255));
        assert_eq!(char_limit("varchar"), None);
        assert_eq!(char_limit("numeric(10,2)"), None);
        assert_eq!(char_limit("text"), None);
        let real = Column::new("r".into(), Kind::Float, "real".into(), true, true);
        assert!(real.float32 && real.nan);
        let lite = Column::new("r".into(), Kind::Float, "REAL".into(), true, false);
        assert!(!lite.float32 && !lite.nan);
    }

    #[test]
    fn unique_keys_match_in_any_order() {
        let t = TableSchema {
            distribution: None,
            schema: "public".into(),
            name: "links".into(),
            columns: vec![],
            unique_keys: vec![vec!["journey_id".into(), "chapter_id".into()]],
        };
        assert!(t.is_unique_key(&["chapter_id".into(), "journey_id".into()]));
        assert!(!t.is_unique_key(&["chapter_id".into()]));
        assert_eq!(t.describe_keys(), "(journey_id, chapter_id)");
    }
}
