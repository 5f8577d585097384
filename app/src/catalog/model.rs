//! Catalog types shared by server and browser, and their input rules.

use crate::error::{AppError, Invalid};
use serde::{Deserialize, Serialize};

/// Database id of a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UserId(pub i64);
/// Database id of a team.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TeamId(pub i64);
/// Database id of a system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SystemId(pub i64);

/// Someone who can be notified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Person {
    pub id: UserId,
    pub email: String,
    pub display_name: String,
}

/// A team, its engineering lead and where it wants to be told about incidents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Team {
    pub id: TeamId,
    pub slug: String,
    pub name: String,
    pub lead: Option<Person>,
    /// Everyone else on the team, by name.
    #[serde(default)]
    pub members: Vec<Person>,
    pub notify_email: Option<String>,
    pub notify_webhook_url: Option<String>,
}

/// Someone to add to a team (by email; the person is added if new).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewMember {
    #[cfg_attr(
        feature = "ssr",
        schema(pattern = r"^\s*[^@\s]+@[^@\s.][^@\s]*\.[^@\s]*[^@\s.]\s*$")
    )]
    pub email: String,
    /// Used only when the person is new; defaults to the email's local part.
    #[serde(default)]
    pub name: Option<String>,
}

/// A system incidents can affect, and the team that owns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct System {
    pub id: SystemId,
    pub slug: String,
    pub name: String,
    pub description: String,
    /// Slug of the owning team, if any.
    pub team: Option<String>,
    /// What customers call it ("Checkout"), when not its name.
    #[serde(default)]
    pub customer_name: Option<String>,
}

impl System {
    /// The name customer messages use.
    pub fn customer_facing_name(&self) -> &str {
        self.customer_name.as_deref().unwrap_or(&self.name)
    }
}

/// Raw input for creating a team.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewTeam {
    #[cfg_attr(feature = "ssr", schema(pattern = r"^\s*[a-z0-9][a-z0-9-]{0,63}\s*$"))]
    pub slug: String,
    #[cfg_attr(feature = "ssr", schema(pattern = r"^\s*\S([\s\S]{0,118}\S)?\s*$"))]
    pub name: String,
    /// The engineering lead's email; the person is created if new.
    #[serde(default)]
    pub lead_email: Option<String>,
    #[serde(default)]
    pub lead_name: Option<String>,
    /// Team mailbox; the lead's own address is used when absent.
    #[serde(default)]
    pub notify_email: Option<String>,
    /// Slack-compatible incoming webhook.
    #[serde(default)]
    pub notify_webhook_url: Option<String>,
}

/// Raw input for creating a system.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewSystem {
    #[cfg_attr(feature = "ssr", schema(pattern = r"^\s*[a-z0-9][a-z0-9-]{0,63}\s*$"))]
    pub slug: String,
    #[cfg_attr(feature = "ssr", schema(pattern = r"^\s*\S([\s\S]{0,118}\S)?\s*$"))]
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Slug of the owning team.
    #[serde(default)]
    pub team: Option<String>,
    /// What customers call it, if not its name (customer messages use it).
    #[serde(default)]
    pub customer_name: Option<String>,
}

/// Longest slug, in characters.
pub const SLUG_MAX_CHARS: usize = 64;
/// Longest name, in characters.
pub const NAME_MAX_CHARS: usize = 120;

/// Checks a slug: lower-case letters, digits and dashes, starting with a letter or digit.
pub fn check_slug(field: &str, slug: &str, invalid: &mut Invalid) -> String {
    let slug = slug.trim();
    let valid_chars = slug
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if slug.is_empty() {
        invalid.add(field, "Required");
    } else if slug.chars().count() > SLUG_MAX_CHARS {
        invalid.add(field, format!("At most {SLUG_MAX_CHARS} characters"));
    } else if !valid_chars || slug.starts_with('-') {
        invalid.add(
            field,
            "Use lower-case letters, digits and dashes, e.g. payments-api",
        );
    }
    slug.to_owned()
}

