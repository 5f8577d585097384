//! Bulk import of customer accounts from a CRM's CSV export: map the headers to
//! account fields, check every row, and report what would be created, updated or
//! rejected (and why) before anything is written. Re-importing updates accounts by
//! CRM id; it never duplicates them.

use super::model::Tier;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Most data rows one import takes.
pub const IMPORT_MAX_ROWS: usize = 20_000;

/// An import as the API takes it in JSON (a `text/csv` body is the same with no
/// explicit columns).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ImportRequest {
    /// The CSV text, header row first.
    pub csv: String,
    /// `false` (default): only report what would happen.
    #[serde(default)]
    pub apply: bool,
    /// Account field → CSV header, for headers the automatic mapping does not know.
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
}

/// The account fields a CSV column can fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AccountField {
    CrmId,
    Name,
    Tier,
    Slug,
    CsmEmail,
    CsmName,
    ContactEmails,
    SlaPolicy,
}

impl AccountField {
    pub const ALL: [AccountField; 8] = [
        AccountField::CrmId,
        AccountField::Name,
        AccountField::Tier,
        AccountField::Slug,
        AccountField::CsmEmail,
        AccountField::CsmName,
        AccountField::ContactEmails,
        AccountField::SlaPolicy,
    ];

    /// The name used in explicit mappings and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountField::CrmId => "crm_id",
            AccountField::Name => "name",
            AccountField::Tier => "tier",
            AccountField::Slug => "slug",
            AccountField::CsmEmail => "csm_email",
            AccountField::CsmName => "csm_name",
            AccountField::ContactEmails => "contact_emails",
            AccountField::SlaPolicy => "sla_policy",
        }
    }

    /// Without these columns an import cannot work.
    pub fn required(self) -> bool {
        matches!(
            self,
            AccountField::CrmId | AccountField::Name | AccountField::Tier
        )
    }

    /// Headers that CRMs (Salesforce, HubSpot, spreadsheets) use for this field,
    /// compared lower-case with spaces, dashes and underscores removed.
    fn aliases(self) -> &'static [&'static str] {
        match self {
            AccountField::CrmId => &[
                "crmid",
                "accountid",
                "recordid",
                "companyid",
                "externalid",
                "salesforceid",
                "hubspotid",
                "id",
            ],
            AccountField::Name => &[
                "name",
                "accountname",
                "companyname",
                "company",
                "customer",
                "customername",
            ],
            AccountField::Tier => &[
                "tier",
                "customertier",
                "supporttier",
                "contracttier",
                "slatier",
                "segment",
                "plan",
            ],
            AccountField::Slug => &["slug", "handle", "shortname"],
            AccountField::CsmEmail => &[
                "csmemail",
                "customersuccessmanageremail",
                "accountmanageremail",
                "accountowneremail",
            ],
            AccountField::CsmName => &[
                "csmname",
                "csm",
                "customersuccessmanager",
                "accountmanager",
                "accountowner",
            ],
            AccountField::ContactEmails => &[
                "contactemails",
                "contactemail",
                "contacts",
                "emails",
                "email",
            ],
            AccountField::SlaPolicy => &[
                "slapolicy",
                "slacontract",
                "contractpolicy",
                "supportpolicy",
                "slaplan",
            ],
        }
    }

    /// The field a header names, if it is a known alias.
    pub fn for_header(header: &str) -> Option<AccountField> {
        let folded: String = header
            .chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect();
        AccountField::ALL
            .into_iter()
            .find(|field| field.aliases().contains(&folded.as_str()))
    }
}

impl std::str::FromStr for AccountField {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AccountField::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = AccountField::ALL.iter().map(|f| f.as_str()).collect();
                format!("unknown account field {s:?}: choose {}", names.join(", "))
            })
    }
}

/// Which account field a CSV column fills (`None`: the column is ignored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ColumnMapping {
    pub header: String,
    pub field: Option<AccountField>,
}

/// An account the import creates, updates or leaves as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PlannedAccount {
    /// Line of the CSV text the row starts on (the header is line 1).
    pub line: u64,
    pub crm_id: String,
    pub slug: String,
    pub name: String,
    pub tier: Tier,
    /// For updates: the fields that change.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<AccountField>,
}

/// A row the import leaves out, and every reason why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RejectedRow {
    pub line: u64,
    pub crm_id: Option<String>,
    pub reasons: Vec<String>,
}

/// What an import did (`applied`) or would do.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ImportReport {
    pub applied: bool,
    pub columns: Vec<ColumnMapping>,
    pub created: Vec<PlannedAccount>,
    pub updated: Vec<PlannedAccount>,
    pub unchanged: Vec<PlannedAccount>,
    pub rejected: Vec<RejectedRow>,
}

/// A lower-case, dash-separated slug from a name: "ACME Corp." → "acme-corp".
pub fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let mut slug: String = slug
        .trim_end_matches('-')
        .chars()
        .take(super::model::SLUG_MAX_CHARS)
        .collect();
    while slug.ends_with('-') {
        slug.pop();
    }
    slug
}

