//! Grants: what the operator lets one plugin do. Resolved from the configuration
//! before the plugin starts; the check on every write is a lookup.

use std::fmt;

/// A table as written in a grant or a write: `name` or `schema.name`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TableName {
    /// The schema, when given.
    pub schema: Option<String>,
    /// The table.
    pub name: String,
}

impl TableName {
    /// Parses `name` or `schema.name`. Names are compared exactly (seedhost
    /// quotes every identifier, so case matters as it does in quoted SQL).
    pub fn parse(text: &str) -> Result<TableName, String> {
        let mut parts = text.split('.');
        let (schema, name) = match (parts.next(), parts.next(), parts.next()) {
            (Some(name), None, _) => (None, name),
            (Some(schema), Some(name), None) => (Some(schema), name),
            _ => return Err(format!("table {text:?}: expected `name` or `schema.name`")),
        };
        if name.is_empty() || schema.is_some_and(str::is_empty) {
            return Err(format!("table {text:?}: empty name"));
        }
        Ok(TableName {
            schema: schema.map(str::to_owned),
            name: name.to_owned(),
        })
    }

    /// The schema, or `default` when none was given.
    pub fn schema_or<'a>(&'a self, default: &'a str) -> &'a str {
        self.schema.as_deref().unwrap_or(default)
    }
}

impl fmt::Display for TableName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.schema {
            Some(schema) => write!(f, "{schema}.{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// The tables a plugin may write and the profiles it may run in.
#[derive(Debug, Clone, PartialEq)]
pub struct Grant {
    tables: Vec<TableName>,
    profiles: Vec<String>,
}

impl Grant {
    /// A grant of exactly these tables and profiles.
    pub fn new(tables: Vec<TableName>, profiles: Vec<String>) -> Grant {
        Grant { tables, profiles }
    }

    /// The granted tables, as configured.
    pub fn tables(&self) -> &[TableName] {
        &self.tables
    }

    /// The granted profiles.
    pub fn profiles(&self) -> &[String] {
        &self.profiles
    }

    /// Whether the plugin may run in `profile`.
    pub fn allows_profile(&self, profile: &str) -> bool {
        self.profiles.iter().any(|p| p == profile)
    }

    /// Whether the plugin may write `table`; an unqualified name on either side
    /// means `default_schema` (`public` on PostgreSQL, `main` on SQLite).
    pub fn allows_table(&self, table: &TableName, default_schema: &str) -> bool {
        self.tables.iter().any(|granted| {
            granted.name == table.name
                && granted.schema_or(default_schema) == table.schema_or(default_schema)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(tables: &[&str]) -> Grant {
        Grant::new(
            tables
                .iter()
                .map(|t| TableName::parse(t).unwrap())
                .collect(),
            vec!["local".into()],
        )
    }

    #[test]
    fn unqualified_names_mean_the_default_schema() {
        let g = grant(&["catalog_journeys", "auth.users"]);
        let t = |s| TableName::parse(s).unwrap();
        assert!(g.allows_table(&t("catalog_journeys"), "public"));
        assert!(g.allows_table(&t("public.catalog_journeys"), "public"));
        assert!(!g.allows_table(&t("other.catalog_journeys"), "public"));
        assert!(g.allows_table(&t("auth.users"), "public"));
        assert!(!g.allows_table(&t("users"), "public"));
        assert!(!g.allows_table(&t("Catalog_Journeys"), "public"));
    }

    #[test]
    fn malformed_names_are_refused() {
        for bad in ["", "a.b.c", ".a", "a."] {
            assert!(TableName::parse(bad).is_err(), "{bad:?}");
        }
    }
}