/// Checks a display name: present and not too long.
pub fn check_name(field: &str, name: &str, invalid: &mut Invalid) -> String {
    let name = name.trim();
    if name.is_empty() {
        invalid.add(field, "Required");
    } else if name.chars().count() > NAME_MAX_CHARS {
        invalid.add(field, format!("At most {NAME_MAX_CHARS} characters"));
    }
    name.to_owned()
}

/// Checks an email address (shape only: one `@`, no spaces, a dot in the domain).
pub fn check_email(field: &str, email: &str, invalid: &mut Invalid) -> String {
    let email = email.trim();
    let well_formed = match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        }
        None => false,
    };
    if !well_formed || email.len() > 254 || email.chars().any(char::is_whitespace) {
        invalid.add(field, format!("{email:?} is not an email address"));
    }
    email.to_lowercase()
}

/// Checks a webhook URL: http(s), a host, no spaces.
pub fn check_webhook_url(field: &str, url: &str, invalid: &mut Invalid) -> String {
    let url = url.trim();
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    let has_host = rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/'));
    if !has_host || url.chars().any(char::is_whitespace) || url.len() > 2000 {
        invalid.add(field, "Must be an http:// or https:// URL");
    }
    url.to_owned()
}

/// A trimmed value, or `None` when absent or blank.
fn non_blank(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// Checks an optional person given by email and name (a team lead, a CSM): absent
/// without an email; the name defaults to the email's local part.
fn check_person(
    (email_field, email): (&str, &Option<String>),
    (name_field, name): (&str, &Option<String>),
    invalid: &mut Invalid,
) -> Option<(String, String)> {
    let email = check_email(email_field, &non_blank(email)?, invalid);
    let name =
        non_blank(name).unwrap_or_else(|| email.split('@').next().unwrap_or_default().to_owned());
    let name = check_name(name_field, &name, invalid);
    Some((email, name))
}

impl NewMember {
    /// The member's email and name (for a new person), naming what is wrong.
    pub fn parse(&self) -> Result<(String, String), AppError> {
        let mut invalid = Invalid::default();
        let person = check_person(
            ("email", &Some(self.email.clone())),
            ("name", &self.name),
            &mut invalid,
        );
        match person {
            Some(person) if invalid.fields.is_empty() => Ok(person),
            _ => {
                if invalid.fields.is_empty() {
                    invalid.add("email", "Email is required");
                }
                Err(AppError::Invalid(invalid))
            }
        }
    }
}

/// A validated team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamDraft {
    pub slug: String,
    pub name: String,
    /// (email, display name) of the lead.
    pub lead: Option<(String, String)>,
    pub notify_email: Option<String>,
    pub notify_webhook_url: Option<String>,
}

