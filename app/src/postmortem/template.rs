//! Post-mortem templates: Markdown with `{{ placeholders }}` and `{% for %}` loops over
//! the facts (facts.rs), rendered by minijinja in a sandbox: no loader (a template
//! cannot include or read files), strict about unknown placeholders, and on a fuel
//! budget (a runaway loop stops). A bad template is an error naming its line.

use super::facts::Facts;
use minijinja::{Environment, UndefinedBehavior};

/// The built-in template: the sections of the widely used formats (Google SRE,
/// PagerDuty, Atlassian).
pub const DEFAULT_TEMPLATE: &str = include_str!("default_template.md");

/// Instructions a render may spend: the default template on a 10,000-entry
/// timeline needs a few hundred thousand; a template looping forever runs out.
const FUEL: u64 = 5_000_000;

/// What is wrong with a template, for the person who wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    /// 1-based line of the template, when the engine knows it.
    pub line: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// Renders `template` with `facts`.
pub fn render(template: &str, facts: &Facts) -> Result<String, TemplateError> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_fuel(Some(FUEL));
    env.set_keep_trailing_newline(true);
    let failed = |err: minijinja::Error| TemplateError {
        line: err.line(),
        message: match err.detail() {
            Some(detail) => format!("{}: {detail}", err.kind()),
            None => err.kind().to_string(),
        },
    };
    let compiled = env.template_from_str(template).map_err(failed)?;
    compiled.render(facts).map_err(failed)
}