#[cfg(feature = "ssr")]
pub use reading::{read_csv, CsvRow};

#[cfg(feature = "ssr")]
mod reading {
    use super::*;
    use crate::catalog::model::NewAccount;
    use crate::error::{AppError, Invalid};

    /// One data row as account input, or why it cannot be read.
    #[derive(Debug, Clone)]
    pub struct CsvRow {
        pub line: u64,
        pub input: Result<NewAccount, String>,
    }

    fn refuse(message: impl Into<String>) -> AppError {
        let mut invalid = Invalid::default();
        invalid.add("csv", message);
        AppError::Invalid(invalid)
    }

    /// Reads the CSV text: maps the header (explicit `columns` first, then known
    /// aliases) and turns each data row into account input. A file that cannot be
    /// imported at all (no header, a required column missing, a bad mapping) is
    /// refused as a whole; a bad row only rejects that row.
    pub fn read_csv(
        bytes: &[u8],
        columns: &BTreeMap<String, String>,
    ) -> Result<(Vec<ColumnMapping>, Vec<CsvRow>), AppError> {
        // Spreadsheet exports often start with a byte-order mark.
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(bytes);
        // The reader's own line numbers miss blank lines and "\r\n" ends, so lines
        // are counted from the record's byte offset.
        let (mut counted_to, mut line) = (0_usize, 1_u64);
        let mut line_at = |offset: usize| {
            // A record's offset can point at blank lines before it.
            let mut offset = offset.min(bytes.len());
            while matches!(bytes.get(offset), Some(b'\r' | b'\n')) {
                offset += 1;
            }
            if offset > counted_to {
                line += bytes[counted_to..offset]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count() as u64;
                counted_to = offset;
            }
            line
        };
        let headers = reader
            .byte_headers()
            .map_err(|e| refuse(format!("The header row cannot be read: {e}")))?
            .iter()
            .map(|h| String::from_utf8_lossy(h).into_owned())
            .collect::<Vec<_>>();
        if headers.iter().all(|h| h.is_empty()) {
            return Err(refuse(
                "The file is empty: the first line must name the columns",
            ));
        }
        let mapping = map_headers(&headers, columns)?;
        let column_of = |field: AccountField| mapping.iter().position(|m| m.field == Some(field));

        let mut rows = Vec::new();
        for record in reader.byte_records() {
            let record = record.map_err(|e| refuse(format!("The CSV cannot be read: {e}")))?;
            let line = line_at(record.position().map_or(0, |p| p.byte() as usize));
            if record.iter().all(|value| value.is_empty()) {
                continue; // blank line
            }
            if rows.len() == IMPORT_MAX_ROWS {
                return Err(refuse(format!(
                    "Too many rows: at most {IMPORT_MAX_ROWS} per import"
                )));
            }
            if record.len() != headers.len() {
                rows.push(CsvRow {
                    line,
                    input: Err(format!(
                        "has {} values, the header has {} columns",
                        record.len(),
                        headers.len()
                    )),
                });
                continue;
            }
            let text = |field: AccountField| -> Result<Option<String>, String> {
                let Some(column) = column_of(field) else {
                    return Ok(None);
                };
                let raw = record.get(column).unwrap_or_default();
                std::str::from_utf8(raw)
                    .map(|s| Some(s.to_owned()))
                    .map_err(|_| format!("{:?} is not UTF-8 text", headers[column]))
            };
            let input = (|| -> Result<NewAccount, String> {
                let contacts = text(AccountField::ContactEmails)?.unwrap_or_default();
                Ok(NewAccount {
                    crm_id: text(AccountField::CrmId)?,
                    name: text(AccountField::Name)?.unwrap_or_default(),
                    tier: text(AccountField::Tier)?.unwrap_or_default(),
                    slug: text(AccountField::Slug)?.unwrap_or_default(),
                    csm_email: text(AccountField::CsmEmail)?,
                    csm_name: text(AccountField::CsmName)?,
                    sla_policy: text(AccountField::SlaPolicy)?,
                    contact_emails: contacts
                        .split([';', ',', ' ', '\n'])
                        .filter(|e| !e.is_empty())
                        .map(str::to_owned)
                        .collect(),
                })
            })();
            rows.push(CsvRow { line, input });
        }
        Ok((mapping, rows))
    }