impl TeamDraft {
    /// Validates team input, naming every wrong field.
    pub fn parse(input: &NewTeam) -> Result<TeamDraft, AppError> {
        let mut invalid = Invalid::default();
        let slug = check_slug("slug", &input.slug, &mut invalid);
        let name = check_name("name", &input.name, &mut invalid);
        let lead = check_person(
            ("lead_email", &input.lead_email),
            ("lead_name", &input.lead_name),
            &mut invalid,
        );
        if lead.is_none() && non_blank(&input.lead_name).is_some() {
            invalid.add(
                "lead_email",
                "Give the lead's email too: it is how they are notified",
            );
        }
        let notify_email =
            non_blank(&input.notify_email).map(|e| check_email("notify_email", &e, &mut invalid));
        let notify_webhook_url = non_blank(&input.notify_webhook_url)
            .map(|u| check_webhook_url("notify_webhook_url", &u, &mut invalid));
        if !invalid.fields.is_empty() {
            return Err(AppError::Invalid(invalid));
        }
        Ok(TeamDraft {
            slug,
            name,
            lead,
            notify_email,
            notify_webhook_url,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(f: impl FnOnce(&mut Invalid), field: &str) -> Option<String> {
        let mut invalid = Invalid::default();
        f(&mut invalid);
        invalid.field(field).map(str::to_owned)
    }

    #[test]
    fn slugs() {
        assert_eq!(
            message(
                |i| {
                    check_slug("s", "payments-api", i);
                },
                "s"
            ),
            None
        );
        assert_eq!(
            message(
                |i| {
                    check_slug("s", "", i);
                },
                "s"
            )
            .as_deref(),
            Some("Required")
        );
        assert!(message(
            |i| {
                check_slug("s", "Payments API", i);
            },
            "s"
        )
        .is_some());
        assert!(message(
            |i| {
                check_slug("s", "-x", i);
            },
            "s"
        )
        .is_some());
        assert!(message(
            |i| {
                check_slug("s", &"a".repeat(65), i);
            },
            "s"
        )
        .is_some());
    }

    #[test]
    fn emails() {
        let mut invalid = Invalid::default();
        assert_eq!(
            check_email("e", " Dana@Example.com ", &mut invalid),
            "dana@example.com"
        );
        assert!(invalid.fields.is_empty());
        for bad in [
            "dana",
            "dana@",
            "@example.com",
            "dana@example",
            "da na@example.com",
            "a@b@c.com",
            "dana@.com",
        ] {
            assert!(
                message(
                    |i| {
                        check_email("e", bad, i);
                    },
                    "e"
                )
                .is_some(),
                "{bad}"
            );
        }
    }

    #[test]
    fn webhook_urls() {
        assert_eq!(
            message(
                |i| {
                    check_webhook_url("u", "https://hooks.example.com/T1/B2", i);
                },
                "u"
            ),
            None
        );
        assert_eq!(
            message(
                |i| {
                    check_webhook_url("u", "http://127.0.0.1:9000/hook", i);
                },
                "u"
            ),
            None
        );
        for bad in [
            "ftp://x",
            "https://",
            "https:///path",
            "javascript:alert(1)",
            "https://a b",
        ] {
            assert!(
                message(
                    |i| {
                        check_webhook_url("u", bad, i);
                    },
                    "u"
                )
                .is_some(),
                "{bad}"
            );
        }
    }

    #[test]
    fn team_lead_name_defaults_and_needs_an_email() {
        let team = TeamDraft::parse(&NewTeam {
            slug: "payments".into(),
            name: "Payments".into(),
            lead_email: Some("dana.lee@example.com".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(
            team.lead,
            Some(("dana.lee@example.com".into(), "dana.lee".into()))
        );
        let err = TeamDraft::parse(&NewTeam {
            slug: "payments".into(),
            name: "Payments".into(),
            lead_name: Some("Dana".into()),
            ..Default::default()
        })
        .unwrap_err();
        assert!(err.invalid().unwrap().field("lead_email").is_some());
    }
}

/// Database id of a customer account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AccountId(pub i64);

/// A customer's contract tier; ordered from least to most demanding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    Standard,
    Business,
    Enterprise,
}

impl Tier {
    /// Every tier, most demanding first.
    pub const ALL: [Tier; 3] = [Tier::Enterprise, Tier::Business, Tier::Standard];

    /// Stored and displayed name.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Standard => "standard",
            Tier::Business => "business",
            Tier::Enterprise => "enterprise",
        }
    }
}

impl std::fmt::Display for Tier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Tier {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "enterprise" => Ok(Tier::Enterprise),
            "business" => Ok(Tier::Business),
            "standard" => Ok(Tier::Standard),
            _ => Err(format!(
                "unknown tier {s:?}: choose enterprise, business or standard"
            )),
        }
    }
}

/// A customer account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Account {
    pub id: AccountId,
    pub slug: String,
    pub name: String,
    /// The account's id in the CRM it was imported from.
    pub crm_id: Option<String>,
    pub tier: Tier,
    /// The customer-success manager.
    pub csm: Option<Person>,
    pub contact_emails: Vec<String>,
    /// Its own SLA contract policy (slug); `None`: its tier's default.
    #[serde(default)]
    pub sla_policy: Option<String>,
}

