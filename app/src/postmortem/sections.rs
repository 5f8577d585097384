//! A post-mortem's named sections: the text between one `## ` heading and the next.
//! Regenerating one section swaps only its text, so edits elsewhere stay; comparing a
//! section's fresh draft with what it was generated from tells whether the timeline
//! changed what it would say.

/// One `## ` section: its heading's text and its whole text (heading line included,
/// up to the next section's heading).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Section<'a> {
    pub heading: &'a str,
    pub text: &'a str,
}

/// The sections of `body`, in order; the text before the first heading (the title and
/// the line under it) is not a section. Headings inside fenced code do not count.
pub fn split(body: &str) -> Vec<Section<'_>> {
    let mut starts: Vec<(usize, &str)> = Vec::new();
    let mut in_fence = false;
    let mut offset = 0;
    for line in body.split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        let trimmed = content.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            in_fence = !in_fence;
        } else if !in_fence {
            if let Some(heading) = content.strip_prefix("## ") {
                starts.push((offset, heading.trim()));
            }
        }
        offset += line.len();
    }
    starts
        .iter()
        .enumerate()
        .map(|(i, (start, heading))| {
            let end = starts.get(i + 1).map_or(body.len(), |(next, _)| *next);
            Section {
                heading,
                text: &body[*start..end],
            }
        })
        .collect()
}

/// The first section headed `heading` (compared ignoring case and outer spaces).
pub fn find<'a>(body: &'a str, heading: &str) -> Option<Section<'a>> {
    split(body)
        .into_iter()
        .find(|s| same_heading(s.heading, heading))
}

/// `body` with the first section headed `heading` replaced by `text`; `None` when
/// `body` has no such section.
pub fn replace(body: &str, heading: &str, text: &str) -> Option<String> {
    let section = find(body, heading)?;
    let start = section.text.as_ptr() as usize - body.as_ptr() as usize;
    let end = start + section.text.len();
    let mut text = text.to_owned();
    // The section after keeps its heading on a line of its own.
    if end < body.len() && !text.ends_with('\n') {
        text.push('\n');
    }
    Some(format!("{}{text}{}", &body[..start], &body[end..]))
}

/// The headings of `generated`'s sections whose text differs in `fresh` (a section
/// `fresh` no longer has counts as changed).
pub fn changed(generated: &str, fresh: &str) -> Vec<String> {
    split(generated)
        .into_iter()
        .filter(|old| find(fresh, old.heading).is_none_or(|new| new.text != old.text))
        .map(|old| old.heading.to_owned())
        .collect()
}

fn same_heading(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "# Title\n\nintro\n\n## Summary\n\nEdited summary.\n\n## What was tried\n\n- restart\n\n```\n## not a heading\n```\n\n## Root cause\n\n- disk\n";

    #[test]
    fn splits_on_level_two_headings_outside_code() {
        let headings: Vec<_> = split(DOC).iter().map(|s| s.heading).collect();
        assert_eq!(headings, ["Summary", "What was tried", "Root cause"]);
        assert_eq!(
            find(DOC, "what was tried").unwrap().text,
            "## What was tried\n\n- restart\n\n```\n## not a heading\n```\n\n"
        );
        assert_eq!(
            find(DOC, "Root cause").unwrap().text,
            "## Root cause\n\n- disk\n"
        );
    }

    #[test]
    fn replacing_one_section_keeps_the_others_as_they_were() {
        let fresh = "## What was tried\n\n- restart\n- failover: **worked**\n\n";
        let replaced = replace(DOC, "What was tried", fresh).unwrap();
        assert_eq!(
            replaced,
            "# Title\n\nintro\n\n## Summary\n\nEdited summary.\n\n## What was tried\n\n- restart\n- failover: **worked**\n\n## Root cause\n\n- disk\n"
        );
        // The last section, and a replacement without a final line end.
        let replaced = replace(DOC, "Root cause", "## Root cause\n\n- a full disk").unwrap();
        assert!(replaced.ends_with("## Root cause\n\n- a full disk"));
        assert!(replaced.contains("Edited summary."));
        assert_eq!(replace(DOC, "Lessons", "## Lessons\n"), None);
        // A replacement without a line end before a following heading gets one.
        let replaced = replace(DOC, "Summary", "## Summary\n\nNew").unwrap();
        assert!(replaced.contains("## Summary\n\nNew\n## What was tried"));
    }

    #[test]
    fn changed_names_the_sections_whose_fresh_text_differs() {
        let fresh = DOC
            .replace("- restart\n", "- restart\n- failover\n")
            .replace("## Root cause\n\n- disk\n", "");
        assert_eq!(changed(DOC, &fresh), ["What was tried", "Root cause"]);
        assert!(changed(DOC, DOC).is_empty());
    }
}