    fn map_headers(
        headers: &[String],
        explicit: &BTreeMap<String, String>,
    ) -> Result<Vec<ColumnMapping>, AppError> {
        let mut invalid = Invalid::default();
        let mut chosen: BTreeMap<AccountField, usize> = BTreeMap::new();
        for (field, header) in explicit {
            let field = match field.parse::<AccountField>() {
                Ok(field) => field,
                Err(e) => {
                    invalid.add("columns", e);
                    continue;
                }
            };
            match headers.iter().position(|h| h == header) {
                Some(column) => {
                    chosen.insert(field, column);
                }
                None => invalid.add(
                    "columns",
                    format!("The file has no column {header:?} (for {})", field.as_str()),
                ),
            }
        }
        // Known headers fill the fields not mapped explicitly; the first one wins.
        for (column, header) in headers.iter().enumerate() {
            if chosen.values().any(|&c| c == column) {
                continue;
            }
            if let Some(field) = AccountField::for_header(header) {
                chosen.entry(field).or_insert(column);
            }
        }
        let missing: Vec<&str> = AccountField::ALL
            .into_iter()
            .filter(|f| f.required() && !chosen.contains_key(f))
            .map(|f| f.as_str())
            .collect();
        if !missing.is_empty() && invalid.fields.is_empty() {
            invalid.add(
                "csv",
                format!(
                    "No column for {}: name the columns e.g. \"CRM ID\", \"Account Name\", \"Tier\", \
                     or map them explicitly (columns: {{\"crm_id\": \"<header>\"}})",
                    missing.join(", ")
                ),
            );
        }
        if !invalid.fields.is_empty() {
            return Err(AppError::Invalid(invalid));
        }
        Ok(headers
            .iter()
            .enumerate()
            .map(|(column, header)| ColumnMapping {
                header: header.clone(),
                field: chosen
                    .iter()
                    .find(|(_, &c)| c == column)
                    .map(|(&field, _)| field),
            })
            .collect())
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn fields(mapping: &[ColumnMapping]) -> Vec<Option<&'static str>> {
            mapping
                .iter()
                .map(|m| m.field.map(|f| f.as_str()))
                .collect()
        }

        #[test]
        fn salesforce_style_headers_map_by_alias() {
            let csv = "\u{feff}Account ID,Account Name,Customer Tier,Account Owner,Industry\n\
                       0015g01,\"Acme, Inc.\",Enterprise,Priya Raman,Retail\n";
            let (mapping, rows) = read_csv(csv.as_bytes(), &BTreeMap::new()).unwrap();
            assert_eq!(
                fields(&mapping),
                [
                    Some("crm_id"),
                    Some("name"),
                    Some("tier"),
                    Some("csm_name"),
                    None
                ]
            );
            let input = rows[0].input.clone().unwrap();
            assert_eq!(rows[0].line, 2);
            assert_eq!(input.name, "Acme, Inc.");
            assert_eq!(input.crm_id.as_deref(), Some("0015g01"));
        }

        #[test]
        fn explicit_columns_win_and_unknown_ones_are_named() {
            let csv = "Ref,Customer,Level\nA1,Acme,enterprise\n";
            let err = read_csv(csv.as_bytes(), &BTreeMap::new()).unwrap_err();
            let message = err.invalid().unwrap().field("csv").unwrap().to_owned();
            assert!(message.contains("crm_id, tier"), "{message}");

            let columns = BTreeMap::from([
                ("crm_id".to_owned(), "Ref".to_owned()),
                ("tier".to_owned(), "Level".to_owned()),
            ]);
            let (mapping, _) = read_csv(csv.as_bytes(), &columns).unwrap();
            assert_eq!(
                fields(&mapping),
                [Some("crm_id"), Some("name"), Some("tier")]
            );

            let bad = BTreeMap::from([("colour".to_owned(), "Ref".to_owned())]);
            let err = read_csv(csv.as_bytes(), &bad).unwrap_err();
            assert!(err.invalid().unwrap().field("columns").is_some());
        }

        #[test]
        fn short_rows_and_multiline_values_keep_their_line_numbers() {
            let csv = "crm_id,name,tier\nA1,\"Two\nLines\",business\nA2,Short\n\nA3,Ok,standard\n";
            for text in [csv.to_owned(), csv.replace('\n', "\r\n")] {
                let (_, rows) = read_csv(text.as_bytes(), &BTreeMap::new()).unwrap();
                let lines: Vec<u64> = rows.iter().map(|r| r.line).collect();
                assert_eq!(lines, [2, 4, 6], "{text:?}");
                assert!(rows[1].input.as_ref().unwrap_err().contains("has 2 values"));
            }
        }

        #[test]
        fn empty_input_is_refused() {
            assert!(read_csv(b"", &BTreeMap::new()).is_err());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_from_names() {
        assert_eq!(slugify("ACME Corp."), "acme-corp");
        assert_eq!(
            slugify("  Wayne   Enterprises, Inc "),
            "wayne-enterprises-inc"
        );
        assert_eq!(slugify("Émile & Co"), "mile-co");
        assert_eq!(slugify("!!!"), "");
    }

    #[test]
    fn header_aliases_ignore_case_and_punctuation() {
        assert_eq!(
            AccountField::for_header("Account_ID"),
            Some(AccountField::CrmId)
        );
        assert_eq!(
            AccountField::for_header("CSM Email"),
            Some(AccountField::CsmEmail)
        );
        assert_eq!(AccountField::for_header("Industry"), None);
    }
}