/// Raw input for creating an account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewAccount {
    #[cfg_attr(feature = "ssr", schema(pattern = r"^\s*[a-z0-9][a-z0-9-]{0,63}\s*$"))]
    pub slug: String,
    #[cfg_attr(feature = "ssr", schema(pattern = r"^\s*\S([\s\S]{0,118}\S)?\s*$"))]
    pub name: String,
    #[cfg_attr(feature = "ssr", schema(pattern = r"^(enterprise|business|standard)$"))]
    pub tier: String,
    #[serde(default)]
    pub crm_id: Option<String>,
    #[serde(default)]
    pub csm_email: Option<String>,
    #[serde(default)]
    pub csm_name: Option<String>,
    #[serde(default)]
    pub contact_emails: Vec<String>,
    /// Slug of the account's own SLA contract policy (empty: its tier's default).
    #[serde(default)]
    pub sla_policy: Option<String>,
}

/// A validated account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountDraft {
    pub slug: String,
    pub name: String,
    pub tier: Tier,
    pub crm_id: Option<String>,
    /// (email, display name) of the CSM.
    pub csm: Option<(String, String)>,
    pub contact_emails: Vec<String>,
    /// Slug of its own SLA policy (checked to exist when written).
    pub sla_policy: Option<String>,
}

impl AccountDraft {
    /// Validates account input, naming every wrong field.
    pub fn parse(input: &NewAccount) -> Result<AccountDraft, AppError> {
        let mut invalid = Invalid::default();
        let slug = check_slug("slug", &input.slug, &mut invalid);
        let name = check_name("name", &input.name, &mut invalid);
        let tier = input
            .tier
            .parse::<Tier>()
            .map_err(|e| invalid.add("tier", e))
            .ok();
        let crm_id = non_blank(&input.crm_id);
        if crm_id.as_ref().is_some_and(|id| id.chars().count() > 100) {
            invalid.add("crm_id", "At most 100 characters");
        }
        let csm = check_person(
            ("csm_email", &input.csm_email),
            ("csm_name", &input.csm_name),
            &mut invalid,
        );
        let contact_emails = input
            .contact_emails
            .iter()
            .filter(|e| !e.trim().is_empty())
            .map(|e| check_email("contact_emails", e, &mut invalid))
            .collect();
        let sla_policy = non_blank(&input.sla_policy).map(|p| p.to_lowercase());
        match tier {
            Some(tier) if invalid.fields.is_empty() => Ok(AccountDraft {
                slug,
                name,
                tier,
                crm_id,
                csm,
                contact_emails,
                sla_policy,
            }),
            _ => Err(AppError::Invalid(invalid)),
        }
    }
}

#[cfg(test)]
mod account_tests {
    use super::*;

    #[test]
    fn tiers_order_from_standard_to_enterprise() {
        assert!(Tier::Enterprise > Tier::Business && Tier::Business > Tier::Standard);
        assert_eq!(" Enterprise ".parse::<Tier>(), Ok(Tier::Enterprise));
        assert!("gold".parse::<Tier>().unwrap_err().contains("unknown tier"));
    }

    #[test]
    fn account_input_is_checked_field_by_field() {
        let ok = AccountDraft::parse(&NewAccount {
            slug: "acme".into(),
            name: "Acme Corp".into(),
            tier: "enterprise".into(),
            crm_id: Some(" 0015g00000AbCdE ".into()),
            csm_email: Some("priya@example.com".into()),
            contact_emails: vec!["ops@acme.example".into(), "".into()],
            ..Default::default()
        })
        .unwrap();
        assert_eq!(ok.crm_id.as_deref(), Some("0015g00000AbCdE"));
        assert_eq!(ok.csm, Some(("priya@example.com".into(), "priya".into())));
        assert_eq!(ok.contact_emails, ["ops@acme.example"]);

        let err = AccountDraft::parse(&NewAccount {
            slug: "Acme!".into(),
            name: "".into(),
            tier: "gold".into(),
            contact_emails: vec!["nope".into()],
            ..Default::default()
        })
        .unwrap_err();
        let fields = &err.invalid().unwrap().fields;
        for field in ["slug", "name", "tier", "contact_emails"] {
            assert!(fields.contains_key(field), "{field}");
        }
    }
}
